"""``--each``: analyse many templates separately, in a process pool sized to the cores, with a
progress bar on stderr when it is a terminal. Results keep the order of the inputs."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from iacscan.analysis import analyze
from iacscan.classify.profile import Profile, load_profile
from iacscan.load.cfn import Limits
from iacscan.load.discover import Loaded, SynthOptions, find_templates, load_paths
from iacscan.load.iam_actions import action_table
from iacscan.model import Analysis

SERIAL_BELOW = 8  # a pool costs more than it saves on a handful of files


@dataclass(frozen=True, slots=True)
class Job:
    path: str
    from_folder: bool
    definition: str
    ignore: tuple[str, ...]
    limits: Limits
    synth: SynthOptions


def expand(paths: Sequence[str]) -> tuple[list[tuple[str, bool]], int]:
    """Folders of templates become their files; CDK apps, cdk.out and stacks stay whole."""
    out: list[tuple[str, bool]] = []
    skipped = 0
    for p in paths:
        path = Path(p)
        if (
            path.is_dir()
            and not (path / "cdk.json").exists()
            and not (path / "manifest.json").exists()
        ):
            loaded = Loaded()
            out.extend((str(f), True) for f in find_templates(path, loaded))
            skipped += loaded.skipped
        else:
            out.append((p, False))
    return out, skipped


def analyze_loaded(
    loaded: Loaded, profile: Profile, ignore: Sequence[str], multi: bool | None = None
) -> Analysis:
    """The analysis of what ``load_paths`` returned, as one system."""
    notes = list(loaded.notes)
    if loaded.skipped:
        notes.append(f"skipped {loaded.skipped} file(s) that are not CloudFormation templates")
    return analyze(
        loaded.templates,
        profile=profile,
        actions=action_table(),
        inputs=loaded.inputs,
        errors=loaded.errors,
        notes=notes,
        ignore=ignore,
        multi=multi,
    )


def run_job(job: Job) -> list[Analysis]:
    loaded = load_paths(
        [job.path], limits=job.limits, synth=job.synth, found_in_folder=job.from_folder
    )
    if not loaded.inputs and not loaded.errors:
        return []  # not a CloudFormation template: skipped
    return [analyze_loaded(loaded, load_profile(job.definition), job.ignore)]


def analyze_each(
    paths: Sequence[str],
    *,
    definition: str,
    ignore: Sequence[str],
    limits: Limits,
    synth: SynthOptions,
    workers: int | None = None,
) -> tuple[list[Analysis], int]:
    files, skipped = expand(paths)
    jobs = [Job(f, folder, definition, tuple(ignore), limits, synth) for f, folder in files]
    workers = workers or os.cpu_count() or 1
    show = sys.stderr.isatty() and len(jobs) > 1
    results: list[list[Analysis]] = []
    if len(jobs) < SERIAL_BELOW or workers == 1:
        results = [run_job(j) for j in jobs]
    else:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers) as pool:
            iterator = pool.map(run_job, jobs, chunksize=4)
            if show:
                from rich.progress import Progress

                with Progress(transient=True) as progress:
                    task = progress.add_task("scanning", total=len(jobs))
                    for r in iterator:
                        results.append(r)
                        progress.advance(task)
            else:
                results = list(iterator)
    reports = [a for r in results for a in r]
    skipped += sum(1 for r in results if not r)
    for p in paths:  # a folder none of whose files was a template: say so, as a scan does
        folder = Path(p)
        if folder.is_dir() and not any(
            r and Path(f).is_relative_to(folder) for (f, _), r in zip(files, results, strict=True)
        ):
            reports.extend(run_job(Job(p, False, definition, tuple(ignore), limits, synth)))
    return reports, skipped
