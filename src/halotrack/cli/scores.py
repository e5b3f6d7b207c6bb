"""`halotrack scores infer`: name personal-score NameIds from the stored matches.

The analysis is `halotrack.usecases.scores`; this module reads the store, prints, and with
`--save` merges the confident names into the user's `personal_scores.json`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from halotrack import config
from halotrack.cli.common import JsonOpt, console, listing, open_db, print_json
from halotrack.models.names import PERSONAL_SCORES_FILE, load_personal_scores

if TYPE_CHECKING:
    pass

app = typer.Typer(
    name="scores",
    help="Personal scores: decode their NameIds from stored matches.",
    no_args_is_help=True,
)

_STATUS_STYLE = {"confident": "green", "likely": "yellow", "ambiguous": "magenta", "unknown": "dim"}


@app.command("infer")
def infer_cmd(
    ctx: typer.Context,
    min_matches: Annotated[
        int, typer.Option("--min-matches", min=1, help="Confident only if seen in N matches.")
    ] = 3,
    save: Annotated[
        bool,
        typer.Option("--save", help=f"Merge confident names into <config>/{PERSONAL_SCORES_FILE}."),
    ] = False,
    show_all: Annotated[
        bool, typer.Option("--all", help="Also the evidence behind each name, in full.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Name each personal-score NameId in the stored matches, with its points and evidence.

    Each: the visible stat its count equals, points per award, and if the known table agrees."""
    from halotrack.usecases import scores

    user_file = config.config_dir() / PERSONAL_SCORES_FILE
    known = load_personal_scores(user_file)
    with open_db(ctx, write=False) as store:
        n_matches = store.match_count()
        observations = scores.observations_from_matches(store.iter_raw_matches())
        found = scores.infer(observations, known=known, min_matches=min_matches)
    report = scores.save_inferences(user_file, found) if save else None
    if as_json:
        out: dict[str, object] = {"inferences": [i.as_dict() for i in found]}
        if report is not None:
            out["saved"] = {
                "path": str(report.path),
                "added": report.added,
                "updated": report.updated,
            }
        print_json(out)
        return
    if not found:
        console.print("No personal scores in the stored matches: sync some matches first.")
        return
    # One line per NameId by default: the evidence sentence, squeezed into a column at 80
    # characters, made the table ~390 lines with words split mid-word. `--all` prints it
    # below the table, one paragraph per NameId, wrapped between words.
    table = listing(f"Personal scores in {n_matches} stored matches")
    for col in ("NameId", "Proposed", "Points", "Status", "Seen", "Known table"):
        table.add_column(
            col,
            justify="right" if col in ("NameId", "Points", "Seen") else "left",
            no_wrap=col in ("NameId", "Points", "Status", "Seen"),
        )
    for i in found:
        if i.points is not None:
            points = str(i.points)
        else:
            points = f"{i.points_range[0]}..{i.points_range[1]}"
        # Only a disagreement needs the known name (and points, when they differ) spelled out.
        known_text = i.known_name or ""
        if i.known_points is not None and i.known_points != i.points:
            known_text += f" ({i.known_points})"
        known_text = "agrees" if i.agrees else (f"NO: {known_text}" if known_text else "")
        style = _STATUS_STYLE.get(i.status, "")
        table.add_row(
            str(i.name_id),
            i.proposed_name or "",
            points,
            f"[{style}]{i.status}[/]" if style else i.status,
            f"{i.matches:,}",
            known_text,
        )
    console.print(table)
    if show_all:
        console.print("Evidence:", highlight=False)
        for i in found:
            console.print(f"  {i.name_id}: {i.evidence}", highlight=False, markup=False)
    else:
        console.print(
            "Seen: matches with the award. The evidence of each: --all (or --json).",
            highlight=False,
        )
    if report is not None:
        console.print(
            f"Saved to {report.path}: {len(report.added)} added, {len(report.updated)} updated."
        )
