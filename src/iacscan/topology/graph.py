"""The topology under construction: a networkx MultiDiGraph keyed by node id and edge kind.

Extractors add edges with evidence; ``freeze`` applies the contract rules (one edge per
(source, target, kind), a ``triggers`` edge absorbs a ``reads`` edge on the same pair) and
returns the model's immutable ``Topology``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx

from iacscan.model import Edge, EdgeKind, Node, Role, Topology, Via


@dataclass
class NodeDraft:
    id: str
    type: str
    role: Role
    stack: str
    file: str
    line: int | None
    path: str | None = None
    deploy_time: bool = False
    properties: dict[str, str | int | bool | None] = field(default_factory=dict)


class GraphBuilder:
    def __init__(self) -> None:
        self.g: nx.MultiDiGraph = nx.MultiDiGraph()

    def add_node(self, draft: NodeDraft) -> None:
        if draft.id not in self.g:
            self.g.add_node(draft.id, draft=draft)

    def has_node(self, node_id: str) -> bool:
        return node_id in self.g

    def draft(self, node_id: str) -> NodeDraft:
        d: NodeDraft = self.g.nodes[node_id]["draft"]
        return d

    def add_edge(self, source: str, target: str, kind: EdgeKind, via: Via) -> None:
        if source == target and kind != "invokes":
            return
        if self.g.has_edge(source, target, key=kind):
            vias: list[Via] = self.g.edges[source, target, kind]["via"]
            if via not in vias:
                vias.append(via)
        else:
            self.g.add_edge(source, target, key=kind, kind=kind, via=[via])

    def freeze(self) -> Topology:
        g = self.g
        for s, t, k in list(g.edges(keys=True)):
            if k == "reads" and g.has_edge(s, t, key="triggers"):
                vias = g.edges[s, t, "triggers"]["via"]
                for v in g.edges[s, t, "reads"]["via"]:
                    if v not in vias:
                        vias.append(v)
                g.remove_edge(s, t, key="reads")
        nodes = tuple(
            Node(
                id=d.id,
                type=d.type,
                role=d.role,
                stack=d.stack,
                file=d.file,
                line=d.line,
                path=d.path,
                deploy_time=d.deploy_time,
                properties=dict(d.properties),
            )
            for d in (g.nodes[n]["draft"] for n in sorted(g.nodes))
        )
        edges = tuple(
            Edge(source=s, target=t, kind=k, via=tuple(sorted(data["via"], key=_via_key)))
            for s, t, k, data in sorted(g.edges(keys=True, data=True), key=lambda e: e[:3])
        )
        return Topology(nodes=nodes, edges=edges)


def _via_key(v: Via) -> tuple[str, int, str]:
    return (v.file, v.line or 0, v.what)
