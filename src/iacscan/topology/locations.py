"""Locations in the CDK user's code: every file/line of a report that points into a synthesized
template is moved to the app source line that creates the resource there (found by the loader,
``load/cdk_sources.py``), or to the app's entry file; the template's file and line stay as
``synth_file``/``synth_line`` (JSON only). Templates the user wrote are left as they are.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import replace
from typing import TypeVar

from iacscan.model import (
    Analysis,
    Criterion,
    Edge,
    Evidence,
    Finding,
    InputError,
    Node,
    Resource,
    Template,
    Topology,
    Via,
)

Placed = TypeVar("Placed", Node, Via, Evidence, Finding)  # what carries a template place

Where = tuple[str, int | None]


class SourceLocator:
    def __init__(self, templates: Iterable[Template]) -> None:
        self._files: dict[str, tuple[str, list[int], list[Resource]]] = {}
        for t in templates:
            if t.entry_file is None:
                continue
            placed = sorted(
                (r for r in t.resources.values() if r.line is not None), key=lambda r: r.line or 0
            )
            self._files[t.file] = (t.entry_file, [r.line or 0 for r in placed], placed)

    def __bool__(self) -> bool:
        return bool(self._files)

    def where(self, file: str, line: int | None) -> Where | None:
        """The source location for a template location; None when ``file`` is no CDK template."""
        known = self._files.get(file)
        if known is None:
            return None
        entry, starts, resources = known
        if line is not None:
            i = bisect.bisect_right(starts, line) - 1
            if i >= 0 and resources[i].source_file is not None:
                return resources[i].source_file or entry, resources[i].source_line
        return entry, None

    def text(self, text: str) -> str:
        """Template paths quoted in a sentence (notes: ``... (FILE:LINE)``) moved likewise."""
        for file in self._files:
            if file not in text:
                continue
            pattern = re.compile(re.escape(file) + r"(?::(\d+))?")

            def swap(m: re.Match[str], file: str = file) -> str:
                found = self.where(file, int(m.group(1)) if m.group(1) else None)
                if found is None:
                    return m.group(0)
                return f"{found[0]}:{found[1]}" if found[1] else found[0]

            text = pattern.sub(swap, text)
        return text


def relocate(a: Analysis, templates: Iterable[Template]) -> Analysis:
    loc = SourceLocator(templates)
    if not loc:
        return a

    def moved(file: str, line: int | None) -> tuple[str, int | None, str | None, int | None]:
        found = loc.where(file, line)
        if found is None:
            return file, line, None, None
        return found[0], found[1], file, line

    def placed(item: Placed) -> Placed:
        """A node, via, evidence or finding moved to the app's source (the template place kept)."""
        f, ln, sf, sl = moved(item.file, item.line)
        return replace(item, file=f, line=ln, synth_file=sf, synth_line=sl)

    nodes = [placed(n) for n in a.topology.nodes]
    edges = [
        Edge(e.source, e.target, e.kind, tuple(placed(v) for v in e.via)) for e in a.topology.edges
    ]
    criteria = [
        Criterion(c.id, c.title, c.status, tuple(placed(ev) for ev in c.evidence))
        for c in a.verdict.criteria
    ]
    findings = [placed(fd) for fd in a.findings]

    def errors(items: Iterable[InputError]) -> tuple[InputError, ...]:
        out = []
        for e in items:
            f, ln, _, _ = moved(e.file, e.line)
            out.append(replace(e, file=f, line=ln, message=loc.text(e.message)))
        return tuple(out)

    return replace(
        a,
        topology=Topology(tuple(nodes), tuple(edges)),
        verdict=replace(a.verdict, criteria=tuple(criteria)),
        findings=tuple(findings),
        errors=errors(a.errors),
        internal_errors=errors(a.internal_errors),
        notes=tuple(loc.text(n) for n in a.notes),
    )
