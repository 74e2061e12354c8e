"""Command-line paths as the user meant them: ``-`` (a template on standard input) and glob
patterns that the shell did not expand (quoted, or from the Action's ``paths`` input)."""

from __future__ import annotations

import glob
import sys
from collections.abc import Sequence
from pathlib import Path

GLOB_CHARS = frozenset("*?[")


def expand_globs(paths: Sequence[str]) -> list[str]:
    """Each pattern that is not an existing path becomes the sorted paths it matches (``**``
    crosses folders); a pattern matching nothing stays as given, so that the loader reports it
    as missing."""
    out: list[str] = []
    for p in paths:
        if p.startswith("stack:") or p == "-" or not GLOB_CHARS & set(p) or Path(p).exists():
            out.append(p)
            continue
        matches = sorted(glob.glob(p, recursive=True))
        out.extend(matches or [p])
    return out


def read_stdin(folder: Path, limit: int) -> Path:
    """Standard input, written to ``folder`` as ``stdin.json`` or ``stdin.yaml`` (by its first
    character), so that it loads like any template file."""
    data = sys.stdin.buffer.read(limit + 1)
    first = data.lstrip()[:1]
    target = folder / ("stdin.json" if first in (b"{", b"[") else "stdin.yaml")
    target.write_bytes(data)
    return target
