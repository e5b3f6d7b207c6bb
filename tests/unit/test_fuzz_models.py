"""Fuzzing the decoders with mutated real samples: every kind either decodes or raises
ParseError, never another exception, never a hang; what decodes also exports to JSON.

Bounded by HALOTRACK_FUZZ_EXAMPLES (default 25 per property and sample).
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from halotrack.errors import ParseError
from halotrack.models import KINDS, decode
from halotrack.models.export import to_jsonable
from tests.support.fuzz import EXAMPLES, SAMPLES, fuzz_settings, hang_guard, mutated_body, sample

pytestmark = pytest.mark.slow


def _decode_or_parse_error(kind: str, body: bytes) -> object | None:
    """The property itself: a model, or None after a ParseError that names the source."""
    with hang_guard():
        try:
            value = decode(kind, body, source="fuzz://sample")
        except ParseError as exc:
            assert exc.url == "fuzz://sample"
            assert exc.message and "\n" not in exc.message[:300]
            return None
    assert value.raw_bytes == body if hasattr(value, "raw_bytes") else True
    return value


@pytest.mark.parametrize("rel", sorted(SAMPLES))
def test_unmutated_samples_decode(rel: str) -> None:
    """The seeds themselves are good bodies (otherwise the fuzzing proves little)."""
    value = decode(SAMPLES[rel], json.dumps(sample(rel)).encode())
    to_jsonable(value)


@pytest.mark.parametrize("rel", sorted(SAMPLES))
def test_mutated_sample_decodes_or_is_a_parse_error(rel: str) -> None:
    kind = SAMPLES[rel]

    @fuzz_settings()
    @given(body=mutated_body(sample(rel)))
    def prop(body: bytes) -> None:
        value = _decode_or_parse_error(kind, body)
        if value is not None:
            with hang_guard():
                json.dumps(to_jsonable(value), allow_nan=True)

    prop()


@fuzz_settings(3 * EXAMPLES)
@given(
    rel=st.sampled_from(sorted(SAMPLES)),
    kind=st.sampled_from(sorted(KINDS)),
    data=st.data(),
)
def test_any_body_as_any_kind(rel: str, kind: str, data: st.DataObject) -> None:
    """A body of one kind sent where another is expected (a proxy, a moved endpoint)."""
    body = data.draw(mutated_body(sample(rel)))
    _decode_or_parse_error(kind, body)


@fuzz_settings()
@given(body=st.binary(max_size=512), kind=st.sampled_from(sorted(KINDS)))
def test_arbitrary_bytes(body: bytes, kind: str) -> None:
    _decode_or_parse_error(kind, body)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"null",
        b"[]",
        b"{",
        b"\xff\xfe{}",
        b'{"a": NaN}',
        b'{"a": 1e400}',
        b'{"a": "\\ud800"}',
        b"[" * 200_000 + b"]" * 200_000,
        b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        b" " * 1_000_000,
    ],
    ids=lambda b: repr(b[:12]),
)
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_pathological_bodies(kind: str, body: bytes) -> None:
    _decode_or_parse_error(kind, body)
