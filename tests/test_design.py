"""The design rules of issue 16, checked on the product itself."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from iacscan.knowledge.resource_types import TRAITS, has_trait, type_info
from iacscan.render.json_report import render_json
from iacscan.topology import registry
from iacscan.topology.result import TopologyResult
from scan_helpers import scan
from test_golden_reports import CASES

ROOT = Path(__file__).resolve().parent.parent


def test_extraction_does_not_depend_on_registry_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each extractor declares what it needs; the list's order must not change any report."""
    monkeypatch.chdir(ROOT)
    forward = {name: render_json(scan(paths)) for name, paths in CASES}
    monkeypatch.setattr(registry, "EXTRACTORS", tuple(reversed(registry.EXTRACTORS)))
    order = [ident for ident, _ in registry.in_dependency_order(registry.EXTRACTORS)]
    assert order.index("iam") > max(order.index(i) for i in ("eventbridge", "pipes", "step-functions"))
    for name, paths in CASES:
        assert render_json(scan(paths)) == forward[name], name


def test_extractors_that_need_each_other_in_a_cycle_are_refused() -> None:
    a = registry.Extractor("a", lambda ctx: None, needs=("b",))
    b = registry.Extractor("b", lambda ctx: None, needs=("a",))
    with pytest.raises(ValueError, match="cycle: a, b"):
        registry.in_dependency_order([a, b])


def test_classification_gets_a_frozen_result_without_build_state() -> None:
    fields = {f.name for f in dataclasses.fields(TopologyResult)}
    assert "context" not in fields and {"view", "facts", "topology"} <= fields
    assert TopologyResult.__dataclass_params__.frozen  # type: ignore[attr-defined]


def test_traits_come_from_the_table() -> None:
    assert has_trait("AWS::RDS::DBInstance", "instance-priced-data")
    assert has_trait("AWS::RDS::SomeFutureType", "instance-priced-data")  # service-wide row
    assert not has_trait("AWS::DynamoDB::Table", "instance-priced-data")
    assert has_trait("AWS::ECS::TaskDefinition", "startable")
    assert not has_trait("AWS::SNS::Topic", "startable")
    assert has_trait("AWS::Lambda::Url", "request-ingress")
    assert has_trait("AWS::EC2::Instance", "fixed-fleet")
    assert type_info("AWS::ECS::CapacityProvider").judged_alone is False
    with pytest.raises(ValueError):
        has_trait("AWS::EC2::Instance", "no-such-trait")
    assert "startable" in TRAITS


def test_a_template_named_like_an_expectation_file_is_scanned(tmp_path: Path) -> None:
    """Discovery decides by content: a user's prod.expected.yaml is a template like any other."""
    (tmp_path / "prod.expected.yaml").write_text(
        "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n", encoding="utf-8"
    )
    (tmp_path / "notes.yaml").write_text("title: not a template\n", encoding="utf-8")
    a = scan([str(tmp_path)])
    assert {n.id for n in a.topology.nodes} == {"Q"}
    assert not a.errors
    assert json.loads(render_json(a))["inputs"][0]["path"].endswith("prod.expected.yaml")


def test_one_list_of_fail_on_values() -> None:
    from iacscan import config
    from iacscan.cli.options import FailOn
    from iacscan.model import FAIL_ON_VALUES

    assert tuple(f.value for f in FailOn) == FAIL_ON_VALUES
    assert frozenset(FAIL_ON_VALUES) == config.FAIL_ON
