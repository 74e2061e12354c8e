"""Shared option types, exit codes and constants of the command line."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from iacscan.load.cfn import DEFAULT_LIMITS
from iacscan.load.sandbox import SandboxMode

COMMANDS = {"scan", "diff", "graph", "definitions", "explain", "github", "prices", "version"}
EXIT_OK, EXIT_GATE, EXIT_USAGE, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3, 4
ISSUES_URL = "https://github.com/iacscan/iacscan/issues"


class Format(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"
    markdown = "markdown"


class SandboxChoice(StrEnum):
    auto = "auto"
    require = "require"
    off = "off"


def sandbox_mode(choice: SandboxChoice) -> SandboxMode:
    return choice.value


class GraphFormat(StrEnum):
    mermaid = "mermaid"
    dot = "dot"
    json = "json"


class FailOn(StrEnum):
    """The values of model.FAIL_ON_VALUES (tests/test_design.py keeps them equal)."""

    never = "never"
    not_serverless = "not-serverless"
    warning = "warning"
    error = "error"


Paths = Annotated[
    list[str], typer.Argument(help="Templates, folders, CDK apps, cdk.out folders or stack:NAME.")
]
OptionalPaths = Annotated[
    list[str] | None,
    typer.Argument(help="Templates, folders, CDK apps, cdk.out folders or stack:NAME."),
]
# Defaults of the hostile-input limits: one place, the loader's own Limits.
MAX_FILE_SIZE = DEFAULT_LIMITS.max_file_size
MAX_DEPTH = DEFAULT_LIMITS.max_depth
SYNTH_TIMEOUT = DEFAULT_LIMITS.synth_timeout
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", help="Write the report to FILE.")]
DefinitionOpt = Annotated[
    str | None,
    typer.Option(
        "--definition", "-d", help="Profile name or definition file (default johnston-2023)."
    ),
]
FailOnOpt = Annotated[
    FailOn | None,
    typer.Option(
        "--fail-on",
        help="Exit 1 when the gate trips (default never). An input that could not be analysed "
        "is exit 3 under every value: an incomplete report never passes.",
    ),
]
IgnoreOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--ignore",
        help="Rule id to ignore (repeatable); RULE:RESOURCE ignores it on one resource "
        "(node id, label or CDK construct path).",
    ),
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
SandboxOpt = Annotated[
    SandboxChoice,
    typer.Option(
        "--sandbox",
        help="Contain CDK apps while they synthesize: auto (a sandbox when the host has one, "
        "else warn), require (refuse to run an app without one), off.",
    ),
]
ConfigRefOpt = Annotated[
    str | None,
    typer.Option(
        "--config-ref",
        help="Read .iacscan.yaml / pyproject.toml (and a definition file it names) from this git "
        "revision, not the work tree (a pull request cannot change its own gate).",
    ),
]
NoCacheOpt = Annotated[
    bool,
    typer.Option(
        "--no-cache",
        help="Synthesize CDK apps even when cached; translate SAM templates without the cache.",
    ),
]
SynthTimeoutOpt = Annotated[
    float,
    typer.Option("--synth-timeout", min=1, help="Seconds a CDK app may take to synthesize."),
]
PassthroughOpt = Annotated[
    bool,
    typer.Option(
        "--synth-env-passthrough", help="Pass AWS credentials to CDK apps (context lookups)."
    ),
]
MaxSizeOpt = Annotated[
    int, typer.Option("--max-file-size", min=1, help="Largest template read, in bytes.")
]
MaxDepthOpt = Annotated[
    int, typer.Option("--max-depth", min=1, help="Deepest nesting of template values.")
]
RegionOpt = Annotated[str | None, typer.Option("--region", help="AWS region for stack:NAME.")]
ProfileOpt = Annotated[str | None, typer.Option("--profile", help="AWS profile for stack:NAME.")]
AllStacksOpt = Annotated[
    bool, typer.Option("--all-stacks", help="Every deployed stack in the region.")
]
