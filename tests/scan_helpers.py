"""Run the pipeline the way the CLI does, for tests that assert on the Analysis."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

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


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``iacscan ARGS...`` in a fresh interpreter, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "iacscan", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def git_repo(repo: Path) -> None:
    """Make ``repo`` a git repository with everything in it committed (the base of a diff)."""

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)

    git("init", "-q")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "base")
