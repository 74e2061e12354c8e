"""Read the same paths from a git revision into a temporary folder (for ``diff --base-ref``)."""

from __future__ import annotations

import io
import subprocess
import tarfile
from collections.abc import Sequence
from pathlib import Path

from iacscan.errors import UnsupportedInput


def _git(args: Sequence[str], cwd: Path) -> bytes:
    try:
        proc = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, timeout=120, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise UnsupportedInput(
            f"git failed: {err}", "is git installed and is this a repository?"
        ) from None
    if proc.returncode != 0:
        raise UnsupportedInput(
            f"git {' '.join(args[:2])} failed: {proc.stderr.decode(errors='replace').strip()[:300]}",
            "check the revision name (fetch the base branch in CI: actions/checkout with fetch-depth: 0)",
        )
    return proc.stdout


def materialize(ref: str, paths: Sequence[str], dest: Path) -> list[str]:
    """Extract ``paths`` as they are at ``ref`` under ``dest``; returns the new paths."""
    cwd = Path.cwd()
    top = Path(_git(["rev-parse", "--show-toplevel"], cwd).decode().strip())
    rels = [str(Path(p).resolve().relative_to(top)) for p in paths]
    dest.mkdir(parents=True, exist_ok=True)
    present = []
    for rel in rels:
        listed = _git(["ls-tree", "--name-only", ref, "--", rel], top).strip()
        if listed:  # a path that does not exist at ref (a PR adding it) is simply empty there
            present.append(rel)
    if not present:
        return []
    archive = _git(["archive", "--format=tar", ref, "--", *present], top)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    return [str(dest / r) for r in present]
