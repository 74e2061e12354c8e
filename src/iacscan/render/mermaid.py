"""Mermaid ``flowchart`` of a topology (``LR``; ``TD`` for diffs, which read at comment width).

Node ids become ``n1``, ``n2``... (in id order) so that no template id can act as Mermaid
syntax (``end``, ``graph``, ``o``/``x`` after an arrow, ``%%``); labels are quoted and every
character outside a small safe set is a ``#NNN;`` entity (render/escape.py). Shapes follow the
node role; added and removed elements of a diff get their own classes and link styles, and the
nodes that moved the verdict a thick border. Capacity is linked to the service it runs. Labels are short: the node's ``label`` (when the
model has one), else its id, and the resource type without ``AWS::``. Only the classes used are
defined.
"""

from __future__ import annotations

from collections.abc import Iterable

from iacscan.model import Edge, Node, Topology
from iacscan.render.capacity_links import capacity_links
from iacscan.render.escape import mermaid_label

EdgeKey = tuple[str, str, str]

# role -> (opening, closing) around the quoted label
SHAPES: dict[str, tuple[str, str]] = {
    "compute": ("[", "]"),  # rectangle
    "orchestrator": ("[[", "]]"),  # subroutine
    "channel": ("([", "])"),  # stadium: a queue, topic, stream or bus
    "store": ("[(", ")]"),  # cylinder
    "ingress": ("{{", "}}"),  # hexagon
    "router": ("[/", "/]"),  # parallelogram
    "capacity": ("[/", "\\]"),  # trapezoid
    "external": ("((", "))"),  # circle, dashed by its class
}

CLASS_DEFS = (
    "classDef added fill:#dafbe1,stroke:#1a7f37,stroke-width:2px,color:#116329",
    "classDef removed fill:#ffebe9,stroke:#cf222e,stroke-width:2px,stroke-dasharray:5 5,"
    "color:#82071e",
    "classDef changed fill:#fff8c5,stroke:#9a6700,stroke-width:2px",
    "classDef external fill:#ffffff,stroke:#57606a,stroke-dasharray:3 3",
    "classDef deploytime fill:#f6f8fa,stroke:#8c959f,stroke-dasharray:2 2,color:#57606a",
    "classDef decisive stroke-width:5px",
)
ADDED_LINK = "stroke:#1a7f37,stroke-width:3px"
REMOVED_LINK = "stroke:#cf222e,stroke-width:2px,stroke-dasharray:5 5"


def _edge_key(e: Edge | EdgeKey) -> EdgeKey:
    return (e.source, e.target, e.kind) if isinstance(e, Edge) else e


def short_type(resource_type: str) -> str:
    """``AWS::Lambda::Function`` -> ``Lambda Function``; other types unchanged."""
    parts = resource_type.split("::")
    if len(parts) == 3 and parts[0] == "AWS":
        return f"{parts[1]} {parts[2]}"
    return resource_type


def node_label(node: Node | None, node_id: str, name: str | None = None) -> str:
    if node is None:
        return mermaid_label(node_id)
    text = f"{mermaid_label(name or node.id)}<br/>{mermaid_label(short_type(node.type))}"
    return text + "<br/>deploy-time" if node.deploy_time else text


def render_mermaid(
    topology: Topology,
    *,
    added_nodes: Iterable[str] = (),
    removed_nodes: Iterable[str] = (),
    added_edges: Iterable[Edge | EdgeKey] = (),
    removed_edges: Iterable[Edge | EdgeKey] = (),
    changed_nodes: Iterable[str] = (),
    decisive_nodes: Iterable[str] = (),
    direction: str = "LR",
) -> str:
    """The diagram source (no Markdown fence). Edges to ids that are not nodes of the topology
    still get a plain node, so that the diagram never silently drops a connection."""
    nodes = {n.id: n for n in topology.nodes}
    ids = set(nodes)
    for e in topology.edges:
        ids.update((e.source, e.target))
    alias = {node_id: f"n{i}" for i, node_id in enumerate(sorted(ids), start=1)}
    added, removed, changed = set(added_nodes), set(removed_nodes), set(changed_nodes)
    added_e = {_edge_key(e) for e in added_edges}
    removed_e = {_edge_key(e) for e in removed_edges}

    decisive = set(decisive_nodes)
    names = {i: n.name for i, n in nodes.items()}  # the label (topology/labels.py)
    taken: dict[str, int] = {}
    for name in names.values():
        taken[name] = taken.get(name, 0) + 1
    names = {i: name if taken[name] == 1 else i for i, name in names.items()}  # never ambiguous
    lines = [f"flowchart {direction}"]
    classes: dict[str, list[str]] = {}
    for node_id in sorted(ids):
        node = nodes.get(node_id)
        role = node.role if node else "external"
        opening, closing = SHAPES.get(role, ("[", "]"))
        label = node_label(node, node_id, names.get(node_id))
        lines.append(f'    {alias[node_id]}{opening}"{label}"{closing}')
        if node_id in removed:
            cls = "removed"
        elif node_id in added:
            cls = "added"
        elif node_id in changed:
            cls = "changed"
        elif role == "external":
            cls = "external"
        elif node and node.deploy_time:
            cls = "deploytime"
        else:
            cls = ""
        if cls:
            classes.setdefault(cls, []).append(alias[node_id])
        if node_id in decisive:
            classes.setdefault("decisive", []).append(alias[node_id])

    link_styles: list[str] = []
    edges = sorted({_edge_key(e): e for e in topology.edges}.items())
    for index, (key, _edge) in enumerate(edges):
        source, target, kind = key
        label = mermaid_label(kind)
        if key in removed_e:
            arrow, style = f"-. {label} .->", REMOVED_LINK
        elif key in added_e:
            arrow, style = f"== {label} ==>", ADDED_LINK
        else:
            arrow, style = f"-- {label} -->", ""
        lines.append(f"    {alias[source]} {arrow} {alias[target]}")
        if style:
            link_styles.append(f"    linkStyle {index} {style}")

    for capacity, unit in capacity_links(topology):  # after the edges: linkStyle indexes hold
        lines.append(f"    {alias[capacity]} -. runs .-> {alias[unit]}")

    lines.extend(f"    {d}" for d in CLASS_DEFS if d.split()[1] in classes)
    lines.extend(f"    class {','.join(members)} {cls}" for cls, members in sorted(classes.items()))
    lines.extend(link_styles)
    return "\n".join(lines) + "\n"
