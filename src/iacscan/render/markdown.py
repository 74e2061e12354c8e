"""Markdown for pull-request comments and job summaries: a scan report and a diff report.

Every user-controlled string goes through ``cell`` (escape.md: no markup, no HTML, one line);
the diagram is Mermaid (render/mermaid.py). ``fit`` keeps the result under 65,536 characters.
"""

from __future__ import annotations

from collections.abc import Sequence

from iacscan.model import Analysis, AnalysisDiff, Edge, InputError, Node, Topology, Verdict
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


def _diagram(topology: Topology, name: str, d: AnalysisDiff | None = None) -> Block:
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
        )
    return Block("diagram", f"#### {name}\n\n```mermaid\n{source}```\n", name=name)


def _criteria_rows(v: Verdict) -> list[str]:
    rows = []
    for c in v.criteria:
        evidence = [
            f"{cell(e.node)} — {cell(e.why)} ({_at(e.file, e.line)})"
            + (" _(CloudFormation default)_" if e.default else "")
            for e in c.evidence[:MAX_EVIDENCE]
        ]
        if len(c.evidence) > MAX_EVIDENCE:
            evidence.append(f"and {len(c.evidence) - MAX_EVIDENCE} more")
        icon = STATUS_ICON.get(c.status, "")
        title = f"{cell(c.title)} ({cell(c.id)})"
        rows.append(table_row(f"{icon} {c.status}", title, "<br>".join(evidence) or "—"))
    return rows


def _criteria(v: Verdict, kind: str = "rows", name: str = "Criteria") -> Block:
    head = table_head("Status", "Criterion", "Evidence")
    if kind == "details":
        summary = f"<details><summary>{name}</summary>\n\n"
        return Block("details", summary + head, _criteria_rows(v), "\n</details>\n", name)
    return Block("rows", f"#### {name}\n\n{head}", _criteria_rows(v), name=name)


def _errors(errors: Sequence[InputError], internal: Sequence[InputError], name: str) -> Block:
    rows = [
        table_row(e.kind, _at(e.file, e.line), cell(e.message), cell(e.hint)) for e in errors
    ] + [
        table_row("internal", _at(e.file, e.line), cell(e.message), cell(e.hint) or "a bug")
        for e in internal
    ]
    head = f"<details><summary>{name} ({len(rows)})</summary>\n\n"
    head += table_head("Kind", "Location", "Message", "Hint")
    return Block("details", head, rows, "\n</details>\n", name)


def _node_row(n: Node) -> str:
    props = ", ".join(f"{cell(k)}={cell(n.properties[k])}" for k in sorted(n.properties))
    role = n.role + (" (deploy-time)" if n.deploy_time else "")
    return table_row(
        cell(n.id),
        cell(n.type),
        role,
        cell(n.stack),
        _at(n.file, n.line),
        cell(n.path or ""),
        props,
    )


def _edge_row(e: Edge) -> str:
    via = "<br>".join(
        f"{cell(v.what)} ({_at(v.file, v.line)}){' _weak_' if v.weak else ''}" for v in e.via
    )
    return table_row(cell(e.source), e.kind, cell(e.target), via)


def _details_lists(t: Topology) -> list[Block]:
    nodes = sorted(t.nodes, key=lambda n: n.id)
    edges = sorted(t.edges, key=lambda e: (e.source, e.target, e.kind))
    node_head = table_head("Id", "Type", "Role", "Stack", "Location", "Construct path", "Decisive")
    edge_head = table_head("Source", "Kind", "Target", "Evidence")
    return [
        Block(
            "details",
            f"<details><summary>Nodes ({len(nodes)})</summary>\n\n{node_head}",
            [_node_row(n) for n in nodes],
            "\n</details>\n",
            "Nodes",
        ),
        Block(
            "details",
            f"<details><summary>Edges ({len(edges)})</summary>\n\n{edge_head}",
            [_edge_row(e) for e in edges],
            "\n</details>\n",
            "Edges",
        ),
    ]


def render_markdown(a: Analysis) -> str:
    v = a.verdict
    intro = f"{headline(v)}\n\n{cell(v.summary, 2000)}\n"
    failed = len(a.errors) + len(a.internal_errors)
    if failed:
        intro += f"\n⚠️ {failed} error(s): the report is incomplete (see Errors below).\n"
    blocks = [Block("text", intro, name="Verdict"), _criteria(v)]
    costs = [f"- **{cell(i.node)}** ({i.kind}): {cell(i.why)}" for i in v.idle_costs]
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
        f"#### Boundary\n\n**Ingress:** {names(sorted(a.boundary.ingress))}  \n"
        f"**Egress:** {names(sorted(a.boundary.egress))}\n"
    )
    blocks.append(Block("text", boundary, name="Boundary"))
    findings = [
        table_row(
            f.severity, cell(f.rule), cell(f.message), names(f.resources, 10), _at(f.file, f.line)
        )
        for f in sorted(a.findings, key=lambda f: (f.rule, f.resources, f.file, f.line or 0))
    ]
    head = f"#### Findings ({len(findings)})\n\n"
    head += table_head("Severity", "Rule", "Message", "Resources", "Location") if findings else ""
    blocks.append(Block("rows", head, findings or ["No findings."], name="Findings"))
    blocks.append(_diagram(a.topology, "Topology"))
    blocks += _details_lists(a.topology)
    if failed:
        blocks.append(_errors(a.errors, a.internal_errors, "Errors"))
    if a.notes:
        blocks.append(Block("rows", "#### Notes\n\n", [f"- {cell(n)}" for n in a.notes]))
    return fit(blocks)


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
    rows = []
    for i in d.nodes_added:
        n = after.get(i)
        rows.append(table_row("➕ added", "node", cell(i), cell(n.type) if n else ""))
    for i in d.nodes_removed:
        n = before.get(i)
        rows.append(table_row("➖ removed", "node", cell(i), cell(n.type) if n else ""))
    for c in d.nodes_changed:
        what = "<br>".join(f"{cell(k)}: {cell(w)} → {cell(x)}" for k, (w, x) in c.changes.items())
        rows.append(table_row("✏️ changed", "node", cell(c.id), what))
    for label, edges in (("➕ added", d.edges_added), ("➖ removed", d.edges_removed)):
        rows += [
            table_row(label, "edge", f"{cell(e.source)} → {cell(e.target)}", e.kind) for e in edges
        ]
    for side, added, removed in (
        ("ingress", d.ingress_added, d.ingress_removed),
        ("egress", d.egress_added, d.egress_removed),
    ):
        rows += [table_row("➕ added", side, cell(i), "") for i in added]
        rows += [table_row("➖ removed", side, cell(i), "") for i in removed]
    return rows


def render_diff_markdown(d: AnalysisDiff) -> str:
    summary = [f"- {cell(s, 4000)}" for s in d.summary]
    blocks = [Block("rows", f"{MARKER}\n### iacscan: what this change does\n\n", summary)]
    counts = (len(d.before.findings), len(d.after.findings))
    blocks.append(_verdict_table(d.before.verdict, d.after.verdict, counts))
    changes = _change_rows(d)
    head = "#### Changes\n\n" + (table_head("Change", "Element", "Id", "Detail") if changes else "")
    blocks.append(Block("rows", head, changes or ["No topology change."], name="Changes"))
    findings = [
        table_row(label, f.severity, cell(f.rule), cell(f.message), names(f.resources, 10))
        for label, group in (("🆕 new", d.findings_new), ("✔️ fixed", d.findings_fixed))
        for f in group
    ]
    head = "#### Findings\n\n"
    head += table_head("", "Severity", "Rule", "Message", "Resources") if findings else ""
    blocks.append(Block("rows", head, findings or ["No new or fixed findings."], name="Findings"))
    gone = {n.id: n for n in d.before.topology.nodes if n.id in set(d.nodes_removed)}
    merged = Topology(
        nodes=d.after.topology.nodes + tuple(gone[i] for i in sorted(gone)),
        edges=d.after.topology.edges + d.edges_removed,
    )
    legend = "Topology after this change (green: added, red dashed: removed, yellow: changed)"
    blocks.append(_diagram(merged, legend, d))
    blocks.append(_criteria(d.after.verdict, "details", "Criteria after"))
    blocks.append(_criteria(d.before.verdict, "details", "Criteria before"))
    for side, an in (("before", d.before), ("after", d.after)):
        if an.errors or an.internal_errors:
            blocks.append(_errors(an.errors, an.internal_errors, f"Errors, {side}"))
    # What only the head's run says (e.g. the PR changes the configuration, which is not obeyed).
    new_notes = [n for n in d.after.notes if n not in set(d.before.notes)]
    if new_notes:
        blocks.append(Block("rows", "#### Notes\n\n", [f"- {cell(n)}" for n in new_notes]))
    return fit(blocks)
