"""The XML form of an answer (`Accept: application/xml`), as .NET's DataContract writes it.

Why: the real API answers the same resource as XML when asked, and there every enum value
carries its name instead of its number (`<d3p1:GameVariantCategory>MultiplayerCtf</...>`,
REFERENCE.md). That is the only place the API says what a new number means, so a client
can learn names it was not shipped with. Names come from a table of the simulator's own,
built from the shared enums once: a test can add a number the client does not know.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from halotrack.models.enums import TOLERANT
from halotrack.models.xmlnames import ENUM_FIELDS

XML_TYPE = "application/xml"
_NS = "http://schemas.datacontract.org/2004/07/Halo.Infinite.Stats"
_ENUM_NS = "http://schemas.datacontract.org/2004/07/Halo.Infinite.Enums"
_ARRAYS_NS = "http://schemas.microsoft.com/2003/10/Serialization/Arrays"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"

# Enum type -> number -> name, as the service spells the names.
ENUM_NAMES: dict[str, dict[int, str]] = {
    name: {int(m): m.name.removesuffix("_") for m in cls} for name, cls in TOLERANT.items()
}
ENUM_NAMES["LifecycleMode"][7] = "Local"


def wants_xml(accept: str) -> bool:
    """True when the Accept header prefers XML (the real API's default stays JSON)."""
    return XML_TYPE in accept.lower() and "json" not in accept.lower().split(XML_TYPE)[0]


def _scalar(value: Any, enum: str | None) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if enum is not None and isinstance(value, int):
        return ENUM_NAMES.get(enum, {}).get(value, str(value))
    if isinstance(value, float):
        return repr(value)
    return escape(str(value))


def _item_tag(key: str) -> str:
    return key[:-3] + "y" if key.endswith("ies") else key[:-1] if key.endswith("s") else key


def _element(key: str, value: Any, out: list[str], prefix: str = "") -> None:
    tag = f"{prefix}{key}"
    if value is None:
        out.append(f'<{tag} i:nil="true"/>')
    elif isinstance(value, dict):
        out.append(f"<{tag}>")
        for k, v in value.items():
            _element(k, v, out)
        out.append(f"</{tag}>")
    elif isinstance(value, list):
        _list(key, tag, value, out)
    else:
        out.append(f"<{tag}>{_scalar(value, ENUM_FIELDS.get(key))}</{tag}>")


def _list(key: str, tag: str, items: list[Any], out: list[str]) -> None:
    enum = ENUM_FIELDS.get(key)
    if enum is not None or any(not isinstance(v, dict | list) for v in items):
        ns, item = (
            (_ENUM_NS, enum)
            if enum
            else (_ARRAYS_NS, "boolean" if all(isinstance(v, bool) for v in items) else "string")
        )
        out.append(f'<{tag} xmlns:d3p1="{ns}">')
        for v in items:
            out.append(f"<d3p1:{item}>{_scalar(v, enum)}</d3p1:{item}>")
        out.append(f"</{tag}>")
        return
    out.append(f"<{tag}>")
    for v in items:
        _element(_item_tag(key), v, out)
    out.append(f"</{tag}>")


def to_xml(root: str, doc: dict[str, Any]) -> bytes:
    """`doc` (a JSON answer) as DataContract XML under `<root>`, enum values by name."""
    out = [f'<?xml version="1.0" encoding="utf-8"?><{root} xmlns="{_NS}" xmlns:i="{_XSI}">']
    for k, v in doc.items():
        _element(k, v, out)
    out.append(f"</{root}>")
    return "".join(out).encode("utf-8")
