"""render/json_text.dumps is json.dumps(value, indent=2, ensure_ascii=False), byte for byte."""

from __future__ import annotations

import json
import math
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iacscan.render.json_text import dumps

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots" / "json"


def _stdlib(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


class Kind(StrEnum):
    a = "a"


class Level(IntEnum):
    two = 2


ODD: list[Any] = [
    {},
    [],
    (),
    "",
    None,
    True,
    False,
    0,
    -0.0,
    0.1,
    1e-07,
    1e22,
    2**70,
    math.inf,
    -math.inf,
    math.nan,
    'é \u2028 \x00 \x1f " \\ / \ud800 ☃',
    {"a": {}, "b": [], "c": [[], {}], "d": ({"e": (1, 2.5)},)},
    {1: "int", 2.5: "float", None: "none", "s": "str"},
    {False: "bool", 3: "int"},
    {Kind.a: Kind.a, "level": Level.two},
    [[[[[{"deep": [1]}]]]]],
]


@pytest.mark.parametrize("value", ODD, ids=[repr(v)[:30] for v in ODD])
def test_odd_values(value: Any) -> None:
    assert dumps(value) == _stdlib(value)


def test_every_golden_report() -> None:
    files = sorted(SNAPSHOTS.glob("*.json"))
    assert files
    for path in files:
        data = json.loads(path.read_text("utf-8"))
        assert dumps(data) == _stdlib(data), path.name


def test_what_json_refuses_is_refused() -> None:
    with pytest.raises(TypeError):
        dumps({"a": object()})
    with pytest.raises(TypeError):
        dumps({(1, 2): "tuple key"})


_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(_values)
def test_generated_values(value: Any) -> None:
    assert dumps(value) == _stdlib(value)
