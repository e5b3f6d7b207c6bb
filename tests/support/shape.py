"""Compare the structure of two JSON documents and say exactly where they differ.

Why: the simulator is only useful if its answers look like the real API's to a parser. A
reference document (a real sample) is reduced to a schema: for every path (`$.Players[].
PlayerId`), the kinds of value seen there (null, bool, int, float, duration, timestamp,
string, dict, list), and for dicts the keys always present and the keys ever present. A
candidate passes when every value it has is of a kind the reference had at that path, its
dicts carry every always-present key and no unknown key, and enum-like fields stay in range.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_DURATION = re.compile(r"^P(?!$)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d{1,7})?S)?)?$")
_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,7})?Z$")
_TRIMMED = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{0,2}[1-9])?Z$")

# Allowed values for enum-like keys, wherever they appear.
ENUM_RANGES: dict[str, set[Any]] = {
    "LifecycleMode": {1, 2, 3, 7},
    "Outcome": {1, 2, 3, 4, 5},
    "PlayerType": {1, 2},
    "GameplayInteraction": {1, 2, 3},
    "ResultCode": {0, 1, 2, 3, 4},
    "Tier": {"", "Bronze", "Silver", "Gold", "Platinum", "Diamond", "Onyx"},
    "NextTier": {"", "Bronze", "Silver", "Gold", "Platinum", "Diamond", "Onyx"},
    "SubTier": set(range(6)),
    "NextSubTier": set(range(6)),
    "difficultyIndex": set(range(4)),
    "typeIndex": set(range(6)),
    "AssetKind": set(range(16)),
    "PlaylistExperience": {
        1,
        2,
        3,
        4,
        5,
        6,
        None,
        "Untracked",
        "Arena",
        "BTB",
        "PveBots",
        "Featured",
        "PvE",
    },
    "GameVariantCategory": {-1, *range(40), 41, 42},
}


def kind(value: Any) -> str:
    """The structural kind of a JSON value; strings split into duration/timestamp/string."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, dict):
        return "dict"
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        if _DURATION.match(value):
            return "duration"
        if _TIMESTAMP.match(value):
            return "timestamp"
        return "string"
    return type(value).__name__


@dataclass
class Schema:
    kinds: dict[str, set[str]] = field(default_factory=dict)
    required: dict[str, set[str]] = field(default_factory=dict)
    allowed: dict[str, set[str]] = field(default_factory=dict)


def learn(doc: Any, schema: Schema | None = None, path: str = "$") -> Schema:
    """Reduce a reference document to a schema (several documents may feed one schema)."""
    schema = schema or Schema()
    schema.kinds.setdefault(path, set()).add(kind(doc))
    if isinstance(doc, dict):
        keys = set(doc)
        if path in schema.required:
            schema.required[path] &= keys
        else:
            schema.required[path] = set(keys)
        schema.allowed.setdefault(path, set()).update(keys)
        for k, v in doc.items():
            learn(v, schema, f"{path}.{k}")
    elif isinstance(doc, list):
        for item in doc:
            learn(item, schema, f"{path}[]")
    return schema


def check(
    doc: Any,
    schema: Schema,
    path: str = "$",
    *,
    free_keys: tuple[str, ...] = (),
    errors: list[str] | None = None,
) -> list[str]:
    """Mismatches of `doc` against `schema`, each naming its exact path. `free_keys` lists
    paths whose dict keys are data (e.g. `$.Value[].Result.TeamMmrs`), not names."""
    errors = [] if errors is None else errors
    generic = _generic(path, free_keys)
    allowed_kinds = schema.kinds.get(generic)
    if allowed_kinds is None:
        return errors  # the reference had nothing here (e.g. an empty list): unconstrained
    k = kind(doc)
    if k not in allowed_kinds:
        errors.append(
            f"{path}: {k} ({_short(doc)}) where the reference has {sorted(allowed_kinds)}"
        )
        return errors
    leaf = path.rsplit(".", 1)[-1]
    if leaf in ENUM_RANGES and not isinstance(doc, (dict, list)) and doc not in ENUM_RANGES[leaf]:
        errors.append(f"{path}: value {doc!r} outside the known range of {leaf}")
    if isinstance(doc, dict):
        if generic in free_keys:
            for v in doc.values():
                check(v, schema, f"{path}.*", free_keys=free_keys, errors=errors)
            return errors
        missing = schema.required.get(generic, set()) - set(doc)
        extra = set(doc) - schema.allowed.get(generic, set())
        for key in sorted(missing):
            errors.append(f"{path}.{key}: missing")
        for key in sorted(extra):
            errors.append(f"{path}.{key}: not in the reference")
        for key, v in doc.items():
            if key not in extra:
                check(v, schema, f"{path}.{key}", free_keys=free_keys, errors=errors)
    elif isinstance(doc, list):
        for i, item in enumerate(doc):
            check(item, schema, f"{path}[{i}]", free_keys=free_keys, errors=errors)
    return errors


def compare(reference: Any, candidate: Any, *, free_keys: tuple[str, ...] = ()) -> list[str]:
    """Structural mismatches of `candidate` against one reference document."""
    schema = learn(reference)
    for fk in free_keys:
        # Learn the values under data-keyed dicts as one generic child.
        _learn_free(reference, schema, fk)
    return check(candidate, schema, free_keys=free_keys)


def _learn_free(reference: Any, schema: Schema, free_path: str) -> None:
    def walk(doc: Any, path: str) -> None:
        if path == free_path and isinstance(doc, dict):
            for v in doc.values():
                learn(v, schema, f"{path}.*")
            return
        if isinstance(doc, dict):
            for k, v in doc.items():
                walk(v, f"{path}.{k}")
        elif isinstance(doc, list):
            for item in doc:
                walk(item, f"{path}[]")

    walk(reference, "$")


def _generic(path: str, free_keys: tuple[str, ...]) -> str:
    return re.sub(r"\[\d+\]", "[]", path)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def timestamps(doc: Any, path: str = "$") -> list[tuple[str, str]]:
    """Every (path, value) holding a timestamp string, to check formatting rules."""
    out: list[tuple[str, str]] = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += timestamps(v, f"{path}.{k}")
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += timestamps(v, f"{path}[{i}]")
    elif isinstance(doc, str) and _TIMESTAMP.match(doc):
        out.append((path, doc))
    return out


def trimmed(ts: str) -> bool:
    """True for `...:55Z`, `...:55.66Z`, `...:55.964Z`; False for `...:55.960Z`."""
    return bool(_TRIMMED.match(ts))
