"""The resolver's budget: BASE_BUDGET plus BUDGET_PER_VALUE per value of the templates, where the
count of values is only taken when a run has spent BASE_BUDGET (counting walks every value)."""

from __future__ import annotations

from typing import Any

import pytest

import iacscan.resolve.scope as scope_module
from iacscan.model import Resource, Template
from iacscan.resolve import Unknown
from iacscan.resolve.meter import Meter
from iacscan.resolve.scope import Scope


def _template(values: int) -> Template:
    props: dict[str, Any] = {"Tags": [{"Key": f"k{i}", "Value": f"v{i}"} for i in range(values)]}
    res = Resource("Queue", "AWS::SQS::Queue", props, 1)
    return Template(stack="s", file="s.yaml", kind="cloudformation", resources={"Queue": res})


def test_the_extra_budget_is_asked_for_once_when_the_base_is_spent() -> None:
    calls: list[int] = []

    def more() -> int:
        calls.append(1)
        return 5

    m = Meter(10, more)
    assert m.charge(10) is None and calls == []  # the base alone is not exceeded
    assert m.charge(1) is None and calls == [1] and m.budget == 15
    assert m.charge(4) is None and calls == [1]
    over = m.charge(1)
    assert isinstance(over, Unknown) and "more than 15 steps" in over.reason
    assert calls == [1] and m.exhausted is not None


def test_a_scope_does_not_count_values_when_the_base_budget_is_enough(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def boom(t: Template) -> int:
        raise AssertionError("values counted")

    monkeypatch.setattr(scope_module, "_count_values", boom)
    t = _template(50)
    scope = Scope({"s": t})
    assert scope.resolve("s", t.resources["Queue"].properties)["Tags"][49] == {
        "Key": "k49",
        "Value": "v49",
    }


def test_the_bound_is_the_same_as_counting_first(monkeypatch: pytest.MonkeyPatch) -> None:
    t = _template(50)
    values = scope_module._count_values(t)
    budget = 10 + scope_module.BUDGET_PER_VALUE * values
    monkeypatch.setattr(scope_module, "BASE_BUDGET", 10)
    props = t.resources["Queue"].properties
    steps = 1 + 1 + 50 * 3  # the properties, the list, each tag and its two values
    scope = Scope({"s": t})
    for _ in range(budget // steps):  # what fits in the whole budget resolves
        assert not isinstance(scope.resolve("s", props)["Tags"][49], Unknown)
    assert scope.meter.budget == budget and scope.exhausted is None
    scope.resolve("s", props)  # one more resolve goes over it
    assert scope.exhausted is not None and f"{budget:,} steps" in scope.exhausted[0]
