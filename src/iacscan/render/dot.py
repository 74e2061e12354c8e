"""Graphviz DOT of a topology: the same information as the Mermaid diagram.

Node identifiers are ``n1``, ``n2``... (in id order); the id, type and role are in the label and
the stack, location, construct path and decisive properties in the tooltip. Edge labels give the
kind, tooltips the evidence (``via``); an edge whose evidence is all weak (IAM wildcards) is
dashed. Every user string goes through ``dot_string`` (render/escape.py).
"""

from __future__ import annotations

from iacscan.model import Edge, Node, Topology
from iacscan.render.capacity_links import capacity_links
from iacscan.render.escape import dot_string

# role -> node attributes
SHAPES: dict[str, str] = {
    "compute": 'shape=box, style="filled", fillcolor="#ddf4ff"',
    "orchestrator": 'shape=component, style="filled", fillcolor="#fbefff"',
    "channel": 'shape=box, style="rounded,filled", fillcolor="#fff8c5"',
    "store": 'shape=cylinder, style="filled", fillcolor="#dafbe1"',
    "ingress": 'shape=hexagon, style="filled", fillcolor="#ffebe9"',
    "router": 'shape=parallelogram, style="filled", fillcolor="#fff1e5"',
    "capacity": 'shape=trapezium, style="filled", fillcolor="#eaeef2"',
    "external": 'shape=ellipse, style="dashed"',
}
EDGE_STYLES: dict[str, str] = {
    "triggers": 'color="#0969da"',
    "invokes": 'color="#8250df"',
    "writes": 'color="#1a7f37"',
    "reads": 'color="#9a6700"',
}


def _q(value: object) -> str:
    return f'"{dot_string(value)}"'


def _location(file: str, line: int | None) -> str:
    return f"{file}:{line}" if line else file


def _node_line(alias: str, node: Node | None, node_id: str) -> str:
    if node is None:
        return f"    {alias} [label={_q(node_id)}, {SHAPES['external']}];"
    label = "\\n".join(dot_string(x) for x in (node.name, node.type, node.role))
    if node.deploy_time:
        label += "\\ndeploy-time"
    tooltip = [f"id: {node.id}"] if node.name != node.id else []
    tooltip += [f"stack: {node.stack}", f"at: {_location(node.file, node.line)}"]
    if node.path:
        tooltip.append(f"path: {node.path}")
    tooltip += [f"{k}: {node.properties[k]}" for k in sorted(node.properties)]
    attrs = SHAPES.get(node.role, "shape=box")
    if node.deploy_time:
        attrs = 'shape=box, style="dashed", color="#8c959f", fontcolor="#57606a"'
    tip = "\\n".join(dot_string(t) for t in tooltip)
    return f'    {alias} [label="{label}", tooltip="{tip}", {attrs}];'


def _edge_line(alias: dict[str, str], edge: Edge) -> str:
    via = [f"{v.what} ({_location(v.file, v.line)}){' [weak]' if v.weak else ''}" for v in edge.via]
    tip = "\\n".join(dot_string(v) for v in via)
    attrs = [f"label={_q(edge.kind)}", f'tooltip="{tip}"', EDGE_STYLES.get(edge.kind, "")]
    if edge.via and all(v.weak for v in edge.via):
        attrs.append('style="dashed"')
    joined = ", ".join(a for a in attrs if a)
    return f"    {alias[edge.source]} -> {alias[edge.target]} [{joined}];"


def render_dot(topology: Topology) -> str:
    nodes = {n.id: n for n in topology.nodes}
    ids = set(nodes)
    for e in topology.edges:
        ids.update((e.source, e.target))
    alias = {node_id: f"n{i}" for i, node_id in enumerate(sorted(ids), start=1)}
    lines = [
        "digraph iacscan {",
        "    rankdir=LR;",
        '    node [fontname="Helvetica", fontsize=10];',
        '    edge [fontname="Helvetica", fontsize=9];',
    ]
    lines += [_node_line(alias[i], nodes.get(i), i) for i in sorted(ids)]
    edges = sorted(topology.edges, key=lambda e: (e.source, e.target, e.kind))
    lines += [_edge_line(alias, e) for e in edges]
    lines += [
        f'    {alias[c]} -> {alias[u]} [label="runs", style="dotted", arrowhead="none"];'
        for c, u in capacity_links(topology)
    ]
    lines.append("}")
    return "\n".join(lines) + "\n"
