"""Every fixture template against its hand-written expectation (nodes, edges, verdict...)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from scan_helpers import edge_set, node_roles, scan

TEMPLATES = Path(__file__).resolve().parent.parent / "fixtures" / "templates"
CASES = sorted(TEMPLATES.glob("*.expected.yaml"))


def _template(expected: Path) -> Path:
    return expected.with_name(expected.name.replace(".expected.yaml", ".yaml"))


@pytest.mark.parametrize("expected", CASES, ids=[c.name.split(".")[0] for c in CASES])
def test_fixture(expected: Path) -> None:
    spec = yaml.safe_load(expected.read_text())
    profile = spec.get("profile", "johnston-2023")
    a = scan([_template(expected)], profile)
    assert not a.errors, a.errors
    assert not a.internal_errors, a.internal_errors
    assert node_roles(a) == spec["nodes"]
    assert edge_set(a) == set(spec["edges"])
    for key, value in spec.get("verdict", {}).items():
        assert getattr(a.verdict, key) == value, (key, a.verdict.summary, a.verdict.idle_costs)
    if "findings" in spec:
        assert {f.rule for f in a.findings} == set(spec["findings"])
    if "boundary" in spec:
        assert set(a.boundary.ingress) == set(spec["boundary"]["ingress"])
        assert set(a.boundary.egress) == set(spec["boundary"]["egress"])
    for other, fields in (spec.get("other_profiles") or {}).items():
        b = scan([_template(expected)], other)
        for key, value in fields.items():
            assert getattr(b.verdict, key) == value, (other, key, b.verdict.summary)


def test_one_edge_per_source_target_kind() -> None:
    a = scan([TEMPLATES / "prime-video-before.yaml"])
    keys = [(e.source, e.target, e.kind) for e in a.topology.edges]
    assert len(keys) == len(set(keys))
    # The state machine's invoke of the converter carries both the IAM and the definition evidence.
    (edge,) = [
        e
        for e in a.topology.edges
        if (e.source, e.target) == ("MonitorStateMachine", "ConverterFunction")
    ]
    whats = {v.what.split(" (")[0] for v in edge.via}
    assert any(w.startswith("IAM lambda:InvokeFunction") for w in whats)
    assert any("ProcessSecond/ConvertFrame" in v.what for v in edge.via)
