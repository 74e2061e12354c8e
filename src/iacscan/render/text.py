"""Terminal output with rich: the verdict first, then its evidence, the topology and the rest.

Every user-controlled string goes through ``clean`` (no escape sequences, no control characters,
one line) and is printed as a rich ``Text`` (never parsed as console markup). Without color the
output is plain text with no escape sequence at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from io import StringIO

from rich.console import Console
from rich.padding import Padding
from rich.text import Text

from iacscan.model import Analysis, AnalysisDiff, CostReport, Edge, InputError
from iacscan.render.escape import clean, unset

STATUS_STYLE = {
    "pass": "green",
    "fail": "bold red",
    "warn": "yellow",
    "unknown": "magenta",
    "n/a": "dim",
}
SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "note": "cyan"}
INTERNAL_HINT = "This is a bug in iacscan: please report it (--debug shows the traceback)."


class _Out:
    def __init__(self, *, color: bool, width: int) -> None:
        self.buffer = StringIO()
        self.console = Console(
            file=self.buffer,
            force_terminal=color,
            no_color=not color,
            width=width,
            color_system="standard" if color else None,
            highlight=False,
            markup=False,
            emoji=False,
            legacy_windows=False,
            soft_wrap=False,
        )

    def line(self, *parts: str | tuple[str, str], indent: int = 0) -> None:
        """Print one line; plain strings are ours, user strings must already be cleaned."""
        text = Text()
        for part in parts:
            text.append(*part) if isinstance(part, tuple) else text.append(part)
        self.console.print(Padding(text, (0, 0, 0, indent), expand=False) if indent else text)

    def heading(self, title: str) -> None:
        self.console.print()
        self.line((title, "bold"))

    def text(self) -> str:
        # rich pads wrapped lines to the block width; trailing spaces help no reader.
        return "".join(line.rstrip() + "\n" for line in self.buffer.getvalue().splitlines())


def _yes(value: bool | None) -> str:
    return {True: "yes", False: "no", None: "unknown"}[value]


def _at(file: str, line: int | None) -> str:
    return clean(f"{file}:{line}" if line else file)


def _where(file: str, line: int | None) -> str:
    """`` (file:line)`` after a sentence, or nothing when there is no place to name."""
    at = _at(file, line)
    return f" ({at})" if at else ""


def _names(ids: Iterable[str], labels: Mapping[str, str] | None = None) -> str:
    """Node ids as people read them (their labels), comma-separated."""
    labels = labels or {}
    return ", ".join(clean(labels.get(i, i)) for i in ids) or "none"


def _via(edge: Edge) -> str:
    return "; ".join(
        f"{clean(v.what)}{_where(v.file, v.line)}{' weak' if v.weak else ''}" for v in edge.via
    )


def _errors(out: _Out, errors: Iterable[InputError], internal: bool) -> None:
    for e in errors:
        kind = "internal" if internal else e.kind
        where = _at(e.file, e.line)
        out.line((f"{kind:<10} ", "bold red"), f"{where}  {clean(e.message)}", indent=2)
        hint = INTERNAL_HINT if internal and not e.hint else clean(e.hint)
        if hint:
            out.line(("hint: ", "dim"), hint, indent=13)


def render_text(a: Analysis, *, color: bool, width: int = 100) -> str:
    out, v = _Out(color=color, width=width), a.verdict
    names = a.names()
    level_style = "green" if v.serverless else "red" if v.serverless is False else "yellow"
    out.line((clean(v.summary) or f"Level {v.level}, architecture {v.architecture}.", "bold"))
    out.line("Definition: ", clean(v.definition))
    out.line(
        "Serverless: ",
        (_yes(v.serverless), level_style),
        "   Level: ",
        (v.level, level_style),
        f"   Scales to zero: {_yes(v.scales_to_zero)}   Monolith: {_yes(v.monolith)}",
    )
    if a.systems:
        out.heading(f"Systems ({len(a.systems)}, unlinked: each judged on its own)")
        for s in a.systems:
            out.line(
                f"- {clean(s.name)}: {s.verdict.level}, {s.verdict.architecture}"
                f" ({len(s.stacks)} stack(s): {clean(', '.join(s.files))})",
                indent=2,
            )
    out.heading("Criteria")
    for c in v.criteria:
        out.line(
            (f"{c.status.upper():<8}", STATUS_STYLE.get(c.status, "")),
            f"{clean(c.id)}  {clean(c.title)}",
            indent=2,
        )
        for e in c.evidence:
            default = " (CloudFormation default)" if e.default else ""
            out.line(
                f"{_names([e.node], names)} — {clean(e.why)}{_where(e.file, e.line)}{default}",
                indent=12,
            )
    out.heading("Idle costs")
    if not v.idle_costs and not a.topology.nodes and (a.errors or a.internal_errors):
        out.line("unknown: nothing was analysed (see errors)", indent=2)
    elif not v.idle_costs:
        out.line("none: nothing is paid for while idle beyond data storage", indent=2)
    for i in v.idle_costs:
        out.line(f"- {_names([i.node], names)} ({i.kind}): {clean(i.why)}", indent=2)
    if v.cases is not None:
        out.heading("Undecided")
        out.line(f"best case: {v.cases.best}   worst case: {v.cases.worst}", indent=2)
        for m in v.cases.missing:
            out.line(f"- missing: {clean(m)}", indent=2)
    if v.warnings:
        out.heading("Warnings")
        for w in v.warnings:
            out.line(("- ", "yellow"), clean(w), indent=2)
    out.heading(f"Architecture: {v.architecture}")
    for r in v.architecture_reasons:
        out.line(f"- {clean(r)}", indent=2)
    nodes, edges = (
        a.topology.nodes,
        sorted(
            a.topology.edges,
            key=lambda e: (names.get(e.source, e.source), names.get(e.target, e.target), e.kind),
        ),
    )
    helpers = {n.id for n in nodes if n.deploy_time}
    shown = [e for e in edges if e.source not in helpers and e.target not in helpers]
    out.heading(f"Topology ({len(nodes)} nodes, {len(shown)} edges)")
    source = None
    for edge in shown:
        if source is not None and edge.source != source:
            out.console.print()
        source = edge.source
        out.line(
            f"{_names([edge.source], names)} ",
            (f"--{edge.kind}-->", "cyan"),
            f" {_names([edge.target], names)}  ",
            (f"[via {_via(edge)}]", "dim"),
            indent=2,
        )
    linked = {e.source for e in shown} | {e.target for e in shown}
    alone = sorted(
        (n.id for n in nodes if n.id not in linked and n.id not in helpers),
        key=lambda i: names.get(i, i),
    )
    if alone:
        out.line(f"not connected: {_names(alone, names)}", indent=2)
    if helpers:
        out.line(
            "deploy-time helpers (run only while CloudFormation deploys; no part of the verdict): "
            f"{_names(sorted(helpers, key=lambda i: names.get(i, i)), names)}",
            indent=2,
        )
    out.heading("Boundary")
    out.line(f"ingress: {_names(sorted(a.boundary.ingress), names)}", indent=2)
    out.line(f"egress:  {_names(sorted(a.boundary.egress), names)}", indent=2)
    if outside := a.started_outside():
        out.line(f"started from outside the scan: {_names(outside, names)}", indent=2)
    unseen = [n for n in nodes if n.properties.get("unknown") is True]
    if unseen:  # ext: nodes the scan cannot see, each with what to add to see it
        out.heading(f"Not in scope ({len(unseen)})")
        for node in unseen:
            note = clean(str(node.properties.get("note") or ""))
            out.line(f"- {clean(names.get(node.id, node.id))}: {note}", indent=2)
    out.heading(f"Findings ({len(a.findings)})")
    for f in sorted(a.findings, key=lambda f: (f.rule, f.resources, f.file, f.line or 0)):
        out.line(
            (f"{f.severity:<8}", SEVERITY_STYLE.get(f.severity, "")),
            f"{clean(f.rule)}: {clean(f.message)}{_where(f.file, f.line)} "
            f"[{_names(f.resources, names)}]",
            indent=2,
        )
    if a.cost is not None:
        _cost(out, a.cost, "Cost")
    if a.errors or a.internal_errors:
        out.heading(f"Errors ({len(a.errors) + len(a.internal_errors)})")
        _errors(out, a.errors, False)
        _errors(out, a.internal_errors, True)
    if a.notes:
        out.heading("Notes")
        for n in a.notes:
            out.line(f"- {clean(n)}", indent=2)
    return out.text()


def render_diff_text(d: AnalysisDiff, *, color: bool, width: int = 100) -> str:
    out, vb, va = _Out(color=color, width=width), d.before.verdict, d.after.verdict
    for sentence in d.summary:
        out.line((clean(sentence), "bold"))
    out.heading("Verdict (before -> after)")
    rows = [
        ("definition", clean(vb.definition), clean(va.definition)),
        ("serverless", _yes(vb.serverless), _yes(va.serverless)),
        ("level", vb.level, va.level),
        ("scales to zero", _yes(vb.scales_to_zero), _yes(va.scales_to_zero)),
        ("architecture", vb.architecture, va.architecture),
        ("monolith", _yes(vb.monolith), _yes(va.monolith)),
    ]
    for name, was, now in rows:
        style = "" if was == now else "bold yellow"
        out.line(f"{name:<15}", (f"{was} -> {now}", style), indent=2)
    before = {n.id: n for n in d.before.topology.nodes}
    after = {n.id: n for n in d.after.topology.nodes}
    names = {**d.before.names(), **d.after.names()}
    out.heading("Nodes")
    for i in d.nodes_added:
        out.line(
            ("+ ", "green"),
            f"{_names([i], names)} ({clean(after[i].type) if i in after else '?'})",
            indent=2,
        )
    for i in d.nodes_removed:
        out.line(
            ("- ", "red"),
            f"{_names([i], names)} ({clean(before[i].type) if i in before else '?'})",
            indent=2,
        )
    for i in d.nodes_unread:
        n, side = (before[i], "after") if i in before else (after.get(i), "before")
        out.line(
            ("? ", "yellow"),
            f"{_names([i], names)} ({clean(n.type) if n else '?'}): not analysed, the {side} "
            "side could not read its template",
            indent=2,
        )
    for c in d.nodes_changed:
        changes = "; ".join(
            f"{clean(k)}: {clean(unset(was))} -> {clean(unset(now))}"
            for k, (was, now) in c.changes.items()
        )
        out.line(("~ ", "yellow"), f"{_names([c.id], names)}: {changes}", indent=2)
    out.heading("Edges")
    for sign, style, group in (("+ ", "green", d.edges_added), ("- ", "red", d.edges_removed)):
        for e in group:
            out.line(
                (sign, style),
                f"{_names([e.source], names)} --{e.kind}--> {_names([e.target], names)}",
                indent=2,
            )
    out.heading("Boundary")
    for side, added, removed in (
        ("ingress", d.ingress_added, d.ingress_removed),
        ("egress", d.egress_added, d.egress_removed),
    ):
        out.line(
            f"{side}: added {_names(added, names)}; removed {_names(removed, names)}", indent=2
        )
    out.heading(f"Findings ({len(d.findings_new)} new, {len(d.findings_fixed)} fixed)")
    for label, style, findings in (
        ("new", "red", d.findings_new),
        ("fixed", "green", d.findings_fixed),
    ):
        for f in findings:
            out.line(
                (f"{label:<6}", style),
                f"{f.severity} {clean(f.rule)}: {clean(f.message)} [{_names(f.resources, names)}]",
                indent=2,
            )
    if d.cost is not None:
        from iacscan.render.costs import comparison_lines

        out.heading("Cost (before -> after)")
        for sentence in comparison_lines(d.cost):
            out.line(clean(sentence), indent=2)
    for side, an in (("before", d.before), ("after", d.after)):
        if an.cost is not None:
            _cost(out, an.cost, f"Cost ({side})")
    for side, an in (("before", d.before), ("after", d.after)):
        if an.errors or an.internal_errors:
            out.heading(f"Errors ({side})")
            _errors(out, an.errors, False)
            _errors(out, an.internal_errors, True)
    # What only the head's run says (a nested template matched by file name, a configuration
    # the PR changes), as the Markdown comment shows it.
    new_notes = [note for note in d.after.notes if note not in set(d.before.notes)]
    if new_notes:
        out.heading("Notes (after)")
        for note in new_notes:
            out.line(f"- {clean(note)}", indent=2)
    return out.text()


def _cost(out: _Out, c: CostReport, title: str) -> None:
    from iacscan.render.costs import assumption_lines, headline, item_cells, sources

    out.heading(title)
    for line in headline(c):
        out.line(clean(line), indent=2)
    out.line("Line items, $/month at load (of which paid when idle):", indent=2)
    for i in c.items:
        subject, what, qty, price, monthly, idle, key = (clean(x) for x in item_cells(i))
        out.line(
            f"{monthly:>14}{f' ({idle})' if idle else ''}  {subject}: {what}: {qty} x {price}",
            (f"  [{key}]", "dim"),
            indent=4,
        )
    if c.warnings:
        out.line(("Not priced or uncertain (the figures are weaker for it):", "yellow"), indent=2)
        for w in c.warnings:
            out.line(("- ", "yellow"), clean(w), indent=4)
    if c.assumptions:
        out.line("Assumptions:", indent=2)
        for line in assumption_lines(c):
            out.line(f"- {clean(line)}", indent=4)
    out.line("Price sources:", indent=2)
    for line in sources(c):
        out.line(f"- {clean(line)}", indent=4)
