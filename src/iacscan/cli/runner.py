"""One invocation: configuration, loading, analysis, rendering and exit codes."""

from __future__ import annotations

import gc
import logging
import os
import sys
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from iacscan.cli.options import (
    EXIT_GATE,
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_USAGE,
    ISSUES_URL,
    FailOn,
    Format,
)
from iacscan.errors import IacscanError

if TYPE_CHECKING:  # types only: the modules they come from load when a command needs them
    from iacscan.classify.profile import Profile
    from iacscan.cli.costing import CostOptions
    from iacscan.load.cfn import Limits
    from iacscan.load.discover import SynthOptions
    from iacscan.model import Analysis, AnalysisDiff
    from iacscan.render.sarif import RuleDoc, Where


class Run:
    """One invocation's options, profile and rendering."""

    def __init__(
        self,
        *,
        paths: Sequence[str],
        fmt: Format = Format.text,
        output: Path | None = None,
        definition: str | None = None,
        quiet: bool = False,
        no_color: bool = False,
        debug: bool = False,
        ignore: Sequence[str] | None = None,
        fail_on: FailOn | None = None,
        config_ref: str | None = None,
    ) -> None:
        from iacscan.config import find_config

        start = Path(paths[0]) if paths else None
        self.config = find_config(start, ref=config_ref)  # found upward from here
        self.config_note = _config_change(start, config_ref, self.config)
        self.definition = definition or self.config.get("definition") or "johnston-2023"
        self.fmt = fmt
        self.output = output
        if output is not None and output.is_dir():  # before any work, not after it
            from iacscan.errors import UsageError

            raise UsageError(f"--output {output} is a folder", "give the path of a file to write")
        if output is not None and _blocks(output):
            from iacscan.errors import UsageError

            raise UsageError(
                f"--output {output} is a FIFO or a socket: writing it could wait forever",
                "give the path of a regular file (or leave --output out for standard output)",
            )
        self.quiet = quiet
        self.color = use_color(no_color=no_color, to_file=output is not None)
        self.debug = debug
        if debug:
            _show_tracebacks()
        self.ignore = list(ignore or []) + list(self.config.get("ignore", []))
        if self.ignore:
            _warn_unknown_rules(self.ignore)
        self.fail_on = fail_on or FailOn(self.config.get("fail-on", "never"))
        # Globs of files that form one system (several templates nothing else links).
        self.systems: list[str | list[str]] = list(self.config.get("systems", []))

    def profile(self) -> Profile:
        from iacscan.classify.profile import load_profile

        return load_profile(self.definition)

    def emit(self, text: str) -> None:
        # A file name that is not UTF-8 (a lone surrogate here) is written as a \udcXX escape:
        # raw bytes would make the report, JSON included, invalid UTF-8.
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
        if self.output is not None:
            import errno

            from iacscan.errors import UsageError

            data = (text if text.endswith("\n") else text + "\n").encode(
                "utf-8",
                "backslashreplace",  # a file name that is not UTF-8 stays visible
            )
            try:
                self.output.parent.mkdir(parents=True, exist_ok=True)
                self.output.write_bytes(data)
            except OSError as err:
                full = err.errno in (errno.ENOSPC, errno.EDQUOT)
                raise UsageError(
                    f"cannot write --output {self.output}: "
                    + ("the disk is full" if full else str(err.strerror or err)),
                    "free some space, or write elsewhere"
                    if full
                    else "check the path and its permissions",
                ) from None
        else:
            from iacscan.render.escape import no_workflow_commands

            line = no_workflow_commands(text if text.endswith("\n") else text + "\n")
            try:
                sys.stdout.write(line)
            except UnicodeEncodeError:
                sys.stdout.buffer.write(line.encode("utf-8", "backslashreplace"))


def _err(text: str) -> None:
    """A line (or lines) on standard error: template text in it cannot start a workflow command
    or send terminal escape sequences (render/escape.py)."""
    from iacscan.render.escape import terminal

    typer.echo(terminal(text), err=True)


def _blocks(path: Path) -> bool:
    import stat

    try:
        mode = path.stat().st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def _config_change(start: Path | None, ref: str | None, used: dict[str, Any]) -> str:
    """With the configuration read at ``ref``: a sentence when the work tree's differs (it is
    reported, not obeyed), printed as a warning."""
    if ref is None:
        return ""
    from iacscan.config import describe_difference, find_config

    try:
        head = find_config(start)
    except IacscanError as err:
        note = f"The pull request's iacscan configuration is invalid and was not used: {err}"
    else:
        note = describe_difference(used, head)
    if note:
        _err(f"warning: {note}")
    return note


def use_color(*, no_color: bool, to_file: bool, stream: Any = None) -> bool:
    """Colours for text output: ``--no-color`` and ``NO_COLOR`` (no-color.org, any non-empty
    value) turn them off; ``FORCE_COLOR`` (force-color.org, any non-empty value) turns them on
    even when not writing to a terminal (CI logs); otherwise only on a terminal whose ``TERM``
    is not ``dumb``. A file written with ``--output`` never gets colours."""
    if no_color or to_file or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    stream = sys.stdout if stream is None else stream
    return bool(stream.isatty()) and os.environ.get("TERM") != "dumb"


def _warn_unknown_rules(ignored: Sequence[str]) -> None:
    """A typo in --ignore would silently ignore nothing: say so (a warning, since a
    configuration file may name a rule of a newer iacscan)."""
    import difflib

    from iacscan.classify.findings.registry import RULES

    known = sorted(doc.id for doc, _ in RULES)
    for entry in ignored:
        rule = entry.split(":", 1)[0]  # RULE:RESOURCE ignores a rule on one resource
        if rule not in known:
            close = difflib.get_close_matches(rule, known, n=1)
            hint = f"did you mean {close[0]}?" if close else f"rule ids: {', '.join(known)}"
            _err(f"warning: --ignore {rule}: no such rule; {hint}")


def limits_from(max_file_size: int, max_depth: int, synth_timeout: float) -> Limits:
    from iacscan.load.cfn import Limits

    return Limits(max_file_size=max_file_size, max_depth=max_depth, synth_timeout=synth_timeout)


def analyze_paths(
    run: Run,
    paths: Sequence[str],
    limits: Limits,
    synth: SynthOptions,
    each: bool,
    cost: CostOptions | None = None,
) -> list[Analysis]:
    profile = run.profile()  # a bad definition fails once, before any work
    if each and cost is not None:
        from iacscan.errors import UsageError

        raise UsageError(
            "--usage, --rate and --prices price one system, not --each",
            "scan the templates together, or one at a time",
        )
    if each:
        from iacscan.batch import analyze_each

        reports, _ = analyze_each(
            paths, definition=run.definition, ignore=run.ignore, limits=limits, synth=synth
        )
        return reports
    from iacscan.batch import analyze_loaded
    from iacscan.load.discover import load_paths

    with loading():
        loaded = load_paths(paths, limits=limits, synth=synth)
    if run.config_note:
        loaded.notes.append(run.config_note)
    report = analyze_loaded(loaded, profile, run.ignore, systems=run.systems)
    if cost is not None:
        from iacscan.cli.costing import with_cost

        report = with_cost(report, loaded.templates, cost)
    return [report]


@contextmanager
def loading() -> Iterator[None]:
    """Load with the cyclic collector off, then put what was loaded out of its reach.

    What is loaded lives until the process ends, and a template is a large graph without
    cycles: collections during the load, and the first one after it, would each walk every
    decoded value (about 60 ms at 5,000 resources) to find nothing to free. Values still go
    when their last reference does; only reference cycles made while loading stay."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


_DOCS = "https://github.com/iacscan/iacscan/blob/main/docs"


def rule_docs() -> list[RuleDoc]:
    from iacscan.classify.criteria import CRITERIA
    from iacscan.classify.findings.registry import RULES
    from iacscan.render.sarif import RuleDoc

    docs = [
        RuleDoc(
            id=d.id,
            name=d.id,
            short=d.title,
            full=d.detects,
            help=f"{d.why} Instead: {d.instead}",
            help_uri=f"{_DOCS}/rules.md#{d.id}",
            severity=d.severity,
            markdown=(
                f"**{d.title}**\n\n{d.detects}\n\n**Why it matters:** {d.why}\n\n"
                f"**Instead:** {d.instead}\n\nSource: {d.source}\n\n"
                f"[Documentation]({_DOCS}/rules.md#{d.id})"
            ),
            tags=("iac", "aws", "serverless", "cost", "architecture"),
            precision=d.precision,
        )
        for d, _ in RULES
    ]
    docs += [
        RuleDoc(
            id=c.id,
            name=c.id,
            short=c.title,
            full=c.text,
            help=f"Sources: {c.sources}",
            help_uri=f"{_DOCS}/criteria.md#{c.id}",
            severity="warning",
            markdown=(
                f"**{c.title}**\n\n{c.text}\n\nSources: {c.sources}\n\n"
                f"[Documentation]({_DOCS}/criteria.md#{c.id})"
            ),
            tags=("iac", "aws", "serverless", "definition"),
        )
        for c in CRITERIA
    ]
    return docs


def sarif_where(reports: Sequence[Analysis]) -> Where:
    """The repository root, working folder and CDK entry files that SARIF paths need."""
    from iacscan.load.locations import cdk_entry_file, git_toplevel
    from iacscan.render.sarif import Where

    cwd = Path.cwd()
    inputs = [i for r in reports for i in r.inputs]
    # the repository of what was scanned (which need not be the working folder's)
    local = [Path(i.path) for i in inputs if i.kind != "stack"]
    local += [Path(e.file) for r in reports for e in r.errors if e.file]
    first = next((p for p in local if p.exists()), None)
    root = git_toplevel(first.resolve() if first is not None else cwd)
    entries: dict[str, str] = {}
    apps = [i for i in inputs if i.kind == "cdk-app"]
    for app in apps:
        entry = cdk_entry_file(Path(app.path))
        if entry is not None:
            for stack in app.stacks:
                entries[stack] = str(entry)
            if len(apps) == 1:
                entries["*"] = str(entry)
    return Where(root=str(root) if root else None, cwd=str(cwd), entries=entries)


def render_reports(run: Run, reports: list[Analysis], each: bool = False) -> str:
    from iacscan.cli.renderers import SCAN

    return SCAN[run.fmt](run, reports, each)


def exit_code(run: Run, reports: list[Analysis], diff: AnalysisDiff | None = None) -> int:
    """The one exit code (highest wins): 4 internal error, 3 an input could not be analysed, 1
    the --fail-on gate tripped, 0. For a diff (``diff``, with ``reports`` its two sides) the gate
    looks at what the change does: the system stops being serverless, or a new finding."""
    code = EXIT_OK
    if _gated(run.fail_on, reports, diff):
        code = EXIT_GATE
    if any(r.errors for r in reports):
        code = EXIT_INPUT
    if any(r.internal_errors for r in reports):
        code = EXIT_INTERNAL
    return code


def _gated(fail_on: FailOn, reports: list[Analysis], diff: AnalysisDiff | None) -> bool:
    if fail_on is FailOn.not_serverless:
        if diff is not None:
            before, after = diff.before.verdict, diff.after.verdict
            return after.serverless is False and before.serverless is not False
        return any(r.verdict.serverless is False for r in reports)
    if fail_on in (FailOn.warning, FailOn.error):
        levels = ("warning", "error") if fail_on is FailOn.warning else ("error",)
        # in a diff, only new findings (keyed like the report: CDK renames are not new)
        findings = diff.findings_new if diff is not None else [f for r in reports for f in r.findings]
        return any(f.severity in levels for f in findings)
    return False


def use_aws(region: str | None, profile: str | None) -> None:
    """--region and --profile, for stack:NAME paths: boto3 reads them from the environment,
    as the AWS CLI does, so that every client and the profile's credentials agree."""
    if region:
        os.environ["AWS_DEFAULT_REGION"] = region
    if profile:
        os.environ["AWS_PROFILE"] = profile


def fail_with(err: IacscanError, debug: bool) -> None:
    where = err.where()
    _err(f"error: {where + ': ' if where else ''}{err.message}")
    if err.hint:
        _err(f"hint: {err.hint}")
    if debug:
        traceback.print_exc()
    raise typer.Exit(EXIT_USAGE if err.kind == "usage" else EXIT_INPUT)


def internal_error(err: BaseException, debug: bool) -> None:
    _err(f"internal error: {type(err).__name__}: {err}")
    _err(
        f"hint: this is a bug in iacscan; please report it at {ISSUES_URL} (run with --debug for the traceback)"
    )
    if debug:
        traceback.print_exc()
    raise typer.Exit(EXIT_INTERNAL)


def report_errors(reports: list[Analysis]) -> None:
    from iacscan.classify.engine import SUPPRESSION_WARNING

    for r in reports:
        for w in r.verdict.warnings:
            if w.startswith(SUPPRESSION_WARNING):  # like a typo in --ignore
                typer.echo(f"warning: {w}", err=True)
        for e in r.errors:
            where = f"{e.file}:{e.line}" if e.line else e.file
            _err(f"error: {where}: {e.message}" + (f"\nhint: {e.hint}" if e.hint else ""))


def report_internal(run: Run, reports: list[Analysis]) -> None:
    for r in reports:
        for e in r.internal_errors:
            _err(f"internal error: {e.message}")
        if r.internal_errors:
            where = "" if run.debug else " (run with --debug for the traceback)"
            _err(
                "hint: the rest of the report is complete; this is a bug in iacscan, please "
                f"report it at {ISSUES_URL}{where}"
            )


class _EchoHandler(logging.Handler):
    """Log records to the current stderr (tracebacks of extractor and rule failures)."""

    def emit(self, record: logging.LogRecord) -> None:
        typer.echo(self.format(record), err=True)  # tracebacks: iacscan's own text


def _show_tracebacks() -> None:
    logger = logging.getLogger("iacscan")
    if not any(isinstance(h, _EchoHandler) for h in logger.handlers):
        logger.addHandler(_EchoHandler())
    logger.setLevel(logging.DEBUG)
