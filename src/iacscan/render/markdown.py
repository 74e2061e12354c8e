"""Markdown for pull-request comments and job summaries: a scan report and a diff report.

Every user-controlled string goes through ``cell`` (escape.md: no markup, no HTML, one line);
the diagram is Mermaid (render/mermaid.py). A report whose inputs could not all be read leads
with "could not analyse" and the errors, never with a verdict. The order is what a reviewer
reads first: the verdict, the diagram, then the long tables. Nothing is cut unless ``limit`` is
given (``fit``): files and standard output are whole; only a pull request comment is cut.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence

from iacscan.model import Analysis, AnalysisDiff, Edge, InputError, Node, Topology, Verdict
from iacscan.render.escape import unset
from iacscan.render.mdblocks import Block, cell, fit, names, table_head, table_row
from iacscan.render.mermaid import render_mermaid

MARKER = "<!-- iacscan-report -->"
MERMAID_MAX_EDGES = 500  # Mermaid's default maxEdges: a bigger diagram does not render
STATUS_ICON = {"pass": "✅", "fail": "❌", "warn": "⚠️", "unknown": "❔", "n/a": "➖"}
MAX_EVIDENCE = 5


def _at(file: str, line: int | None) -> str:
    return cell(f"{file}:{line}" if line else file)


def _yes(value: bool | None) -> str:
    return {True: "✅ yes", False: "❌ no", None: "❔ unknown"}[value]


def headline(v: Verdict) -> str:
    """The one-sentence verdict line: serverless or not, level, architecture, definition."""
    if v.serverless is True:
        word = "✅ **Serverless**"
    elif v.serverless is False:
        word = "❌ **Not serverless**"
    else:
        word = "❔ **No compute**" if v.level == "no-compute" else "❔ **Undecided**"
    zero = {True: "scales to zero", False: "does not scale to zero", None: "scale to zero unknown"}
    return (
        f"{word} under {cell(v.definition)}: level {v.level}, "
        f"architecture {v.architecture}, {zero[v.scales_to_zero]}."
    )


def _diagram(
    topology: Topology, name: str, d: AnalysisDiff | None = None, decisive: Sequence[str] = ()
) -> Block:
    if not topology.nodes and not topology.edges:  # never an empty Mermaid block
        return Block("diagram", f"#### {name}\n\n_Nothing to draw: no resources._\n", name=name)
    if len(topology.edges) > MERMAID_MAX_EDGES:
        text = (
            f"_Diagram left out: {len(topology.edges)} edges exceed Mermaid's limit of "
            f"{MERMAID_MAX_EDGES}; `iacscan graph --format dot` draws it._\n"
        )
        return Block("diagram", f"#### {name}\n\n{text}", name=name)
    if d is None:
        source = render_mermaid(topology)
    else:
        source = render_mermaid(
            topology,
            added_nodes=d.nodes_added,
            removed_nodes=d.nodes_removed,
            added_edges=d.edges_added,
            removed_edges=d.edges_removed,
            changed_nodes=[c.id for c in d.nodes_changed],
            decisive_nodes=decisive,
            direction="TD",
        )
    return Block("diagram", f"#### {name}\n\n```mermaid\n{source}```\n", name=name)


def _criteria_rows(v: Verdict, labels: Mapping[str, str]) -> list[str]:
    rows = []
    for c in v.criteria:
        evidence = [
            f"{cell(labels.get(e.node, e.node))} — {cell(e.why)} ({_at(e.file, e.line)})"
            + (" _(CloudFormation default)_" if e.default else "")
            for e in c.evidence[:MAX_EVIDENCE]
        ]
        if len(c.evidence) > MAX_EVIDENCE:
            evidence.append(f"and {len(c.evidence) - MAX_EVIDENCE} more")
        icon = STATUS_ICON.get(c.status, "")
        title = f"{cell(c.title)} ({cell(c.id)})"
        rows.append(table_row(f"{icon} {c.status}", title, "<br>".join(evidence) or "—"))
    return rows


def _criteria(
    v: Verdict, labels: Mapping[str, str], kind: str = "rows", name: str = "Criteria"
) -> Block:
    head = table_head("Status", "Criterion", "Evidence")
    rows = _criteria_rows(v, labels)
    if kind == "details":
        summary = f"<details><summary>{name}</summary>\n\n"
        return Block("details", summary + head, rows, "\n</details>\n", name)
    return Block("rows", f"#### {name}\n\n{head}", rows, name=name)


def could_not_analyse(
    errors: Sequence[InputError],
    internal: Sequence[InputError],
    side: str = "",
    *,
    nothing_read: bool = False,
) -> Block:
    """The lead of a report that is incomplete: what could not be analysed, and why."""
    failed = len(errors)
    where = f" ({side})" if side else ""
    if failed:
        title = f"### ⛔ iacscan could not analyse {failed} input(s){where}\n\n"
        why = (
            "Nothing could be read, so there is no verdict: fix these first.\n\n"
            if nothing_read
            else "The verdict and diagram below cover only what could be read, so they may "
            "be wrong: fix these first.\n\n"
        )
    else:
        title = f"### ⛔ iacscan hit an internal error{where}\n\n"
        why = "Part of the analysis did not run (a bug in iacscan): the report may miss things.\n\n"
    rows = [
        table_row(_at(e.file, e.line) or "—", e.kind, cell(e.message), cell(e.hint) or "—")
        for e in errors
    ] + [
        table_row(_at(e.file, e.line) or "—", "internal", cell(e.message), cell(e.hint) or "—")
        for e in internal
    ]
    head = title + why + table_head("File", "Kind", "Error", "Hint")
    return Block("rows", head, rows, name=f"Could not analyse{where}")


def _node_row(n: Node, labels: Mapping[str, str]) -> str:
    props = ", ".join(f"{cell(k)}={cell(n.properties[k])}" for k in sorted(n.properties))
    role = n.role + (" (deploy-time)" if n.deploy_time else "")
    shown_id = n.id.encode("ascii", "backslashreplace").decode("ascii")  # look-alikes escaped
    name = cell(n.name) if n.name == n.id else f"{cell(n.name)}<br><sub>{cell(shown_id)}</sub>"
    return table_row(
        name,
        cell(n.type),
        role,
        cell(labels.get(n.stack, n.stack)),
        _at(n.file, n.line),
        cell(n.path or ""),
        props,
    )


def _edge_row(e: Edge, labels: Mapping[str, str]) -> str:
    via = "<br>".join(
        f"{cell(v.what)} ({_at(v.file, v.line)}){' _weak_' if v.weak else ''}" for v in e.via
    )
    source, target = labels.get(e.source, e.source), labels.get(e.target, e.target)
    return table_row(cell(source), e.kind, cell(target), via)


def _details_lists(t: Topology, names: Mapping[str, str]) -> list[Block]:
    nodes = sorted(t.nodes, key=lambda n: n.id)
    edges = sorted(t.edges, key=lambda e: (e.source, e.target, e.kind))
    labels = t.labels()
    node_head = table_head(
        "Name", "Type", "Role", "Stack", "Location", "Construct path", "Decisive"
    )
    edge_head = table_head("Source", "Kind", "Target", "Evidence")
    return [
        Block(
            "details",
            f"<details><summary>Nodes ({len(nodes)})</summary>\n\n{node_head}",
            [_node_row(n, names) for n in nodes],
            "\n</details>\n",
            "Nodes",
        ),
        Block(
            "details",
            f"<details><summary>Edges ({len(edges)})</summary>\n\n{edge_head}",
            [_edge_row(e, labels) for e in edges],
            "\n</details>\n",
            "Edges",
        ),
    ]


def render_markdown(a: Analysis, limit: int | None = None) -> str:
    v = a.verdict
    blocks: list[Block] = []
    if a.errors or a.internal_errors:
        blocks.append(could_not_analyse(a.errors, a.internal_errors, nothing_read=not a.inputs))
        if not a.inputs:  # nothing was read: no verdict, no diagram to show
            blocks += _notes(a.notes)
            return _finish(blocks, limit)
    labels = a.names()
    intro = f"{headline(v)}\n\n{cell(v.summary, 2000)}\n"
    blocks.append(Block("text", intro, name="Verdict"))
    if a.systems:
        rows = [
            table_row(cell(sy.name), sy.verdict.level, sy.verdict.architecture, names(sy.files, 5))
            for sy in a.systems
        ]
        head = f"#### Systems ({len(a.systems)}, unlinked: each judged on its own)\n\n"
        head += table_head("System", "Level", "Architecture", "Files")
        blocks.append(Block("rows", head, rows, name="Systems"))
    blocks.append(_diagram(a.topology, "Topology"))
    blocks.append(_criteria(v, labels))
    costs = [
        f"- **{cell(labels.get(i.node, i.node))}** ({i.kind}): {cell(i.why)}" for i in v.idle_costs
    ]
    blocks.append(Block("rows", "#### Idle costs\n\n", costs or ["- none"], name="Idle costs"))
    if v.cases is not None:
        cases = f"#### Undecided\n\nBest case {v.cases.best}, worst case {v.cases.worst}.\n\n"
        missing = [f"- missing: {cell(m)}" for m in v.cases.missing]
        blocks.append(Block("rows", cases, missing, name="Undecided"))
    if v.warnings:
        rows = [f"- {cell(w)}" for w in v.warnings]
        blocks.append(Block("rows", "#### Warnings\n\n", rows, name="Warnings"))
    reasons = [f"- {cell(r)}" for r in v.architecture_reasons]
    blocks.append(Block("rows", f"#### Architecture: {v.architecture}\n\n", reasons))
    boundary = (
        f"#### Boundary\n\n**Ingress:** {names(sorted(a.boundary.ingress), labels=labels)}  \n"
        f"**Egress:** {names(sorted(a.boundary.egress), labels=labels)}\n"
    )
    if outside := a.started_outside():
        boundary += f"\n**Started from outside the scan:** {names(outside, labels=labels)}\n"
    blocks.append(Block("text", boundary, name="Boundary"))
    unseen = [
        f"- {cell(n.name)}: {cell(str(n.properties.get('note') or ''))}"
        for n in a.topology.nodes
        if n.properties.get("unknown") is True
    ]
    if unseen:
        blocks.append(Block("rows", "#### Not in scope\n\n", unseen, name="Not in scope"))
    findings = [
        table_row(
            f.severity,
            cell(f.rule),
            cell(f.message),
            names(f.resources, 10, labels),
            _at(f.file, f.line),
        )
        for f in sorted(a.findings, key=lambda f: (f.rule, f.resources, f.file, f.line or 0))
    ]
    head = f"#### Findings ({len(findings)})\n\n"
    head += table_head("Severity", "Rule", "Message", "Resources", "Location") if findings else ""
    blocks.append(Block("rows", head, findings or ["No findings."], name="Findings"))
    if a.cost is not None:
        from iacscan.render.cost_markdown import cost_blocks

        blocks += cost_blocks(a.cost)
    blocks += _details_lists(a.topology, labels)
    blocks += _notes(a.notes)
    return _finish(blocks, limit)


def _notes(notes: Sequence[str]) -> list[Block]:
    return [Block("rows", "#### Notes\n\n", [f"- {cell(n)}" for n in notes])] if notes else []


def _finish(blocks: Sequence[Block], limit: int | None) -> str:
    """The document, cut to ``limit`` characters only when a limit is given."""
    return fit(blocks, limit) if limit is not None else fit(blocks, sys.maxsize)


def _verdict_table(b: Verdict, a: Verdict, findings: tuple[int, int]) -> Block:
    rows = [
        ("Definition", cell(b.definition), cell(a.definition)),
        ("Serverless", _yes(b.serverless), _yes(a.serverless)),
        ("Level", b.level, a.level),
        ("Scales to zero", _yes(b.scales_to_zero), _yes(a.scales_to_zero)),
        ("Architecture", b.architecture, a.architecture),
        ("Monolith", _yes(b.monolith), _yes(a.monolith)),
        ("Idle costs", str(len(b.idle_costs)), str(len(a.idle_costs))),
        ("Findings", str(findings[0]), str(findings[1])),
    ]
    lines = [table_row(f"**{n}**" if was != now else n, was, now) for n, was, now in rows]
    return Block(
        "rows", "#### Verdict\n\n" + table_head("", "Before", "After"), lines, name="Verdict"
    )


def _change_rows(d: AnalysisDiff) -> list[str]:
    before = {n.id: n for n in d.before.topology.nodes}
    after = {n.id: n for n in d.after.topology.nodes}
    labels = _diff_labels(d)

    def nm(i: str) -> str:
        return cell(labels.get(i, i))

    rows = []
    for i in d.nodes_added:
        n = after.get(i)
        rows.append(table_row("➕ added", "node", nm(i), cell(n.type) if n else ""))
    for i in d.nodes_removed:
        n = before.get(i)
        rows.append(table_row("➖ removed", "node", nm(i), cell(n.type) if n else ""))
    for i in d.nodes_unread:
        n, side = (before[i], "after") if i in before else (after.get(i), "before")
        detail = (
            f"{cell(n.type) + ': ' if n else ''}its template could not be read on the {side} side"
        )
        rows.append(table_row("❔ not analysed", "node", nm(i), detail))
    for c in d.nodes_changed:
        what = "<br>".join(
            f"{cell(k)}: {cell(unset(w))} → {cell(unset(x))}" for k, (w, x) in c.changes.items()
        )
        rows.append(table_row("✏️ changed", "node", nm(c.id), what))
    for label, edges in (("➕ added", d.edges_added), ("➖ removed", d.edges_removed)):
        rows += [
            table_row(label, "edge", f"{nm(e.source)} → {nm(e.target)}", e.kind) for e in edges
        ]
    for side, added, removed in (
        ("ingress", d.ingress_added, d.ingress_removed),
        ("egress", d.egress_added, d.egress_removed),
    ):
        rows += [table_row("➕ added", side, nm(i), "") for i in added]
        rows += [table_row("➖ removed", side, nm(i), "") for i in removed]
    return rows


def _arrows(text: str) -> str:
    """The diff summary's ``a -> b`` as an arrow, not as an HTML entity in the raw Markdown."""
    return text.replace(" -> ", " → ")


def _systems_changed(d: AnalysisDiff) -> list[str]:
    """A row per system the change moves (diff.system_changes decides which)."""
    return [
        table_row(
            cell(c.name),
            c.before.level
            if c.before
            else "(not analysed)"
            if c.unread
            else f"(joined from {cell(', '.join(c.parts))})"
            if c.parts
            else "(new)",
            c.after.level
            if c.after
            else "(not analysed)"
            if c.unread
            else f"(split into {cell(', '.join(c.parts))})"
            if c.parts
            else "(removed)",
            c.before.architecture if c.before else "—",
            c.after.architecture if c.after else "—",
        )
        for c in d.systems_changed
    ]


def _diff_labels(d: AnalysisDiff) -> dict[str, str]:
    return {**d.before.names(), **d.after.names()}


def render_diff_markdown(d: AnalysisDiff, limit: int | None = None) -> str:
    labels = _diff_labels(d)
    blocks = [Block("text", f"{MARKER}\n", name="Marker")]
    for side, an in (("head", d.after), ("base", d.before)):
        if an.errors or an.internal_errors:
            nothing = side == "head" and not an.inputs
            blocks.append(
                could_not_analyse(an.errors, an.internal_errors, side, nothing_read=nothing)
            )
    if not d.after.inputs and d.after.errors:  # nothing of the head was read: no verdict
        return _finish(blocks, limit)
    incomplete = any(an.errors or an.internal_errors for an in (d.before, d.after))
    title = "what this change does" + (" (incomplete)" if incomplete else "")
    summary = [f"- {cell(_arrows(s), 4000)}" for s in d.summary]
    blocks.append(Block("rows", f"### iacscan: {title}\n\n", summary, name="Summary"))
    counts = (len(d.before.findings), len(d.after.findings))
    blocks.append(_verdict_table(d.before.verdict, d.after.verdict, counts))
    systems = _systems_changed(d)
    if systems:
        head = "#### Systems this change moves\n\n" + table_head(
            "System", "Level before", "Level after", "Architecture before", "Architecture after"
        )
        blocks.append(Block("rows", head, systems, name="Systems"))
    if d.cost is not None:
        from iacscan.render.cost_markdown import comparison_block

        blocks.append(comparison_block(d.cost))
    gone = {n.id: n for n in d.before.topology.nodes if n.id in set(d.nodes_removed)}
    merged = Topology(
        nodes=d.after.topology.nodes + tuple(gone[i] for i in sorted(gone)),
        edges=d.after.topology.edges + d.edges_removed,
    )
    decisive = d.decisive
    legend = "Topology after this change (green: added, red dashed: removed, yellow: changed"
    legend += ", thick border: moved the verdict)" if decisive else ")"
    blocks.append(_diagram(merged, legend, d, decisive))
    changes = _change_rows(d)
    head = "#### Changes\n\n" + (table_head("Change", "Element", "Id", "Detail") if changes else "")
    blocks.append(Block("rows", head, changes or ["No topology change."], name="Changes"))
    findings = [
        table_row(label, f.severity, cell(f.rule), cell(f.message), names(f.resources, 10, labels))
        for label, group in (("🆕 new", d.findings_new), ("✔️ fixed", d.findings_fixed))
        for f in group
    ]
    head = "#### Findings\n\n"
    head += table_head("", "Severity", "Rule", "Message", "Resources") if findings else ""
    blocks.append(Block("rows", head, findings or ["No new or fixed findings."], name="Findings"))
    for side, an in (("before", d.before), ("after", d.after)):
        if an.cost is not None:
            from iacscan.render.cost_markdown import cost_blocks

            blocks += cost_blocks(an.cost, f"Cost {side}")
    blocks.append(_criteria(d.after.verdict, labels, "details", "Criteria after"))
    blocks.append(_criteria(d.before.verdict, labels, "details", "Criteria before"))
    # What only the head's run says (e.g. the PR changes the configuration, which is not obeyed).
    new_notes = [n for n in d.after.notes if n not in set(d.before.notes)]
    if new_notes:
        blocks.append(Block("rows", "#### Notes\n\n", [f"- {cell(n)}" for n in new_notes]))
    return _finish(blocks, limit)
