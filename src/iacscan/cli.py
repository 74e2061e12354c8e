"""The command line: the only place that wires the layers and maps errors to exit codes.

Exit codes (highest wins): 4 internal error, 3 an input could not be analysed, 1 the --fail-on
gate tripped, 0 otherwise; 2 is a usage error.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from iacscan import __version__
from iacscan.errors import IacscanError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="What does this infrastructure actually do, and is it still serverless?",
    context_settings={"help_option_names": ["-h", "--help"]},
)

COMMANDS = {"scan", "diff", "graph", "definitions", "explain", "github"}
EXIT_OK, EXIT_GATE, EXIT_USAGE, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3, 4
ISSUES_URL = "https://github.com/iacscan/iacscan/issues"


class Format(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"
    markdown = "markdown"


class GraphFormat(StrEnum):
    mermaid = "mermaid"
    dot = "dot"
    json = "json"


class FailOn(StrEnum):
    never = "never"
    not_serverless = "not-serverless"
    warning = "warning"
    error = "error"


Paths = Annotated[
    list[str], typer.Argument(help="Templates, folders, CDK apps, cdk.out folders or stack:NAME.")
]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", help="Write the report to FILE.")]
DefinitionOpt = Annotated[
    str | None,
    typer.Option(
        "--definition", "-d", help="Profile name or definition file (default johnston-2023)."
    ),
]
FailOnOpt = Annotated[FailOn | None, typer.Option("--fail-on", help="Exit 1 when the gate trips.")]
IgnoreOpt = Annotated[
    list[str] | None, typer.Option("--ignore", help="Rule id to ignore (repeatable).")
]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="Print only the verdict line (text).")
]
NoColorOpt = Annotated[bool, typer.Option("--no-color", help="No colours in text output.")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks of internal errors.")]
EachOpt = Annotated[bool, typer.Option("--each", help="Report every template separately.")]
NoSynthOpt = Annotated[
    bool, typer.Option("--no-synth", help="Never run CDK app code; read cdk.out only.")
]
NoCacheOpt = Annotated[
    bool, typer.Option("--no-cache", help="Synthesize CDK apps even when cached.")
]
SynthTimeoutOpt = Annotated[
    float, typer.Option("--synth-timeout", help="Seconds a CDK app may take to synthesize.")
]
PassthroughOpt = Annotated[
    bool,
    typer.Option(
        "--synth-env-passthrough", help="Pass AWS credentials to CDK apps (context lookups)."
    ),
]
MaxSizeOpt = Annotated[
    int, typer.Option("--max-file-size", help="Largest template read, in bytes.")
]
MaxDepthOpt = Annotated[
    int, typer.Option("--max-depth", help="Deepest nesting of template values.")
]
RegionOpt = Annotated[str | None, typer.Option("--region", help="AWS region for stack:NAME.")]
ProfileOpt = Annotated[str | None, typer.Option("--profile", help="AWS profile for stack:NAME.")]
AllStacksOpt = Annotated[
    bool, typer.Option("--all-stacks", help="Every deployed stack in the region.")
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"iacscan {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """iacscan reads CloudFormation, SAM and CDK and says, with evidence, whether it is serverless."""


# ---------------------------------------------------------------- shared plumbing


class Run:
    """One invocation's options, profile and rendering."""

    def __init__(
        self,
        *,
        definition: str | None,
        fmt: Format,
        output: Path | None,
        quiet: bool,
        no_color: bool,
        debug: bool,
        ignore: Sequence[str],
        fail_on: FailOn | None,
        start: Path | None,
    ) -> None:
        from iacscan.config import find_config

        self.config = find_config(start)
        self.definition = definition or self.config.get("definition") or "johnston-2023"
        self.fmt = fmt
        self.output = output
        self.quiet = quiet
        self.color = (
            not no_color and output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
        )
        self.debug = debug
        if debug:
            _show_tracebacks()
        self.ignore = list(ignore) + list(self.config.get("ignore", []))
        self.fail_on = fail_on or FailOn(self.config.get("fail-on", "never"))

    def profile(self) -> Any:
        from iacscan.classify.profile import load_profile

        return load_profile(self.definition)

    def emit(self, text: str) -> None:
        if self.output is not None:
            self.output.write_text(text if text.endswith("\n") else text + "\n", "utf-8")
        else:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _limits(max_file_size: int, max_depth: int, synth_timeout: float) -> Any:
    from iacscan.load.cfn import Limits

    return Limits(max_file_size=max_file_size, max_depth=max_depth, synth_timeout=synth_timeout)


def _analyze_paths(
    run: Run, paths: Sequence[str], limits: Any, synth: Any, each: bool
) -> list[Any]:
    from iacscan.analysis import analyze
    from iacscan.load.discover import load_paths
    from iacscan.load.iam_actions import action_table

    if each:
        from iacscan.batch import analyze_each

        run.profile()  # a bad definition fails once, before any work
        reports, _ = analyze_each(
            paths, definition=run.definition, ignore=run.ignore, limits=limits, synth=synth
        )
        return reports
    loaded = load_paths(paths, limits=limits, synth=synth)
    profile = run.profile()
    notes = list(loaded.notes)
    if loaded.skipped:
        notes.append(f"skipped {loaded.skipped} file(s) that are not CloudFormation templates")
    return [
        analyze(
            loaded.templates,
            profile=profile,
            actions=action_table(),
            inputs=loaded.inputs,
            errors=loaded.errors,
            notes=notes,
            ignore=run.ignore,
        )
    ]


def _rules() -> list[Any]:
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
            help_uri=f"https://github.com/iacscan/iacscan/blob/main/docs/rules.md#{d.id}",
            severity=d.severity,
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
            help_uri=f"https://github.com/iacscan/iacscan/blob/main/docs/criteria.md#{c.id}",
            severity="warning",
        )
        for c in CRITERIA
    ]
    return docs


def _render(run: Run, reports: list[Any]) -> str:
    if run.fmt is Format.json:
        import json

        from iacscan.render.json_report import analysis_to_dict

        data: Any = (
            [analysis_to_dict(r) for r in reports]
            if len(reports) > 1
            else analysis_to_dict(reports[0])
        )
        return json.dumps(data, indent=2, ensure_ascii=False)
    if run.fmt is Format.sarif:
        from iacscan.render.sarif import render_sarif

        return render_sarif(reports[0], _rules())
    if run.fmt is Format.markdown:
        from iacscan.render.markdown import render_markdown

        return "\n\n".join(render_markdown(r) for r in reports)
    if run.quiet:
        return "\n".join(r.verdict.summary for r in reports)
    from iacscan.render.text import render_text

    return "\n".join(render_text(r, color=run.color) for r in reports)


def _exit_code(run: Run, reports: list[Any]) -> int:
    code = EXIT_OK
    if _gate(run.fail_on, reports):
        code = EXIT_GATE
    if any(r.errors for r in reports):
        code = EXIT_INPUT
    if any(r.internal_errors for r in reports):
        code = EXIT_INTERNAL
    return code


def _gate(fail_on: FailOn, reports: list[Any]) -> bool:
    if fail_on is FailOn.not_serverless:
        return any(r.verdict.serverless is False for r in reports)
    if fail_on is FailOn.warning:
        return any(f.severity in ("warning", "error") for r in reports for f in r.findings)
    if fail_on is FailOn.error:
        return any(f.severity == "error" for r in reports for f in r.findings)
    return False


def _fail(err: IacscanError, debug: bool) -> None:
    where = err.where()
    typer.echo(f"error: {where + ': ' if where else ''}{err.message}", err=True)
    if err.hint:
        typer.echo(f"hint: {err.hint}", err=True)
    if debug:
        traceback.print_exc()
    raise typer.Exit(EXIT_USAGE if err.kind == "usage" else EXIT_INPUT)


def _internal(err: BaseException, debug: bool) -> None:
    typer.echo(f"internal error: {type(err).__name__}: {err}", err=True)
    typer.echo(
        f"hint: this is a bug in iacscan; please report it at {ISSUES_URL} (run with --debug for the traceback)",
        err=True,
    )
    if debug:
        traceback.print_exc()
    raise typer.Exit(EXIT_INTERNAL)


def _report_errors(reports: list[Any]) -> None:
    for r in reports:
        for e in r.errors:
            where = f"{e.file}:{e.line}" if e.line else e.file
            typer.echo(
                f"error: {where}: {e.message}" + (f"\nhint: {e.hint}" if e.hint else ""), err=True
            )


def _report_internal(run: Run, reports: list[Any]) -> None:
    for r in reports:
        for e in r.internal_errors:
            typer.echo(f"internal error: {e.message}", err=True)
        if r.internal_errors:
            where = "" if run.debug else " (run with --debug for the traceback)"
            typer.echo(
                "hint: the rest of the report is complete; this is a bug in iacscan, please "
                f"report it at {ISSUES_URL}{where}",
                err=True,
            )


class _EchoHandler(logging.Handler):
    """Log records to the current stderr (tracebacks of extractor and rule failures)."""

    def emit(self, record: logging.LogRecord) -> None:
        typer.echo(self.format(record), err=True)


def _show_tracebacks() -> None:
    logger = logging.getLogger("iacscan")
    if not any(isinstance(h, _EchoHandler) for h in logger.handlers):
        logger.addHandler(_EchoHandler())
    logger.setLevel(logging.DEBUG)


# ---------------------------------------------------------------- commands


@app.command()
def scan(
    paths: Paths,
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
    synth_timeout: SynthTimeoutOpt = 300.0,
    synth_env_passthrough: PassthroughOpt = False,
    max_file_size: MaxSizeOpt = 20 * 1024 * 1024,
    max_depth: MaxDepthOpt = 200,
    region: RegionOpt = None,
    profile: ProfileOpt = None,
    all_stacks: AllStacksOpt = False,
) -> None:
    """Scan templates, folders, CDK apps or stacks as one system: topology, verdict, findings."""
    from iacscan.load.discover import SynthOptions

    try:
        run = Run(
            definition=definition,
            fmt=fmt,
            output=output,
            quiet=quiet,
            no_color=no_color,
            debug=debug,
            ignore=ignore or [],
            fail_on=fail_on,
            start=Path(paths[0]) if paths else None,
        )
        if region:
            os.environ["AWS_DEFAULT_REGION"] = region
        if profile:
            os.environ["AWS_PROFILE"] = profile
        stack_paths = list(paths) + (["stack:*"] if all_stacks else [])
        reports = _analyze_paths(
            run,
            stack_paths,
            _limits(max_file_size, max_depth, synth_timeout),
            SynthOptions(
                synth=not no_synth, use_cache=not no_cache, env_passthrough=synth_env_passthrough
            ),
            each,
        )
        run.emit(_render(run, reports))
    except IacscanError as err:
        _fail(err, debug)
        return
    except Exception as err:  # a bug: say so, never a bare traceback
        _internal(err, debug)
        return
    _report_errors(reports)
    _report_internal(run, reports)
    raise typer.Exit(_exit_code(run, reports))


def _diff_exit(run: Run, before: Any, after: Any) -> int:
    code = EXIT_OK
    if (
        run.fail_on is FailOn.not_serverless
        and after.verdict.serverless is False
        and before.verdict.serverless is not False
    ):
        code = EXIT_GATE
    if run.fail_on in (FailOn.warning, FailOn.error):
        old = {(f.rule, f.resources) for f in before.findings}
        new = [f for f in after.findings if (f.rule, f.resources) not in old]
        levels = ("warning", "error") if run.fail_on is FailOn.warning else ("error",)
        if any(f.severity in levels for f in new):
            code = EXIT_GATE
    if before.errors or after.errors:
        code = EXIT_INPUT
    if before.internal_errors or after.internal_errors:
        code = EXIT_INTERNAL
    return code


@app.command()
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
    no_color: NoColorOpt = False,
    debug: DebugOpt = False,
    no_synth: NoSynthOpt = False,
    no_cache: NoCacheOpt = False,
    synth_timeout: SynthTimeoutOpt = 300.0,
    max_file_size: MaxSizeOpt = 20 * 1024 * 1024,
    max_depth: MaxDepthOpt = 200,
) -> None:
    """Compare two versions of the infrastructure: topology, boundary, verdict and findings."""
    import tempfile

    from iacscan.diff import diff_analyses
    from iacscan.load.discover import SynthOptions

    paths = paths or []
    try:
        run = Run(
            definition=definition,
            fmt=fmt,
            output=output,
            quiet=False,
            no_color=no_color,
            debug=debug,
            ignore=ignore or [],
            fail_on=fail_on,
            start=Path(paths[0]) if paths else None,
        )
        limits = _limits(max_file_size, max_depth, synth_timeout)
        synth = SynthOptions(synth=not no_synth, use_cache=not no_cache)
        with tempfile.TemporaryDirectory(prefix="iacscan-diff-") as tmp:
            if base_ref is not None:
                from iacscan.load.gitrev import materialize

                if not paths:
                    paths = ["."]
                base_paths = materialize(base_ref, paths, Path(tmp) / "base")
                head_paths = (
                    materialize(head_ref, paths, Path(tmp) / "head") if head_ref else list(paths)
                )
            else:
                if len(paths) != 2:
                    typer.echo(
                        "error: diff needs BASE and HEAD paths, or --base-ref REF [PATH...]",
                        err=True,
                    )
                    raise typer.Exit(EXIT_USAGE)
                base_paths, head_paths = [paths[0]], [paths[1]]
            before = _analyze_paths(run, base_paths, limits, synth, False)[0]
            after = _analyze_paths(run, head_paths, limits, synth, False)[0]
        d = diff_analyses(before, after)
        run.emit(_render_diff(run, d))
    except IacscanError as err:
        _fail(err, debug)
        return
    except typer.Exit:
        raise
    except Exception as err:
        _internal(err, debug)
        return
    _report_errors([before, after])
    _report_internal(run, [before, after])
    raise typer.Exit(_diff_exit(run, before, after))


def _render_diff(run: Run, d: Any) -> str:
    if run.fmt is Format.json:
        from iacscan.render.json_report import render_diff_json

        return render_diff_json(d)
    if run.fmt is Format.markdown:
        from iacscan.render.markdown import render_diff_markdown

        return render_diff_markdown(d)
    if run.fmt is Format.sarif:
        from iacscan.render.sarif import render_sarif

        return render_sarif(d.after, _rules())
    from iacscan.render.text import render_diff_text

    return render_diff_text(d, color=run.color)


@app.command()
def graph(
    paths: Paths,
    fmt: Annotated[
        GraphFormat, typer.Option("--format", "-f", help="Graph format.")
    ] = GraphFormat.mermaid,
    output: OutputOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Print the event-driven topology as Mermaid, DOT or JSON."""
    from iacscan.load.discover import SynthOptions

    try:
        run = Run(
            definition=None,
            fmt=Format.text,
            output=output,
            quiet=False,
            no_color=True,
            debug=debug,
            ignore=[],
            fail_on=None,
            start=Path(paths[0]) if paths else None,
        )
        report = _analyze_paths(
            run, paths, _limits(20 * 1024 * 1024, 200, 300.0), SynthOptions(), False
        )[0]
        if fmt is GraphFormat.dot:
            from iacscan.render.dot import render_dot

            text = render_dot(report.topology)
        elif fmt is GraphFormat.json:
            import json

            from iacscan.render.json_report import analysis_to_dict

            text = json.dumps(analysis_to_dict(report)["topology"], indent=2)
        else:
            from iacscan.render.mermaid import render_mermaid

            text = render_mermaid(report.topology)
        run.emit(text)
    except IacscanError as err:
        _fail(err, debug)
        return
    except Exception as err:
        _internal(err, debug)
        return
    _report_errors([report])
    _report_internal(run, [report])
    raise typer.Exit(
        EXIT_INTERNAL if report.internal_errors else EXIT_INPUT if report.errors else EXIT_OK
    )


@app.command()
def definitions() -> None:
    """List the definition profiles with their criteria and sources."""
    from iacscan.classify.criteria import CRITERIA
    from iacscan.classify.profile import DEFAULT, all_profiles

    for p in all_profiles():
        default = " (default)" if p.id == DEFAULT else ""
        typer.echo(f"{p.id}{default}\n  {p.title}")
        typer.echo(f"  passes: {', '.join(sorted(p.passes))}; ECS on EC2 capacity: {p.ecs_on_ec2}")
        for s in p.sources:
            typer.echo(f'  source: {s.author}, "{s.title}" ({s.date}) {s.url}')
        typer.echo("")
    typer.echo("criteria:")
    for c in CRITERIA:
        typer.echo(f"  {c.id}: {c.title}")


@app.command()
def explain(
    name: Annotated[str, typer.Argument(help="A rule id, criterion id or profile name.")],
) -> None:
    """Print the documentation of a rule, a criterion or a profile."""
    from iacscan.classify.criteria import CRITERIA
    from iacscan.classify.findings.registry import rule_doc
    from iacscan.classify.profile import BUILTIN, load_profile

    doc = rule_doc(name)
    if doc is not None:
        typer.echo(
            f"{doc.id} ({doc.severity}): {doc.title}\n\nWhat it detects: {doc.detects}\n\n"
            f"Why it costs: {doc.why}\n\nWhat to do instead: {doc.instead}\n\nSource: {doc.source}"
        )
        return
    for c in CRITERIA:
        if c.id == name:
            typer.echo(f"{c.id}: {c.title}\n\n{c.text}\n\nSources: {c.sources}")
            return
    if name in BUILTIN:
        p = load_profile(name)
        typer.echo(
            f"{p.id}: {p.title}\npasses: {', '.join(sorted(p.passes))}\necs_on_ec2: {p.ecs_on_ec2}"
        )
        for s in p.sources:
            typer.echo(f'source: {s.author}, "{s.title}" ({s.date}) {s.url}\n  "{s.quote}"')
        return
    typer.echo(f"error: no rule, criterion or profile named {name!r}", err=True)
    typer.echo("hint: `iacscan definitions` lists profiles and criteria", err=True)
    raise typer.Exit(EXIT_USAGE)


github_app = typer.Typer(no_args_is_help=True, help="GitHub Actions helpers.")
app.add_typer(github_app, name="github")


@github_app.command("comment")
def github_comment(
    body_file: Annotated[
        Path, typer.Option("--body-file", help="Markdown to post (e.g. a diff report).")
    ],
    repo: Annotated[
        str | None, typer.Option("--repo", help="owner/name (default: $GITHUB_REPOSITORY).")
    ] = None,
    pr: Annotated[
        int | None, typer.Option("--pr", help="Pull request number (default: from the event).")
    ] = None,
) -> None:
    """Create or update the sticky iacscan comment on the current pull request.

    Reads GITHUB_TOKEN, GITHUB_API_URL, GITHUB_REPOSITORY and GITHUB_EVENT_PATH. Exits 0 even
    when commenting is impossible (a fork's read-only token): it prints a ::warning:: instead.
    """
    from iacscan.github import API_URL, post_sticky_comment, pr_context_from_env, workflow_command

    try:
        body = body_file.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        typer.echo(f"error: cannot read {body_file}: {err}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    context = pr_context_from_env(os.environ)
    repo = repo or (context[0] if context else os.environ.get("GITHUB_REPOSITORY") or None)
    pr = pr or (context[1] if context else None)
    token = os.environ.get("GITHUB_TOKEN", "")
    if repo is None or pr is None:
        typer.echo("::warning::iacscan: not a pull request (no PR number in GITHUB_EVENT_PATH)")
        return
    if not token:
        typer.echo("::warning::iacscan cannot comment: GITHUB_TOKEN is not set")
        return
    result = post_sticky_comment(
        body,
        repo=repo,
        pr_number=pr,
        token=token,
        api_url=os.environ.get("GITHUB_API_URL") or API_URL,
    )
    typer.echo(result.message if result.posted else workflow_command("warning", result.message))


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: ``iacscan PATH...`` means ``iacscan scan PATH...``."""
    args = list(sys.argv[1:] if argv is None else argv)
    first = next((a for a in args if not a.startswith("-")), None)
    if (
        (
            args
            and first is not None
            and first not in COMMANDS
            and not any(a in ("--version",) for a in args)
        )
        or args
        and first is None
        and not any(a in ("-h", "--help", "--version") for a in args)
    ):
        args.insert(0, "scan")
    app(args=args, prog_name="iacscan")
