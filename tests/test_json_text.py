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

from iacscan.render.json_text import Rows, dumps

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
    # lists of records (the same keys in the same order), written a column at a time
    [{"a": 1, "b": "x", "c": 0.5}] * 5,
    [{"a": i, "b": str(i), "c": i / 3, "d": None, "e": i % 2 == 0} for i in range(6)],
    [{"f": x} for x in (1.5, math.nan, math.inf, -math.inf, -0.0)],
    [{"m": x} for x in (1, 2.5, "s", None, True, Kind.a, Level.two, [1, {}], {"n": [2]})],
    [{"%s": 1, "%d%%": "%s"}] * 4,
    [{1: "int", 2.5: "float", None: "none", False: "bool"}] * 4,
    [{"a": 1, "b": 2}, {"b": 2, "a": 1}, {"a": 1, "b": 2}, {"a": 1, "b": 2}],
    [{"a": 1}, {"a": 1, "b": 2}, {"a": 1}, {"a": 1}],
    [{}, {}, {}, {}],
    [{"a": 1}, {"a": 1}, {"a": 1}, [1]],
    ({"t": (1, 2)}, {"t": (3,)}, {"t": ()}, {"t": []}),
    [{"r": [{"x": 1, "y": "é"}] * 4}] * 4,
    # longer than a chunk of rows encoded together, with types that change from chunk to chunk
    [{"v": i * 0.5, "s": str(i), "n": i} for i in range(300)]
    + [{"v": math.nan, "s": None, "n": 1.5}],
    [{"a": i, "b": i} for i in range(200)] + [{"b": 0, "a": 0}] + [{"a": 1, "b": 1}] * 50,
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


class Record(dict):  # type: ignore[type-arg]
    pass


_keys = st.sampled_from(["a", "b", "c", "%s", "é"])
_records = st.lists(
    st.dictionaries(_keys, _values, min_size=0, max_size=3)
    | st.builds(Record, st.dictionaries(_keys, _scalars, max_size=2)),
    min_size=4,
    max_size=8,
)
_one_layout = st.integers(4, 8).flatmap(
    lambda n: st.lists(_keys, min_size=1, max_size=4, unique=True).flatmap(
        lambda keys: st.lists(
            st.tuples(*[_scalars for _ in keys]).map(lambda vs: dict(zip(keys, vs, strict=True))),
            min_size=n,
            max_size=n,
        )
    )
)


@settings(max_examples=300, deadline=None)
@given(_records | _one_layout)
def test_generated_records(value: list[dict[str, Any]]) -> None:
    assert dumps(value) == _stdlib(value)
    assert dumps({"rows": value, "nested": [value]}) == _stdlib({"rows": value, "nested": [value]})


def test_rows_are_written_as_the_dicts_they_stand_for() -> None:
    keys = ("a", "%s", "é")
    columns = [list(range(300)), [i / 7 for i in range(299)] + [math.nan], ["x", None, 1.5] * 100]
    dicts = [dict(zip(keys, row, strict=True)) for row in zip(*columns, strict=True)]
    assert dumps({"r": Rows(keys, columns)}) == _stdlib({"r": dicts})
    assert dumps(Rows(("a",), [[]])) == "[]"
    assert dumps([Rows((), ())]) == _stdlib([[]])
    with pytest.raises(ValueError):
        Rows(("a", "b"), [[1], [1, 2]])
    with pytest.raises(TypeError):
        json.dumps(Rows(keys, columns))
