"""The two sides of ``iacscan diff``, loaded so that no piece of work is done twice.

- A file whose content both sides hold is decoded once (``LoadMemo``); a SAM template's
  translation is shared through the translation cache (``load/sam_cache.py``).
- When both sides hold a CDK app, the two sides load in two threads, so the base's and the
  head's synthesis (two subprocesses, ``load/cdk_synth.py``) run at the same time. Each side
  then loads its files without a process pool (no fork from a process with threads).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from iacscan.load.cfn import Limits
from iacscan.load.discover import Loaded, LoadMemo, SynthOptions, colliding_stems, load_paths


def has_cdk_app(paths: Sequence[str]) -> bool:
    """Whether any path is a CDK app folder that would be synthesized (``cdk.is_cdk_app``,
    without importing the CDK loader for a diff of templates)."""
    return any(not p.startswith("stack:") and (Path(p) / "cdk.json").is_file() for p in paths)


def load_sides(
    base_paths: Sequence[str], head_paths: Sequence[str], *, limits: Limits, synth: SynthOptions
) -> tuple[Loaded, Loaded]:
    memo = LoadMemo()
    # A template is named by its file stem unless another file has that stem: when only one
    # side has two (a pull request adds services/b/template.yaml beside services/a/...), both
    # sides name them by path, or every node of the unchanged one would read as renamed.
    collide = colliding_stems(base_paths) | colliding_stems(head_paths)
    if synth.synth and has_cdk_app(base_paths) and has_cdk_app(head_paths):
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="iacscan-side") as pool:
            sides = [
                pool.submit(
                    load_paths,
                    list(paths),
                    limits=limits,
                    synth=synth,
                    empty_is_error=False,
                    memo=memo,
                    parallel=False,
                    collide=collide,
                )
                for paths in (base_paths, head_paths)
            ]
            return sides[0].result(), sides[1].result()
    base, head = (
        load_paths(
            paths, limits=limits, synth=synth, empty_is_error=False, memo=memo, collide=collide
        )
        for paths in (base_paths, head_paths)
    )
    return base, head
