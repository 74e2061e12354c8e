"""``iacscan scan PATH...``: one system, or every template with --each."""

from __future__ import annotations

from pathlib import Path

import typer

from iacscan.cli.costing import PricesOpt, RateOpt, UsageOpt, cost_options
from iacscan.cli.options import (
    EXIT_USAGE,
    MAX_DEPTH,
    MAX_FILE_SIZE,
    SYNTH_TIMEOUT,
    AllStacksOpt,
    ConfigRefOpt,
    DebugOpt,
    DefinitionOpt,
    EachOpt,
    FailOnOpt,
    Format,
    FormatOpt,
    IgnoreOpt,
    MaxDepthOpt,
    MaxSizeOpt,
    NoCacheOpt,
    NoColorOpt,
    NoSynthOpt,
    OptionalPaths,
    OutputOpt,
    PassthroughOpt,
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
    render_reports,
    report_errors,
    report_internal,
    use_aws,
)
from iacscan.errors import IacscanError


def scan(
    paths: OptionalPaths = None,
    fmt: FormatOpt = Format.text,
    output: OutputOpt = None,
    definition: DefinitionOpt = None,
    fail_on: FailOnOpt = None,
    ignore: IgnoreOpt = None,
    quiet: QuietOpt = False,
    no_color: NoColorOpt = False,
    debug: DebugOpt = False,
    each: EachOpt = False,
    no_synth: NoSynthOpt = False,
    no_cache: NoCacheOpt = False,
    synth_timeout: SynthTimeoutOpt = SYNTH_TIMEOUT,
    synth_env_passthrough: PassthroughOpt = False,
    sandbox: SandboxOpt = SandboxChoice.auto,
    max_file_size: MaxSizeOpt = MAX_FILE_SIZE,
    max_depth: MaxDepthOpt = MAX_DEPTH,
    region: RegionOpt = None,
    profile: ProfileOpt = None,
    all_stacks: AllStacksOpt = False,
    usage: UsageOpt = None,
    rate: RateOpt = None,
    prices: PricesOpt = None,
    config_ref: ConfigRefOpt = None,
) -> None:
    """Scan templates, folders, CDK apps or stacks as one system: topology, verdict, findings."""
    from iacscan.load.discover import SynthOptions

    if not paths and not all_stacks:  # the configuration's `paths`, relative to where it runs
        from iacscan.config import find_config

        try:
            configured = find_config(None, ref=config_ref).get("paths", [])
            paths = [configured] if isinstance(configured, str) else list(configured)
        except IacscanError as err:
            fail_with(err, debug)
            return
    paths = _user_paths(paths or [], max_file_size)
    if not paths and not all_stacks:
        typer.echo("error: give at least one PATH (or --all-stacks)", err=True)
        raise typer.Exit(EXIT_USAGE)
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
            config_ref=config_ref,
        )
        use_aws(region, profile)
        stack_paths = list(paths) + (["stack:*"] if all_stacks else [])
        reports = analyze_paths(
            run,
            stack_paths,
            limits_from(max_file_size, max_depth, synth_timeout),
            SynthOptions(
                synth=not no_synth,
                use_cache=not no_cache,
                env_passthrough=synth_env_passthrough,
                sandbox=sandbox_mode(sandbox),
            ),
            each,
            # with --each only an explicit option prices (a usage file found beside a
            # folder must not make --each fail)
            cost_options(paths, usage, rate, prices)
            if not each or usage or rate or prices
            else None,
        )
        run.emit(render_reports(run, reports, each))
    except IacscanError as err:
        fail_with(err, debug)
        return
    except Exception as err:  # a bug: say so, never a bare traceback
        internal_error(err, debug)
        return
    report_errors(reports)
    report_internal(run, reports)
    raise typer.Exit(exit_code(run, reports))


def _user_paths(paths: list[str], max_file_size: int) -> list[str]:
    """Quoted globs expanded, and ``-`` (a template on standard input) read into a temporary
    file that is removed when the process exits."""
    import tempfile

    from iacscan.load.args import expand_globs, read_stdin

    paths = expand_globs(paths)
    if "-" in paths:
        folder = tempfile.TemporaryDirectory(prefix="iacscan-stdin-")
        _KEEP.append(folder)  # cleaned up at exit (weakref.finalize)
        stdin = str(read_stdin(Path(folder.name), max_file_size))
        paths = [stdin if p == "-" else p for p in paths]
    return paths


_KEEP: list[object] = []
