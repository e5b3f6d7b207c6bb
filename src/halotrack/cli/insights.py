"""Insights from stored matches: `breakdown`, `session`, `streaks`, `mates`, `vs`,
`csr-history` and `performance`. Store only, no network; every one has `--json`.

    halotrack breakdown PLAYER --by mode|map|playlist [--season S] [--play pvp|pve|...]
    halotrack session PLAYER [--last N] [--gap 60m]
    halotrack streaks PLAYER
    halotrack mates PLAYER [--limit N] [--type matchmaking|custom|local|all]
    halotrack vs PLAYER OTHER [--type matchmaking|custom|local|all]
    halotrack csr-history PLAYER [--limit N]
    halotrack performance PLAYER

The answers come from `halotrack.usecases.insights`; this module prints them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from halotrack.cli.common import JsonOpt, PlayerArg, console, listing, open_db, print_json
from halotrack.cli.matches import short_id
from halotrack.cli.track import parse_every

if TYPE_CHECKING:
    from halotrack.store import Store
    from halotrack.usecases import insights as ins

PlayOpt = Annotated[
    str,
    typer.Option(
        "--play",
        help="Which matches: pvp (matchmade, no Firefight: the headline), pve, custom or all.",
    ),
]
TypeOpt = Annotated[
    str,
    typer.Option(
        "--type", help="Which games count: matchmaking, custom, local (LAN) or all of them."
    ),
]
KIND_WORDS = {"matchmaking": "matchmade", "custom": "custom", "local": "local (LAN)", "all": "all"}


def _open(ctx: typer.Context) -> Store:
    return open_db(ctx, write=False)


def _table(title: str, *columns: str) -> Table:
    """Light borders, numbers right-aligned: fits 80 columns (the first column wraps)."""
    table = listing(title)
    for i, col in enumerate(columns):
        table.add_column(col, justify="left" if i == 0 else "right", no_wrap=i > 0)
    return table


def _wlt(t: ins.Totals) -> str:
    return f"{t.wins}-{t.losses}-{t.ties}"


def _expected(value: float | None) -> str:
    return f"{value:.1f}" if value is not None else ""


def _index(value: float | None) -> str:
    return f"{value:+.2f}" if value is not None else ""


def _totals_cells(t: ins.Totals) -> tuple[str, ...]:
    return (
        str(t.matches),
        _wlt(t),
        f"{t.win_rate:.0%}",
        f"{t.kills}/{t.deaths}",
        f"{t.kd:.2f}",
        _expected(t.expected_kills),
        _expected(t.expected_deaths),
    )


TOTAL_COLUMNS = ("Games", "W-L-T", "Win", "K/D", "Ratio", "xK", "xD")


def breakdown_cmd(
    ctx: typer.Context,
    player: PlayerArg,
    by: Annotated[str, typer.Option("--by", help="mode, map or playlist.")] = "mode",
    season: Annotated[
        str | None, typer.Option(help="Only this season: a number (5) or part of its id.")
    ] = None,
    play: PlayOpt = "pvp",
    as_json: JsonOpt = False,
) -> None:
    """Stored matches by mode, map or playlist: games, wins, K/D against expectation.

    xK and xD are the kills and deaths the skill service expected; the rows sum to the
    total line."""
    from halotrack.usecases import insights as ins

    with _open(ctx) as store:
        got = ins.breakdown(store, player, by, season=season, play=play)
    if as_json:
        print_json(got.as_dict())
        return
    scope = f"{play}" + (f", season {season}" if season else "")
    table = _table(f"{player} by {by} ({scope})", by.capitalize(), *TOTAL_COLUMNS)
    for row in got.rows:
        table.add_row(row.key, *_totals_cells(row.totals))
    table.add_section()
    table.add_row("Total", *_totals_cells(got.total))
    console.print(table)


def _session_text(player: str, s: ins.Session) -> None:
    from halotrack.usecases import insights as ins

    every = ins.Totals()
    for p in s.playlists:
        every = every + p.totals
    console.print(
        f"[bold]{player}[/]: session {s.start:%Y-%m-%d %H:%M}-{s.end:%H:%M} UTC · "
        f"{s.matches} matchmade games · {every.wins}W {every.losses}L {every.ties}T · "
        f"K/D {s.pvp.kills}/{s.pvp.deaths} ({s.pvp.kd:.2f}, PvP)",
        highlight=False,
    )
    if s.pve.matches:
        console.print(
            f"PvE apart: {s.pve.matches} games, K/D {s.pve.kills}/{s.pve.deaths}",
            highlight=False,
        )
    table = _table("", "Playlist", "Games", "W-L-T", "K/D", "xK", "xD", "CSR")
    for p in s.playlists:
        t = p.totals
        table.add_row(
            p.playlist + (" (PvE)" if p.pve else ""),
            str(t.matches),
            _wlt(t),
            f"{t.kills}/{t.deaths}",
            _expected(t.expected_kills),
            _expected(t.expected_deaths),
            f"{p.csr_delta:+d}" if p.csr_delta is not None else "",
        )
    console.print(table)
    for label, t in (("Custom games", s.custom), ("Local (LAN) games", s.local)):
        if t.matches:
            console.print(
                f"{label}, apart: {t.matches} · {_wlt(t)} · K/D {t.kills}/{t.deaths}",
                highlight=False,
            )
    if s.best is not None:
        b = s.best
        where = " on ".join(x for x in (b.mode, b.map) if x)
        console.print(
            f"Best (PvP): {short_id(b.match_id)} {where} {b.kills}/{b.deaths}/{b.assists}"
            + (f", index {_index(b.index)}" if b.index is not None else ""),
            highlight=False,
        )
    if s.mean_index is not None:
        console.print(
            f"Performance: mean index {_index(s.mean_index)} over {s.indexed_matches} PvP games "
            "(0 = as expected)",
            highlight=False,
        )


def _streaks_text(st: ins.Streaks) -> None:
    console.print(
        f"Streaks (PvP): wins now {st.current_win}, longest {st.longest_win} · losses now "
        f"{st.current_loss}, longest {st.longest_loss} · K>D now {st.current_positive_kd}, "
        f"longest {st.longest_positive_kd}",
        highlight=False,
    )


def session_cmd(
    ctx: typer.Context,
    player: PlayerArg,
    last: Annotated[int, typer.Option("--last", "-n", min=1, help="Newest N sessions.")] = 1,
    gap: Annotated[
        str, typer.Option(help="Matches closer than this form one session (30m, 2h).")
    ] = "60m",
    as_json: JsonOpt = False,
) -> None:
    """The last session (games closer than the gap): wins, K/D, CSR, best match.

    The numbers are the matchmade games'; custom and local (LAN) games of the same
    evening get their own lines. An evening of custom or local games alone is no session
    (`matches --type custom` lists them). Per playlist: games, wins, K/D and CSR change;
    then the best match, the performance against expectation, and the streaks."""
    from halotrack.usecases import insights as ins

    seconds = parse_every(gap, "--gap")
    with _open(ctx) as store:
        got = ins.sessions(store, player, last=last, gap=timedelta(seconds=seconds))
        st = ins.streaks(store, player)
    if as_json:
        print_json({"sessions": [s.as_dict() for s in got], "streaks": st.as_dict()})
        return
    for s in got:
        _session_text(player, s)
    _streaks_text(st)


def streaks_cmd(
    ctx: typer.Context, player: PlayerArg, play: PlayOpt = "pvp", as_json: JsonOpt = False
) -> None:
    """Current and longest win and loss streaks, and the longest run of matches with more
    kills than deaths."""
    from halotrack.usecases import insights as ins

    with _open(ctx) as store:
        st = ins.streaks(store, player, play=play)
    if as_json:
        print_json(st.as_dict())
        return
    _streaks_text(st)


def mates_cmd(
    ctx: typer.Context,
    player: PlayerArg,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Players per list.")] = 10,
    kind: TypeOpt = "matchmaking",
    as_json: JsonOpt = False,
) -> None:
    """The players most often on the same team and on the other side.

    For each: the games shared, the player's wins and K/D in them. Matchmade games by
    default; `--type custom`, `local` or `all` for the others."""
    from halotrack.usecases import insights as ins

    with _open(ctx) as store:
        got = ins.mates(store, player, limit=limit, kind=kind)
    if as_json:
        print_json(got.as_dict())
        return
    console.print(f"{player}, {KIND_WORDS[kind]} games:", highlight=False)
    for title, rows in (("Teammates", got.teammates), ("Opponents", got.opponents)):
        table = _table(title, title[:-1], "Games", "W-L-T", "Win", "K/D")
        for m in rows:
            t = m.totals
            table.add_row(m.name, str(t.matches), _wlt(t), f"{t.win_rate:.0%}", f"{t.kd:.2f}")
        console.print(table if rows else f"No {title.lower()} in the stored matches.")


def vs_cmd(
    ctx: typer.Context,
    player: PlayerArg,
    other: Annotated[str, typer.Argument(help="The other player: gamertag or XUID.")],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Matches listed.")] = 20,
    kind: TypeOpt = "matchmaking",
    as_json: JsonOpt = False,
) -> None:
    """Every stored match both players played: together or against, and the record.

    Every kind of game is listed (custom and LAN ones say so); the record counts the
    matchmade ones unless `--type` names others."""
    from halotrack.usecases import insights as ins

    with _open(ctx) as store:
        got = ins.versus(store, player, other, kind=kind)
    if as_json:
        print_json(got.as_dict())
        return
    t, a = got.together, got.against
    console.print(
        f"{got.player} and {got.other}: {len(got.matches)} games · record over "
        f"{KIND_WORDS[got.record_type]} games: together {t.matches} "
        f"({_wlt(t)}) · against {a.matches}: {got.player} {a.wins}, {got.other} "
        f"{a.losses}, ties {a.ties} · K/D against: {a.kills}/{a.deaths} vs "
        f"{got.other_kills_against}/{got.other_deaths_against}",
        highlight=False,
    )
    table = _table("", "Date / id", "Map / mode", "Side", "Result", "K/D/A", "Theirs")
    for m in got.matches[:limit]:
        table.add_row(
            f"{m.start_time:%m-%d %H:%M}\n{short_id(m.match_id)}",
            f"{m.map or '?'}\n{m.mode or ''}",
            ("with" if m.same_team else "vs")
            + {"custom": "\ncustom", "local": "\nLAN"}.get(m.type, ""),
            m.outcome,
            f"{m.kills}/{m.deaths}/{m.assists}",
            f"{m.other_kills}/{m.other_deaths}/{m.other_assists}",
        )
    if got.matches:
        console.print(table)


def csr_history_cmd(
    ctx: typer.Context,
    player: PlayerArg,
    limit: Annotated[int, typer.Option("--limit", "-n", min=0, help="Newest matches shown.")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """CSR per ranked playlist and season (end and max), all-time max, CSR per match.

    From the stored matches' skill answers; placement matches are marked."""
    from halotrack.usecases import insights as ins

    with _open(ctx) as store:
        got = ins.csr_history(store, player)
    if as_json:
        print_json(got.as_dict())
        return
    table = _table(f"{player}: CSR by season", "Playlist", "Season", "End", "Max", "Games")
    for s in got.seasons:
        table.add_row(s.playlist, s.season, _csr(s.end), _csr(s.max), str(s.matches))
    console.print(table if got.seasons else "No ranked matches stored.")
    for playlist, best in got.all_time_max.items():
        console.print(f"All-time max in {playlist}: {_csr(best)}", highlight=False)
    if limit and got.points:
        per = _table("CSR per match, newest", "Date / id", "Playlist", "CSR", "Change")
        for p in reversed(got.points[-limit:]):
            csr = _csr(p.csr)
            if p.placement:
                csr += f" (placement, {p.placements_left} left)" if p.csr is None else " (placed)"
            per.add_row(
                f"{p.start_time:%Y-%m-%d}\n{short_id(p.match_id)}",
                p.playlist,
                csr,
                f"{p.delta:+d}" if p.delta is not None else "",
            )
        console.print(per)


def _csr(value: int | None) -> str:
    return str(value) if value is not None else "Unranked"


def performance_cmd(
    ctx: typer.Context, player: PlayerArg, play: PlayOpt = "pvp", as_json: JsonOpt = False
) -> None:
    """The performance index per playlist and month (0: as the matchmaker expected).

    +1 is a match one spread better than expected: the kills above their expectation,
    minus the deaths above theirs, each in the skill service's own spread."""
    from halotrack.usecases import insights as ins

    with _open(ctx) as store:
        got = ins.performance_trend(store, player, play=play)
    if as_json:
        print_json([p.as_dict() for p in got])
        return
    table = _table(f"{player}: performance index by month", "Playlist", "Month", "Games", "Index")
    for p in got:
        table.add_row(p.playlist, p.month, str(p.matches), _index(p.mean_index))
    console.print(table if got else "No skill answers stored for these matches.")
