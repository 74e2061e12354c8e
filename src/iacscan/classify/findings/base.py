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
        n = self.nodes.get(node_id)
        return (n.file, n.line) if n else ("", None)
