"""Run the pipeline the way the CLI does, for tests that assert on the Analysis."""

from __future__ import annotations

from collections.abc import Sequence

from iacscan.analysis import analyze
from iacscan.classify.profile import load_profile
from iacscan.load.discover import load_paths
from iacscan.load.iam_actions import action_table
from iacscan.model import Analysis


def scan(paths: Sequence[str], definition: str = "johnston-2023") -> Analysis:
    loaded = load_paths([str(p) for p in paths])
    return analyze(
        loaded.templates,
        profile=load_profile(definition),
        actions=action_table(),
        inputs=loaded.inputs,
        errors=loaded.errors,
        notes=loaded.notes,
    )


def edge_set(a: Analysis) -> set[str]:
    return {f"{e.source} -{e.kind}-> {e.target}" for e in a.topology.edges}


def node_roles(a: Analysis) -> dict[str, str]:
    return {n.id: n.role for n in a.topology.nodes}
