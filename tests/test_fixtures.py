"""Every fixture template against its hand-written expectation (nodes, edges, verdict...)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from iacscan.model import Analysis
from scan_helpers import edge_set, node_roles, scan

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "fixtures" / "templates"
CASES = sorted(TEMPLATES.glob("*.expected.yaml"))


def _template(expected: Path) -> Path:
    """NAME.yaml, or the folder NAME/ when the case is several templates scanned together."""
    single = expected.with_name(expected.name.replace(".expected.yaml", ".yaml"))
    folder = expected.with_name(expected.name.replace(".expected.yaml", ""))
    return folder if not single.exists() and folder.is_dir() else single


def _check_extras(spec: dict[str, Any], a: Analysis, base: Path) -> None:
    """Optional keys: errors (file relative to the case, kind), node properties, cases,
    and words that warnings, notes, the summary or the architecture reasons must contain."""
    if "errors" in spec:
        got = {(os.path.relpath(e.file, base), e.kind) for e in a.errors}
        assert got == {(e["file"], e["kind"]) for e in spec["errors"]}, a.errors
    else:
        assert not a.errors, a.errors
    nodes = {n.id: n for n in a.topology.nodes}
    for node_id, props in (spec.get("properties") or {}).items():
        for key, value in props.items():
            assert nodes[node_id].properties.get(key) == value, (node_id, key, nodes[node_id])
    if "cases" in spec:
        cases = a.verdict.cases
        want = spec["cases"]
        if want is None:
            assert cases is None, cases
        else:
            assert cases is not None, a.verdict.summary
            assert (cases.best, cases.worst) == (want["best"], want["worst"]), cases
            for words in want.get("missing_contain", ()):
                assert any(words in m for m in cases.missing), cases.missing
    texts = {
        "warnings_contain": a.verdict.warnings,
        "notes_contain": a.notes,
        "summary_contains": (a.verdict.summary,),
        "reasons_contain": a.verdict.architecture_reasons,
    }
    for key, found in texts.items():
        for words in spec.get(key, ()):
            assert any(words in t for t in found), (key, words, found)


@pytest.mark.parametrize("expected", CASES, ids=[c.name.split(".")[0] for c in CASES])
def test_fixture(expected: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = yaml.safe_load(expected.read_text())
    profile = spec.get("profile", "johnston-2023")
    # Scanned by a path relative to the repository, as CI does: ids of unseen files are stable.
    monkeypatch.chdir(ROOT)
    target = _template(expected).relative_to(ROOT)
    a = scan([target], profile)
    _check_extras(spec, a, target if target.is_dir() else target.parent)
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
