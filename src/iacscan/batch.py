"""``--each``: analyse many templates separately, in a process pool sized to the cores, with a
progress bar on stderr when it is a terminal. Results keep the order of the inputs."""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from iacscan.analysis import analyze
from iacscan.classify.profile import Profile, load_profile
from iacscan.load.cfn import Limits
from iacscan.load.confine import named_folders
from iacscan.load.discover import (
    Loaded,
    SynthOptions,
    find_templates,
    load_paths,
    nested_app_errors,
)
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
    named: str | None = None  # the folder named on the command line that holds the file


def expand(paths: Sequence[str]) -> tuple[list[tuple[str, bool, str | None]], int, list[Path]]:
    """Folders of templates become their files (with the folder); CDK apps, cdk.out and
    stacks stay whole. Also the CDK apps found below a folder (not synthesized)."""
    out: list[tuple[str, bool, str | None]] = []
    skipped = 0
    apps: list[Path] = []
    for p in paths:
        path = Path(p)
        if (
            path.is_dir()
            and not (path / "cdk.json").exists()
            and not (path / "manifest.json").exists()
        ):
            loaded = Loaded()
            out.extend((str(f), True, p) for f in find_templates(path, loaded))
            skipped += loaded.skipped
            apps.extend(loaded.nested_apps)
        else:
            out.append((p, False, None))
    return out, skipped, apps


def analyze_loaded(
    loaded: Loaded,
    profile: Profile,
    ignore: Sequence[str],
    multi: bool | None = None,
    systems: Sequence[str | Sequence[str]] = (),
) -> Analysis:
    """The analysis of what ``load_paths`` returned (unlinked templates are separate systems;
    ``systems`` globs group files into one)."""
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
        systems=systems,
    )


def run_job(job: Job) -> list[Analysis]:
    # a file found in a folder named on the command line may read files anywhere under it
    # when no git repository holds it, as in a scan of that folder (load/confine.py)
    with named_folders([Path(job.named)] if job.named else []):
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
    files, skipped, apps = expand(paths)
    jobs = [
        Job(f, from_folder, definition, tuple(ignore), limits, synth, named)
        for f, from_folder, named in files
    ]
    workers = workers or os.cpu_count() or 1
    # Progress goes to standard error whenever it is a terminal, even with standard output
    # redirected to a file (the report is there).
    show = sys.stderr.isatty() and len(jobs) > 1
    if len(jobs) < SERIAL_BELOW or workers == 1:
        iterator: Iterator[list[Analysis]] = map(run_job, jobs)
        pool = None
    else:
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(max_workers=workers)
        iterator = pool.map(run_job, jobs, chunksize=4)
    animate = show and os.environ.get("TERM") != "dumb"  # a dumb terminal gets the tally only
    try:
        results = _with_progress(iterator, [j.path for j in jobs]) if animate else list(iterator)
    finally:
        if pool is not None:
            pool.shutdown()
    reports = [a for r in results for a in r]
    skipped += sum(1 for r in results if not r)
    for p in paths:  # a folder none of whose files was a template: say so, as a scan does
        folder = Path(p)
        if folder.is_dir() and not any(
            r and Path(f).is_relative_to(folder)
            for (f, _, _), r in zip(files, results, strict=True)
        ):
            reports.extend(run_job(Job(p, False, definition, tuple(ignore), limits, synth)))
    named = {Path(p).resolve() for p in paths if not p.startswith("stack:")}
    for error in nested_app_errors(apps, named):  # each one a report that could not analyse
        reports.append(analyze_loaded(Loaded(errors=[error]), load_profile(definition), ignore))
    if show:
        sys.stderr.write(tally(reports, skipped) + "\n")
    return reports, skipped


def _with_progress(
    iterator: Iterator[list[Analysis]], paths: Sequence[str]
) -> list[list[Analysis]]:
    """Collect the results with a progress bar on stderr: count, current file, elapsed, ETA."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    results: list[list[Analysis]] = []
    columns = (
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        TextColumn("{task.description}"),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(_short(paths[0]), total=len(paths))
        for i, r in enumerate(iterator):
            results.append(r)
            following = paths[i + 1] if i + 1 < len(paths) else ""
            progress.update(task, advance=1, description=_short(following))
    return results


def _short(path: str, width: int = 60) -> str:
    return path if len(path) <= width else "…" + path[-(width - 1) :]


def tally(reports: Sequence[Analysis], skipped: int = 0) -> str:
    """``934 reports: 512 serverless, ...; 30 could not be analysed (18 parse, 12 unsupported)``."""
    levels: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    failed = 0
    for r in reports:
        problems = [*r.errors, *r.internal_errors]
        if problems:
            failed += 1
            kinds.update({e.kind for e in problems})
        else:
            levels[r.verdict.level] += 1
    parts = [f"{n} {level}" for level, n in levels.most_common()]
    text = f"{len(reports)} report(s): " + (", ".join(parts) or "none analysed")
    if failed:
        by_kind = ", ".join(f"{n} {kind}" for kind, n in kinds.most_common())
        text += f"; {failed} could not be analysed ({by_kind})"
    if skipped:
        text += f"; {skipped} file(s) skipped (not templates)"
    return text
