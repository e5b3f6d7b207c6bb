"""Enum names read from the XML form of an answer, paired with the numbers of its JSON form.

Why: the JSON answers carry enum values as bare numbers; a mode shipped after this code is
`57` and nothing more. The same resource asked for with `Accept: application/xml` names every
enum value (`<d3p1:GameVariantCategory>MultiplayerCtf</d3p1:GameVariantCategory>`,
REFERENCE.md). Walking both forms of one answer side by side pairs each number with its
name, whatever the field: a dict's keys are the XML children's local names, a list's items
are the children in order. Pure: no I/O; `enum_names` is what callers need.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree

from halotrack.errors import ParseError
from halotrack.models.enums import TOLERANT, learn_names, unshipped

log = logging.getLogger(__name__)

Names = dict[str, dict[int, str]]
"""Enum type (`GameVariantCategory`) -> number -> the name the service gives it."""

# JSON key -> the enum type its value (or each item of its list) belongs to.
ENUM_FIELDS: dict[str, str] = {
    "GameVariantCategory": "GameVariantCategory",
    "GameVariantCategories": "GameVariantCategory",
    "LifecycleMode": "LifecycleMode",
    "Outcome": "Outcome",
    "PlayerType": "PlayerType",
    "GameplayInteraction": "GameplayInteraction",
    "GameplayInteractions": "GameplayInteraction",
    "PlaylistExperience": "PlaylistExperience",
}

NAMES_KEY = ("names", "enums")
"""Where the learned names live in the database's metadata cache (kind, key)."""

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_xml(body: bytes, source: str = "<xml>") -> ElementTree.Element:
    """The root element of a stats answer's XML form (`source`: its URL). A DOCTYPE is
    refused outright: the API never sends one, and it is how entity-expansion attacks start."""
    upper = body.upper()
    if b"<!DOCTYPE" in upper or b"<!ENTITY" in upper:
        raise _bad(source, "XML with a DOCTYPE or ENTITY refused")
    try:
        return ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise _bad(source, f"not XML ({exc})") from None


def _bad(source: str, detail: str) -> ParseError:
    return ParseError(f"stats answer in XML: {detail}", service="stats", status=200, url=source)


def enum_names(doc: Any, xml: bytes | ElementTree.Element, source: str = "<xml>") -> Names:
    """Every (enum type, number) -> name pair found by walking `doc` (the JSON answer) and
    its XML form together. Values whose XML text is itself a number teach nothing."""
    root = xml if isinstance(xml, ElementTree.Element) else parse_xml(xml, source)
    out: Names = {}
    _walk(doc, root, None, out)
    return out


def _walk(value: Any, elem: ElementTree.Element, enum: str | None, out: Names) -> None:
    if isinstance(value, dict):
        by_name: dict[str, ElementTree.Element] = {}
        for child in elem:
            by_name.setdefault(_local(child.tag), child)
        for key, sub in value.items():
            match = by_name.get(key)
            if match is not None:
                _walk(sub, match, ENUM_FIELDS.get(key), out)
    elif isinstance(value, list):
        children = list(elem)
        if len(children) != len(value):
            return  # the two forms differ (fetched apart, the player played): pair nothing
        for item, child in zip(value, children, strict=True):
            _walk(item, child, enum or ENUM_FIELDS.get(_local(child.tag)), out)
    elif isinstance(value, int) and not isinstance(value, bool) and enum is not None:
        text = (elem.text or "").strip()
        if _NAME.match(text) and text not in ("true", "false"):
            out.setdefault(enum, {})[value] = text


@dataclass
class NameBook:
    """Learned names and the (enum, number) pairs already asked about."""

    names: Names = field(default_factory=dict)
    asked: dict[str, set[int]] = field(default_factory=dict)

    @classmethod
    def from_json(cls, text: str) -> NameBook:
        try:
            doc = json.loads(text)
            names = {e: {int(v): str(n) for v, n in vs.items()} for e, vs in doc["names"].items()}
            asked = {e: {int(v) for v in vs} for e, vs in doc["asked"].items()}
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("stored enum names unreadable: starting afresh")
            return cls()
        return cls(names, asked)

    def to_json(self) -> str:
        return json.dumps(
            {
                "names": {
                    e: {str(v): n for v, n in sorted(vs.items())} for e, vs in self.names.items()
                },
                "asked": {e: sorted(vs) for e, vs in self.asked.items()},
            },
            sort_keys=True,
        )

    def merge(self, names: Names) -> int:
        """Keep names for numbers the shipped enums do not know; returns how many are new."""
        new = 0
        for enum, value, name in unshipped(names):
            kept = self.names.setdefault(enum, {})
            if kept.get(value) != name:
                kept[value] = name
                new += 1
        learn_names(self.names)
        return new

    def unnamed(self, pairs: Iterable[tuple[str, int]]) -> set[tuple[str, int]]:
        """The pairs neither known, learned, nor asked about before."""
        out = set()
        for enum, value in pairs:
            cls = TOLERANT.get(enum)
            if cls is None or cls.named(value) or value in self.asked.get(enum, set()):
                continue
            out.add((enum, value))
        return out
