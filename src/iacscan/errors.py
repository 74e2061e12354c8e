"""One typed family of errors. Layers raise them; only ``cli`` turns them into text and exit codes."""

from __future__ import annotations


class IacscanError(Exception):
    """An error a user can act on: ``message`` says what is wrong, ``hint`` what to do."""

    kind = "internal"

    def __init__(self, message: str, hint: str = "", *, file: str = "", line: int | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.file = file
        self.line = line

    def where(self) -> str:
        if not self.file:
            return ""
        return f"{self.file}:{self.line}" if self.line else self.file


class InputParseError(IacscanError):
    """A template that cannot be read or is not a CloudFormation template."""

    kind = "parse"


class LimitError(IacscanError):
    """A hostile-input limit was hit (size, depth, aliases, timeouts)."""

    kind = "limit"


class SynthError(IacscanError):
    """A CDK app failed to synthesize."""

    kind = "synth"


class AwsError(IacscanError):
    """A deployed stack could not be fetched."""

    kind = "aws"


class UnsupportedInput(IacscanError):
    """An input iacscan does not know how to read."""

    kind = "unsupported"


class DefinitionError(IacscanError):
    """A definition (profile) or configuration file is invalid."""

    kind = "parse"


class ConfigError(DefinitionError):
    """An invalid .iacscan.yaml or [tool.iacscan]: a usage error (exit 2), naming the file."""

    kind = "usage"


class UsageError(IacscanError):
    """Bad command-line usage that typer cannot see (exit 2)."""

    kind = "usage"
