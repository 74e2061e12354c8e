"""The command line: the only place that wires the layers and maps errors to exit codes.

Exit codes (highest wins): 4 internal error, 3 an input could not be analysed, 1 the --fail-on
gate tripped, 0 otherwise; 2 is a usage error.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Sequence
from typing import Annotated

import typer

from iacscan import __version__
from iacscan.cli.compare import diff, graph
from iacscan.cli.github_comment import github_comment
from iacscan.cli.info import definitions, explain
from iacscan.cli.options import COMMANDS
from iacscan.cli.prices import prices_app
from iacscan.cli.runner import rule_docs
from iacscan.cli.scan import scan

__all__ = ["app", "main", "rule_docs"]

CONFIG_HELP = (
    "Configuration: .iacscan.yaml, or \\[tool.iacscan] in pyproject.toml, found upward from the "
    "first path (keys: definition, fail-on, ignore, paths, systems); options on the command "
    "line win; `iacscan scan` with no PATH scans the configured paths. "
    "Shell completion: iacscan --install-completion."
)

app = typer.Typer(
    add_completion=True,
    no_args_is_help=True,
    help="What does this infrastructure actually do, and is it still serverless?\n\n" + CONFIG_HELP,
    context_settings={"help_option_names": ["-h", "--help"]},
)


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


def version() -> None:
    """Print the version of iacscan."""
    typer.echo(f"iacscan {__version__}")


# The commands, registered explicitly (no import side effects).
app.command(epilog=CONFIG_HELP)(scan)
app.command(epilog=CONFIG_HELP)(diff)
app.command()(graph)
app.command()(definitions)
app.command()(explain)
app.command()(version)
github_app = typer.Typer(no_args_is_help=True, help="GitHub Actions helpers.")
github_app.command("comment")(github_comment)
app.add_typer(github_app, name="github")
app.add_typer(prices_app, name="prices")


def _refuse_mistyped_command(first: str | None) -> None:
    """``iacscan defintions`` would scan a path called "defintions": a command was meant."""
    if first is None or first.startswith("stack:") or os.path.exists(first):
        return
    import difflib

    close = difflib.get_close_matches(first, sorted(COMMANDS), n=1, cutoff=0.75)
    if close:
        typer.echo(
            f"error: {first}: no such file, folder or command\nhint: did you mean `iacscan {close[0]}`?",
            err=True,
        )
        raise SystemExit(2)


ROOT_OPTIONS = ("--version", "--install-completion", "--show-completion")


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: ``iacscan PATH...`` means ``iacscan scan PATH...``."""
    # A short-lived process that builds many small objects: collect far less often (the
    # benchmark showed the collector as the largest single cost at 5,000 resources).
    gc.set_threshold(100_000, 50, 100)
    args = list(sys.argv[1:] if argv is None else argv)
    first = next((a for a in args if not a.startswith("-")), None)
    if (
        (
            args
            and first is not None
            and first not in COMMANDS
            and not any(a in ROOT_OPTIONS for a in args)
        )
        or args
        and first is None
        and not any(a in ("-h", "--help", *ROOT_OPTIONS) for a in args)
    ):
        _refuse_mistyped_command(first)
        args.insert(0, "scan")
    try:
        app(args=args, prog_name="iacscan")
    finally:
        if argv is None:
            # The process ends now. Interpreter shutdown runs full collections over every
            # object the run made: about 0.1 s, a third of a small scan. Freezing puts them out
            # of the collector's reach, so those collections find almost nothing to walk.
            # Streams are still flushed and atexit handlers still run; what is lost is
            # finalizers of objects in reference cycles, and iacscan relies on none.
            gc.freeze()
