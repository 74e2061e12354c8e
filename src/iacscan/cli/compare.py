"""``iacscan diff`` and ``iacscan graph``."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from iacscan.cli.costing import PricesOpt, RateOpt, UsageOpt, cost_options, diff_with_cost
from iacscan.cli.options import (
    EXIT_USAGE,
    MAX_DEPTH,
    MAX_FILE_SIZE,
    SYNTH_TIMEOUT,
    ConfigRefOpt,
    DebugOpt,
    DefinitionOpt,
    FailOn,
    FailOnOpt,
    Format,
    FormatOpt,
    GraphFormat,
    IgnoreOpt,
    MaxDepthOpt,
    MaxSizeOpt,
    NoCacheOpt,
    NoColorOpt,
    NoSynthOpt,
    OutputOpt,
    Paths,
    ProfileOpt,
    QuietOpt,
    RegionOpt,
    SandboxChoice,
    SandboxOpt,
    SynthTimeoutOpt,
    sandbox_mode,
)
from iacscan.cli.runner import (
    Run,
    analyze_paths,
    exit_code,
    fail_with,
    internal_error,
    limits_from,
    loading,
    report_errors,
    report_internal,
    use_aws,
)
from iacscan.errors import IacscanError

if TYPE_CHECKING:
    from iacscan.model import Analysis, AnalysisDiff


def diff(
    paths: Annotated[
        list[str] | None, typer.Argument(help="BASE HEAD, or PATH... with --base-ref.")
    ] = None,
    base_ref: Annotated[
        str | None,
        typer.Option("--base-ref", help="Read PATHs from this git revision for the base side."),
    ] = None,
    head_ref: Annotated[
        str | None,
        typer.Option(
            "--head-ref",
            help="Read PATHs from this git revision for the head side (default: the work tree).",
        ),
    ] = None,
    fmt: FormatOpt = Format.text,
    output: OutputOpt = None,
    definition: DefinitionOpt = None,
    fail_on: FailOnOpt = None,
    ignore: IgnoreOpt = None,
    quiet: QuietOpt = False,
    no_color: NoColorOpt = False,
    debug: DebugOpt = False,
    no_synth: NoSynthOpt = False,
    no_cache: NoCacheOpt = False,
    synth_timeout: SynthTimeoutOpt = SYNTH_TIMEOUT,
    sandbox: SandboxOpt = SandboxChoice.auto,
    max_file_size: MaxSizeOpt = MAX_FILE_SIZE,
    max_depth: MaxDepthOpt = MAX_DEPTH,
    region: RegionOpt = None,
    profile: ProfileOpt = None,
    usage: UsageOpt = None,
    rate: RateOpt = None,
    prices: PricesOpt = None,
    config_ref: ConfigRefOpt = None,
) -> None:
    """Compare two versions of the infrastructure: topology, boundary, verdict and findings."""
    import tempfile

    from iacscan.diff import diff_analyses
    from iacscan.load.args import expand_globs
    from iacscan.load.discover import SynthOptions

    # quoted globs match in the work tree (with --base-ref, a file only the base has is missed:
    # name its folder instead)
    paths = expand_globs(paths or [])
    try:
        run = Run(
            paths=paths,
            fmt=fmt,
            output=output,
            definition=definition,
            quiet=quiet,
            no_color=no_color,
            debug=debug,
            ignore=ignore,
            fail_on=fail_on,
            # The gate belongs to the base: with --base-ref the configuration is read there.
            config_ref=config_ref or base_ref,
        )
        limits = limits_from(max_file_size, max_depth, synth_timeout)
        synth = SynthOptions(
            synth=not no_synth, use_cache=not no_cache, sandbox=sandbox_mode(sandbox)
        )
        use_aws(region, profile)
        renames: list[tuple[str, str]] = []  # extracted folder -> the work tree's, as shown
        with tempfile.TemporaryDirectory(prefix="iacscan-diff-") as tmp:
            if head_ref is not None and base_ref is None:
                typer.echo("error: --head-ref needs --base-ref", err=True)
                raise typer.Exit(EXIT_USAGE)
            if base_ref is not None:
                from iacscan.load.gitrev import materialize

                if not paths:
                    paths = ["."]
                whole = not no_synth  # a CDK app's base side brings the whole repository
                at_base = materialize(base_ref, paths, Path(tmp) / "base", whole_for_cdk=whole)
                base_paths = list(at_base.values())
                if head_ref:
                    head_at = materialize(head_ref, paths, Path(tmp) / "head", whole_for_cdk=whole)
                    head_paths = list(head_at.values())
                else:
                    # A path the change deletes is empty on the head side, as a path it adds
                    # is on the base side; one missing from both is still an error.
                    head_paths = [p for p in paths if Path(p).exists() or p not in at_base]
            else:
                if len(paths) != 2:
                    typer.echo(
                        "error: diff needs BASE and HEAD paths, or --base-ref REF [PATH...]",
                        err=True,
                    )
                    raise typer.Exit(EXIT_USAGE)
                base_paths, head_paths = [paths[0]], [paths[1]]
            from iacscan.batch import analyze_loaded
            from iacscan.load.discover import requalify
            from iacscan.load.sides import load_sides

            definition_profile = run.profile()
            with loading():
                base, head = load_sides(base_paths, head_paths, limits=limits, synth=synth)
            for side in (base, head):  # a name one side qualifies, both sides do
                requalify(side, base.shared | head.shared)
            if base_ref is not None:  # what the extraction of a revision could not give
                from iacscan.load.gitrev import notes, shown_as

                base.notes.extend(notes(Path(tmp) / "base"))
                head.notes.extend(notes(Path(tmp) / "head"))
                for which in ("base", "head"):
                    shown = shown_as(Path(tmp) / which)
                    if shown is not None:  # the resolved and the given spelling of the folder
                        renames += [shown, (str(Path(tmp) / which) + os.sep, shown[1])]
            if run.config_note:
                head.notes.append(run.config_note)

            # Node ids count the stacks of both sides: when either side has several stacks,
            # both use STACK/LogicalId, so a PR that adds a stack renames nothing. Two single
            # files (before.yaml, after.yaml) are one stack at two versions: plain ids. A
            # template that could not be read counts as the stack it would have been.
            def roots(loaded: Any) -> int:
                read = {t.stack for t in loaded.templates}
                unread = {
                    e.stack
                    for e in loaded.errors
                    if e.stack and not any(e.stack.startswith(s + "/") for s in read)
                }
                return len({t.stack for t in loaded.templates if t.parent is None} | unread)

            multi = max(roots(base), roots(head)) > 1
            before = analyze_loaded(base, definition_profile, run.ignore, multi, run.systems)
            after = analyze_loaded(head, definition_profile, run.ignore, multi, run.systems)
            before, after = (_errors_in_tree(a, renames) for a in (before, after))
            # inside the revision folders: a committed usage file is found beside the paths
            cost = cost_options(head_paths or base_paths, usage, rate, prices)
            if base_ref is not None:  # the folders go with tmp: nothing more is fetched into them
                from iacscan.load.gitrev import forget

                forget(Path(tmp) / "base")
                forget(Path(tmp) / "head")
        comparison = None
        if cost is not None:
            before, after, comparison = diff_with_cost(
                before, after, base.templates, head.templates, cost
            )
        d = diff_analyses(before, after)
        if comparison is not None:
            d = replace(d, cost=comparison)
        run.emit(_in_tree(_render_diff(run, d), renames))
    except IacscanError as err:
        fail_with(err, debug)
        return
    except typer.Exit:
        raise
    except Exception as err:
        internal_error(err, debug)
        return
    report_errors([before, after])
    report_internal(run, [before, after])
    raise typer.Exit(exit_code(run, [d.before, d.after], d))


def _in_tree(text: str, renames: Sequence[tuple[str, str]]) -> str:
    """``text`` with the files of an extracted revision named where they are in the work tree
    (``infra/a.yaml``), not in the temporary folder the revision was extracted into."""
    for extracted, shown in renames:
        text = text.replace(extracted, shown)
    return text


def _errors_in_tree(a: Analysis, renames: Sequence[tuple[str, str]]) -> Analysis:
    """``a`` with its input errors (printed on standard error) named as in the work tree."""
    if not renames or not a.errors:
        return a
    errors = tuple(
        replace(e, file=_in_tree(e.file, renames), message=_in_tree(e.message, renames))
        for e in a.errors
    )
    return replace(a, errors=errors)


def _render_diff(run: Run, d: AnalysisDiff) -> str:
    from iacscan.cli.renderers import DIFF

    return DIFF[run.fmt](run, d)


def graph(
    paths: Paths,
    fmt: Annotated[
        GraphFormat, typer.Option("--format", "-f", help="Graph format.")
    ] = GraphFormat.mermaid,
    focus: Annotated[
        list[str] | None,
        typer.Option(
            "--focus",
            help="Show only the flow through this node: what feeds it and what it feeds "
            "(repeatable; a logical id is enough when it is unique).",
        ),
    ] = None,
    depth: Annotated[
        int | None,
        typer.Option("--depth", min=1, help="With --focus: at most this many hops each way."),
    ] = None,
    output: OutputOpt = None,
    debug: DebugOpt = False,
    no_synth: NoSynthOpt = False,
    no_cache: NoCacheOpt = False,
    synth_timeout: SynthTimeoutOpt = SYNTH_TIMEOUT,
    sandbox: SandboxOpt = SandboxChoice.auto,
    region: RegionOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Print the event-driven topology as Mermaid, DOT or JSON."""
    from iacscan.load.discover import SynthOptions

    if depth is not None and not focus:
        typer.echo("error: --depth limits --focus: give the node with --focus NODE", err=True)
        raise typer.Exit(EXIT_USAGE)

    try:
        # graph draws; it never gates, whatever the configuration says
        run = Run(paths=paths, output=output, no_color=True, debug=debug, fail_on=FailOn.never)
        use_aws(region, profile)
        synth = SynthOptions(
            synth=not no_synth, use_cache=not no_cache, sandbox=sandbox_mode(sandbox)
        )
        limits = limits_from(MAX_FILE_SIZE, MAX_DEPTH, synth_timeout)
        report = analyze_paths(run, paths, limits, synth, False)[0]
        if focus:
            from iacscan.topology.queries import focus as focus_on

            report = replace(report, topology=focus_on(report.topology, focus, depth))
        from iacscan.cli.renderers import GRAPH

        text = GRAPH[fmt](report.topology)
        run.emit(text)
    except IacscanError as err:
        fail_with(err, debug)
        return
    except Exception as err:
        internal_error(err, debug)
        return
    report_errors([report])
    report_internal(run, [report])
    raise typer.Exit(exit_code(run, [report]))  # graph has no gate: 4, 3 or 0
