"""Pull the columns people query out of raw service record and CSR JSON; hash content.

The numbers come from the models' tolerant reader (`halotrack.models.summary`), the same one
history and the page use; this module only fits them to the columns (a value a column cannot
hold is None) and keeps the raw JSON as the truth beside them.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from halotrack.models.csr import read_csr_block
from halotrack.models.summary import RecordSummary, read_summary


class BadBody(ValueError):
    """The body is not a JSON object the store can keep (the repository makes it a
    StoreError)."""


def load_json(raw: bytes | str | Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """Return (decoded dict, text to store). Bytes and str are kept as sent."""
    if isinstance(raw, Mapping):
        data = dict(raw)
        return data, _storable(data)
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes | bytearray) else raw
        text.encode("utf-8")  # lone surrogates cannot be stored
        data = json.loads(text)
    except (UnicodeError, ValueError, RecursionError) as exc:
        raise BadBody(f"not valid JSON: {str(exc)[:200]}") from None
    if not isinstance(data, dict):
        raise BadBody(f"expected a JSON object, got {type(data).__name__}")
    return data, text


def canonical_json(data: Mapping[str, Any]) -> str:
    """Sorted keys, compact separators, UTF-8 kept: the form the content hash is taken of."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _storable(data: Mapping[str, Any]) -> str:
    """Canonical JSON of a dict as text every backend accepts (escaped if it has surrogates)."""
    try:
        text = canonical_json(data)
        text.encode("utf-8")
        return text
    except UnicodeError:
        return json.dumps(data, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    except (ValueError, TypeError, RecursionError) as exc:
        raise BadBody(f"cannot serialise as JSON: {str(exc)[:200]}") from None


def content_hash(data: Mapping[str, Any]) -> str:
    """sha256 of canonical JSON (sorted keys, compact): equal content, equal hash."""
    return hashlib.sha256(canonical_json(data).encode("utf-8", "surrogatepass")).hexdigest()


def prepare(raw: bytes | str | Mapping[str, Any]) -> tuple[dict[str, Any], str, str]:
    """(decoded dict, text to store, content hash). Bytes and str are stored as sent; a dict
    is stored as its canonical JSON. Raises BadBody for anything else."""
    data, text = load_json(raw)
    try:
        return data, text, content_hash(data)
    except (ValueError, TypeError, RecursionError) as exc:
        raise BadBody(f"cannot serialise as JSON: {str(exc)[:200]}") from None


_FLIGHT_ID = re.compile(rb'"ClearanceId"\s*:\s*"(?:[^"\\]|\\.)*"')


def without_flight_id(raw: bytes) -> bytes:
    """The body with every `ClearanceId` value set to null, all other bytes as sent.

    Match answers carry the game build's flight id as `ClearanceId`: the same value the
    clearance endpoint returns and halotrack sends as its `343-clearance` credential. The
    store never keeps it (SECURITY.md); a key inside a string value cannot match, since
    its quotes would be escaped.
    """
    return _FLIGHT_ID.sub(b'"ClearanceId":null', raw)


INT32 = 2**31
INT64 = 2**63


def _int(n: int | None, bound: int = INT32) -> int | None:
    """An integer column value (the reader already made it an int); None when the column
    cannot hold it."""
    return n if n is not None and -bound <= n < bound else None


def _big(n: int | None) -> int | None:
    return _int(n, INT64)


def _text(v: object, size: int = 32) -> str | None:
    """A short string column: NUL removed (PostgreSQL rejects it), cut to the column size."""
    return v.replace("\x00", "")[:size] if isinstance(v, str) else None


# Column -> its value from the one summary reader, in the order history and export show.
_RECORD_COLUMNS: dict[str, Callable[[RecordSummary], Any]] = {
    "matches_completed": lambda s: _int(s.matches),
    "wins": lambda s: _int(s.wins),
    "losses": lambda s: _int(s.losses),
    "ties": lambda s: _int(s.ties),
    "kills": lambda s: _int(s.kills),
    "deaths": lambda s: _int(s.deaths),
    "assists": lambda s: _int(s.assists),
    "kda": lambda s: s.kda,
    "accuracy": lambda s: s.accuracy,
    "damage_dealt": lambda s: _big(s.damage_dealt),
    "damage_taken": lambda s: _big(s.damage_taken),
    "time_played_seconds": lambda s: s.time_played_seconds,
    "score": lambda s: _big(s.score),
    "personal_score": lambda s: _big(s.personal_score),
}

RECORD_NUMBERS: tuple[str, ...] = tuple(_RECORD_COLUMNS)
"""The number columns of a stored service record, in the order history and export show."""


def service_record_columns(data: Mapping[str, Any]) -> dict[str, Any]:
    """The queryable numbers of a service record; a missing value is None, never an error."""
    summary = read_summary(data)
    return {column: read(summary) for column, read in _RECORD_COLUMNS.items()}


def unwrap_csr_entry(data: Mapping[str, Any]) -> dict[str, Any]:
    """Accept the `Result` object or a whole `{Id, ResultCode, Result}` entry."""
    inner = data.get("Result")
    if isinstance(inner, Mapping) and "Id" in data:
        return dict(inner)
    return dict(data)


def csr_columns(result: Mapping[str, Any]) -> dict[str, Any]:
    """Current / season max / all-time max of one player's CSR `Result`."""
    cur, smax, amax = (read_csr_block(result, n) for n in ("Current", "SeasonMax", "AllTimeMax"))
    return {
        "current_value": _int(cur.value),
        "current_tier": _text(cur.tier),
        "current_sub_tier": _int(cur.sub_tier),
        "matches_remaining": _int(cur.matches_remaining),
        "season_max_value": _int(smax.value),
        "season_max_tier": _text(smax.tier),
        "season_max_sub_tier": _int(smax.sub_tier),
        "all_time_max_value": _int(amax.value),
        "all_time_max_tier": _text(amax.tier),
        "all_time_max_sub_tier": _int(amax.sub_tier),
    }
