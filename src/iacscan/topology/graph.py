"""The topology under construction: nodes keyed by id, edges keyed by (source, target, kind).

Extractors add edges with evidence; ``freeze`` applies the contract rules (one edge per
(source, target, kind), a ``triggers`` edge absorbs a ``reads`` edge on the same pair) and
returns the model's immutable ``Topology``. This is an accumulator, not a graph library: graph
queries over the frozen topology go through networkx (topology/queries.py), which is imported
only by the runs that ask one, because importing it costs a third of a second.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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


EdgeKey = tuple[str, str, EdgeKind]


class GraphBuilder:
    def __init__(self) -> None:
        self._nodes: dict[str, NodeDraft] = {}
        self._edges: dict[EdgeKey, list[Via]] = {}

    def add_node(self, draft: NodeDraft) -> None:
        self._nodes.setdefault(draft.id, draft)

    def has_node(self, node_id: str) -> bool:
        return node_id in self._nodes

    def draft(self, node_id: str) -> NodeDraft:
        return self._nodes[node_id]

    def add_edge(self, source: str, target: str, kind: EdgeKind, via: Via) -> None:
        # A unit may invoke itself (recursion), but only firm evidence says so: a wildcard grant
        # (``states:StartExecution`` on ``*``) names every state machine, this one included.
        if source == target and (kind != "invokes" or via.weak):
            return
        vias = self._edges.setdefault((source, target, kind), [])
        if via not in vias:
            vias.append(via)

    def edge_keys(self) -> list[EdgeKey]:
        return list(self._edges)

    def vias(self, key: EdgeKey) -> tuple[Via, ...]:
        """The evidence of one edge so far (empty when there is no such edge)."""
        return tuple(self._edges.get(key, ()))

    def freeze(self) -> Topology:
        edges = self._edges
        for s, t, k in [key for key in edges if key[2] == "reads"]:
            vias = edges.get((s, t, "triggers"))
            if vias is None:
                continue
            for v in edges.pop((s, t, k)):
                if v not in vias:
                    vias.append(v)
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
            for d in (self._nodes[n] for n in sorted(self._nodes))
        )
        frozen = tuple(
            Edge(source=s, target=t, kind=k, via=tuple(sorted(vias, key=_via_key)))
            for (s, t, k), vias in sorted(edges.items(), key=lambda item: item[0])
        )
        return Topology(nodes=nodes, edges=frozen)


def _via_key(v: Via) -> tuple[str, int, str]:
    return (v.file, v.line or 0, v.what)
