"""CDK apps scanned end to end: synthesized for real, verdicts, construct paths, cross-stack edges."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from scan_helpers import edge_set, scan

APPS = Path(__file__).resolve().parent.parent / "fixtures" / "cdk_apps"
pytestmark = pytest.mark.cdk


@pytest.fixture(autouse=True)
def _venv_python_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")


def test_prime_video_before_app() -> None:
    a = scan([APPS / "prime_video_before"])
    assert not a.errors, a.errors
    assert a.verdict.level == "serverless"
    assert a.verdict.architecture == "distributed"
    assert {f.rule for f in a.findings} >= {
        "sfn-standard-per-item",
        "s3-intermediate-bus",
        "fan-out-re-reads",
    }
    paths = {n.path for n in a.topology.nodes}
    assert "PrimeVideoBefore/ConverterFunction/Resource" in paths
    kinds = {
        (e.kind, a.topology.node(e.source).type, a.topology.node(e.target).type)
        for e in a.topology.edges
    }  # type: ignore[union-attr]
    assert ("invokes", "AWS::StepFunctions::StateMachine", "AWS::Lambda::Function") in kinds
    assert ("reads", "AWS::S3::Bucket", "AWS::Lambda::Function") in kinds


def test_multi_stack_app_has_edges_across_stacks() -> None:
    a = scan([APPS / "multi_stack"])
    assert not a.errors, a.errors
    cross = [
        e
        for e in a.topology.edges
        if a.topology.node(e.source).stack != a.topology.node(e.target).stack
    ]  # type: ignore[union-attr]
    assert cross, edge_set(a)
    assert all(e.kind == "triggers" for e in cross)
