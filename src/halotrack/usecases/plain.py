"""A use case's answer as the plain dict its `--json` output prints.

Why: answers listed their fields a second time as dict keys, one line per field, and a field
added to the dataclass could be left out of the output. Here the keys come from the fields.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


def field_dict(
    obj: DataclassInstance, rename: Mapping[str, str] | None = None, skip: Collection[str] = ()
) -> dict[str, Any]:
    """`obj`'s fields in their order, by name or by the key `rename` gives them (the one the
    output has always used), leaving out `skip`. Values are not copied or converted."""
    keys = rename or {}
    return {
        keys.get(f.name, f.name): getattr(obj, f.name) for f in fields(obj) if f.name not in skip
    }
