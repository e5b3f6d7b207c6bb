"""Hypothesis strategies that mutate the real API samples the way a drifting API could.

Why: the decoders and the store's column extraction meet whatever the service sends; the
real samples are the best seeds. A mutation walks a path chosen by hypothesis into the
parsed document and copies only the containers on that path, so even the 470 KB career
track costs little per example.

`HALOTRACK_FUZZ_EXAMPLES` sets the examples per property (some cheap properties take a
multiple): 200 by default, about three times the run time of 25; e.g. 2000 overnight.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.support.samples import SAMPLES as SAMPLES

REAL = Path(__file__).parents[1] / "data" / "real"
EXAMPLES = int(os.environ.get("HALOTRACK_FUZZ_EXAMPLES", "200"))


def fuzz_settings(examples: int = EXAMPLES) -> Callable[[Any], Any]:
    """Bounded, deadline-free (the hang guard below is the limit), fixture-tolerant."""
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
        ],
    )


@cache
def sample(rel: str) -> Any:
    return json.loads((REAL / rel).read_bytes())


# Values that real drift has produced or could: retyped fields, new enum numbers, numbers
# beyond every integer width, unicode (RTL, combining, astral, NUL), nesting changes.
HOSTILE_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 2**31, -(2**31) - 1, 2**63, -(2**63) - 1, 2**64, 10**30, 99, 1000]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1e308, -1e308, 5e-324, -0.0, 1.5]),
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            "\u202egnp.exe",
            "e\u0301\u0301\u0301",
            "\U0001f47e" * 20,
            "\x00",
            "a" * 5000,
            "P1DT2H",
            "PT",
            "-P99999999999999999999D",
            "2025-13-45T99:99:99Z",
            "xuid(123)",
            "NaN",
            "Infinity",
        ]
    ),
)
HOSTILE_VALUES = st.recursive(
    HOSTILE_SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=8,
)

OPS = ("delete", "replace", "wrap_list", "wrap_dict", "unwrap", "empty", "retype", "add_key")


def _retype(value: Any) -> Any:
    """Same information, other JSON type: 3 -> "3", "3" -> 3, [..] -> {..}, {..} -> [..]."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return len(value)
    if isinstance(value, list):
        return {str(i): v for i, v in enumerate(value)}
    if isinstance(value, dict):
        return list(value.values())
    return "null"


def _apply(op: str, value: Any, new: Any) -> tuple[bool, Any]:
    """(keep the key?, new value) for an operation on one value."""
    if op == "delete":
        return False, None
    if op == "replace":
        return True, new
    if op == "wrap_list":
        return True, [value]
    if op == "wrap_dict":
        return True, {"Value": value}
    if op == "unwrap":
        if isinstance(value, list):
            return True, value[0] if value else None
        if isinstance(value, dict):
            return True, next(iter(value.values()), None)
        return True, value
    if op == "empty":
        return True, type(value)() if isinstance(value, list | dict | str) else 0
    if op == "retype":
        return True, _retype(value)
    if op == "add_key":
        if isinstance(value, dict):
            return True, {**value, "NewField\u00e9": new}
        return True, new
    raise AssertionError(op)


def mutate(doc: Any, path: list[int], op: str, new: Any) -> Any:
    """A copy of `doc` with `op` applied at the node `path` leads to (copy-on-write)."""
    if not path or not isinstance(doc, dict | list) or not doc:
        keep, value = _apply(op, doc, new)
        return value if keep else None
    pick, rest = path[0], path[1:]
    if isinstance(doc, dict):
        key = list(doc)[pick % len(doc)]
        child = doc[key]
        if not rest or not isinstance(child, dict | list) or not child:
            keep, value = _apply(op, child, new)
            out = dict(doc)
            if keep:
                out[key] = value
            else:
                del out[key]
            return out
        return {**doc, key: mutate(child, rest, op, new)}
    i = pick % len(doc)
    items = list(doc)
    if not rest or not isinstance(items[i], dict | list) or not items[i]:
        keep, value = _apply(op, items[i], new)
        if keep:
            items[i] = value
        else:
            del items[i]
        return items
    items[i] = mutate(items[i], rest, op, new)
    return items


MUTATION = st.tuples(
    st.lists(st.integers(min_value=0, max_value=2**16), min_size=1, max_size=9),
    st.sampled_from(OPS),
    HOSTILE_VALUES,
)


def _dumps(doc: Any) -> bytes:
    # allow_nan: Python writes NaN/Infinity tokens, which are not JSON; decoders must refuse.
    return json.dumps(doc, ensure_ascii=False, allow_nan=True).encode("utf-8", "surrogatepass")


@st.composite
def mutated_body(draw: st.DrawFn, doc: Any) -> bytes:
    """`doc` with 1-4 structural mutations, then sometimes a byte-level one."""
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        path, op, new = draw(MUTATION)
        doc = mutate(doc, path, op, new)
    body = _dumps(doc)
    tail = draw(st.sampled_from(["none"] * 6 + ["truncate", "flip", "nest", "junk", "bom"]))
    if tail == "truncate":
        body = body[: draw(st.integers(min_value=0, max_value=max(0, len(body) - 1)))]
    elif tail == "flip" and body:
        i = draw(st.integers(min_value=0, max_value=len(body) - 1))
        body = body[:i] + bytes([body[i] ^ draw(st.integers(1, 255))]) + body[i + 1 :]
    elif tail == "nest":
        depth = draw(st.sampled_from([64, 1_000, 100_000]))
        body = b"[" * depth + body + b"]" * depth
    elif tail == "junk":
        body = body + draw(st.binary(min_size=1, max_size=16))
    elif tail == "bom":
        body = b"\xef\xbb\xbf" + body
    return body


class Hang(Exception):
    """An example ran far longer than any sane decode (seconds, not milliseconds)."""


@contextmanager
def hang_guard(seconds: int = 20) -> Iterator[None]:
    """Fail an example that does not finish in `seconds` (main thread only; else no-op)."""

    def boom(*_: object) -> None:
        raise Hang(f"no result after {seconds}s")

    try:
        old = signal.signal(signal.SIGALRM, boom)
    except ValueError:  # not the main thread
        yield
        return
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
