"""The cost report's line items: dearest first, then by subject and price row (the order the
report has always had), also with ties, zeros, infinities and NaN."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from iacscan.cost.price import _dearest_first
from iacscan.model import LineItem

_items = st.lists(
    st.builds(
        LineItem,
        subject=st.sampled_from(["a", "b", "A -triggers-> b", ""]),
        subject_kind=st.just("node"),
        what=st.text(max_size=3),
        quantity=st.just(1.0),
        unit_price=st.just(1.0),
        price_key=st.sampled_from(["lambda.request", "s3.get", "s3.put"]),
        source=st.just("s"),
        monthly=st.sampled_from([0.0, -0.0, 1.0, 2.5, 1e-9, 1e300, math.inf, math.nan]),
    ),
    max_size=12,
)


def _one_sort(items: list[LineItem]) -> list[LineItem]:
    return sorted(items, key=lambda i: (-i.monthly, i.subject, i.price_key))


@settings(max_examples=400, deadline=None)
@given(_items)
def test_same_order_as_one_sort_on_the_tuple(items: list[LineItem]) -> None:
    got = _dearest_first(items)
    want = _one_sort(items)
    assert [id(i) for i in got] == [id(i) for i in want]


def test_ties_keep_their_order_and_cost_decides_first() -> None:
    def item(subject: str, key: str, monthly: float, what: str) -> LineItem:
        return LineItem(subject, "node", what, 1.0, 1.0, key, "s", monthly)

    rows = [
        item("b", "k", 1.0, "first"),
        item("a", "k", 1.0, "x"),
        item("b", "k", 1.0, "second"),
        item("z", "k", 5.0, "y"),
    ]
    assert [(i.subject, i.what) for i in _dearest_first(rows)] == [
        ("z", "y"),
        ("a", "x"),
        ("b", "first"),
        ("b", "second"),
    ]
