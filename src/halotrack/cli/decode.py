"""`halotrack decode`: read a saved API response from disk and print it decoded, as JSON.

Why: the quickest way to see what halotrack makes of a body (a capture from the browser's
network tab, a simulator answer, a bug report) and where a changed shape breaks decoding.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import msgspec
import typer

from halotrack import config
from halotrack.cli.common import print_json
from halotrack.errors import ConfigError
from halotrack.models import KINDS, decode, guess_kind
from halotrack.models.export import to_jsonable
from halotrack.models.names import MedalBook, load_personal_scores

HELP = (
    "Decode a saved API response FILE ('-' for stdin) and print it as JSON.\n\n"
    "Keys in snake_case, durations as ISO 8601 strings, datetimes as ISO UTC with Z, "
    "each enum number with a <field>_name beside it, personal scores named, CSR blocks "
    "labelled. KIND is one of: "
    + ", ".join(sorted(KINDS))
    + "; 'auto' (default) guesses it from the file's shape."
)


def _read(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise ConfigError(f"{path} is a directory, not a saved response") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None


def decode_cmd(
    file: Annotated[str, typer.Argument(help="Saved response body (JSON), or '-'.")],
    kind: Annotated[str, typer.Option("--kind", "-k", help="Response kind, or 'auto'.")] = "auto",
    metadata: Annotated[
        str | None,
        typer.Option(help="Medal metadata file (metadata.json): names medals in the output."),
    ] = None,
) -> None:
    data = _read(file)
    source = "<stdin>" if file == "-" else file
    if kind in ("", "auto"):
        guessed = guess_kind(data)
        if guessed is None:
            try:
                msgspec.json.decode(data)
            except msgspec.DecodeError as exc:  # not "what kind": it is no JSON at all
                raise ConfigError(
                    f"{source} is not JSON ({exc})",
                    hint="decode takes a response body the API returned, saved as is",
                ) from None
            raise ConfigError(
                f"cannot tell what kind of response {source} holds",
                hint="pass --kind, one of: " + ", ".join(sorted(KINDS)),
            )
        kind = guessed
    model = decode(kind, data, source=source)
    medals = None
    if metadata:
        medals = MedalBook(decode("medal-metadata", _read(metadata), source=metadata))
    scores = load_personal_scores(config.config_dir() / "personal_scores.json")
    print_json({"kind": kind, "data": to_jsonable(model, medals=medals, scores=scores)})
