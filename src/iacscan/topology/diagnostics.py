"""What extraction could not do: extractor failures, input errors and scope notes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from iacscan.model import ErrorKind, InputError, Resource, Template, line_of


class Diagnostics:
    def __init__(self, templates: Mapping[str, Template]) -> None:
        self._templates = templates
        self.failures: list[Any] = []
        # Parts of an input that cannot be analysed (a definition over a limit, invalid JSON):
        # reported in the Analysis' errors, with the file and line; the rest goes on.
        self.input_errors: list[InputError] = []
        # What the report covers less of than the templates suggest (a definition in S3): notes.
        self.notes: list[str] = []
        self._noted: set[str] = set()

    def input_error(
        self,
        stack: str,
        message: str,
        hint: str,
        *,
        kind: ErrorKind = "parse",
        at: object = None,
        res: Resource | None = None,
    ) -> None:
        line = line_of(at) if at is not None else None
        if line is None and res is not None:
            line = res.line
        self.input_errors.append(
            InputError(
                file=self._templates[stack].file, line=line, kind=kind, message=message, hint=hint
            )
        )

    def note(self, stack: str, text: str, res: Resource | None = None) -> None:
        t = self._templates[stack]
        where = f"{t.file}:{res.line}" if res is not None and res.line else t.file
        line = f"{text} ({where})"
        if line not in self._noted:
            self._noted.add(line)
            self.notes.append(line)
