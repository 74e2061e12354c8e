"""What a costly-pattern rule sees, and its documentation."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Literal

from iacscan.model import Edge, Node, Severity, Topology
from iacscan.topology.result import StackView, TopologyFacts


@dataclass(frozen=True, slots=True)
class RuleDoc:
    id: str
    title: str
    severity: Severity
    detects: str
    why: str
    instead: str
    source: str
    # "medium" when the evidence can be an IAM statement (what a role may do, not what the code
    # does): code scanning shows it as the rule's precision
    precision: Literal["high", "medium"] = "high"


@dataclass
class RuleInput:
    ctx: StackView
    facts: TopologyFacts
    topology: Topology
    nodes: dict[str, Node] = field(default_factory=dict)
    out_edges: dict[str, list[Edge]] = field(default_factory=lambda: defaultdict(list))
    in_edges: dict[str, list[Edge]] = field(default_factory=lambda: defaultdict(list))

    def __post_init__(self) -> None:
        self.nodes = {n.id: n for n in self.topology.nodes}
        for e in self.topology.edges:
            self.out_edges[e.source].append(e)
            self.in_edges[e.target].append(e)

    def location(self, node_id: str) -> tuple[str, int | None]:
        """Where a node is defined; for one from outside the scan (an ``ext:`` node has no
        file), the first place the templates reference it (the evidence of its edges)."""
        n = self.nodes.get(node_id)
        if n is not None and n.file:
            return n.file, n.line
        seen = sorted(
            (v.file, v.line or 0)
            for e in (*self.in_edges.get(node_id, ()), *self.out_edges.get(node_id, ()))
            for v in e.via
            if v.file
        )
        if seen:
            return seen[0][0], seen[0][1] or None
        return (n.file, n.line) if n else ("", None)
