"""Turn a decoded model into plain JSON values a person or a script can read.

Conventions (the `halotrack decode` output): keys are the models' snake_case attribute
names; durations are ISO 8601 strings (`PT9M9.421162S`, `P17DT10H55M53.768551S`);
datetimes are ISO 8601 UTC with `Z`; every enum-valued int keeps its number and gains a
`<field>_name` beside it (`Unknown(<n>)` when new); medal and personal-score entries gain
`name` (plus `difficulty`/`type` for medals when metadata is given, `points` per award for
scores); CSR blocks gain `label`, `progress` and `next_label`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import msgspec

from halotrack.models._base import iso_datetime, iso_duration
from halotrack.models.names import MedalBook, PersonalScoreBook
from halotrack.models.skill import Csr
from halotrack.models.stats import Award, ServiceRecord


def to_jsonable(
    obj: Any,
    *,
    medals: MedalBook | None = None,
    scores: PersonalScoreBook | None = None,
) -> Any:
    """A JSON-ready copy of `obj` (a model, list, dict or scalar) following the conventions
    in this module's docstring."""
    return _Exporter(medals, scores).value(obj, "")


class _Exporter:
    def __init__(self, medals: MedalBook | None, scores: PersonalScoreBook | None) -> None:
        self.medals = medals
        self.scores = scores

    def value(self, v: Any, field: str) -> Any:
        if isinstance(v, msgspec.Struct):
            return self.struct(v, field)
        if isinstance(v, list | tuple):
            return [self.value(x, field) for x in v]
        if isinstance(v, dict):
            return {str(k): self.value(x, str(k)) for k, x in v.items()}
        if isinstance(v, datetime):
            return iso_datetime(v)
        if isinstance(v, timedelta):
            return iso_duration(v)
        if isinstance(v, bytes):
            return v.decode("utf-8", "replace")
        return v

    def struct(self, s: msgspec.Struct, field: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        enums: dict[str, Any] = getattr(type(s), "__enums__", {})
        for name in s.__struct_fields__:
            v = getattr(s, name)
            out[name] = self.value(v, name)
            if name in enums and v is not None:
                out[f"{name}_name"] = enums[name].label(v)
        if isinstance(s, Award):
            self.award(s, field, out)
        elif isinstance(s, Csr):
            out["label"] = s.label
            out["progress"] = s.progress
            out["next_label"] = s.next_label
        elif isinstance(s, ServiceRecord):
            out["kd_ratio"] = s.kd_ratio
            out["win_rate"] = s.win_rate
        return out

    def award(self, a: Award, field: str, out: dict[str, Any]) -> None:
        if field == "medals" and self.medals is not None:
            out["name"] = self.medals.name(a.name_id)
            out["difficulty"] = self.medals.difficulty(a.name_id)
            out["type"] = self.medals.type(a.name_id)
        elif field == "personal_scores" and self.scores is not None:
            out["name"] = self.scores.name(a.name_id)
            out["points"] = self.scores.points(a.name_id)
