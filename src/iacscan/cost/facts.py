"""What a price needs from the templates: a node's resource and its resolved properties."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from iacscan.model import Edge, Node, Resource, Template, Topology
from iacscan.resolve import Ref, Scope, Unknown, has_tokens, refs_in

_UNSEEN: Any = object()
_NUMBER = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*$")


def logical_id(node: Node) -> str:
    return node.id.rsplit("/", 1)[-1]


class Facts:
    """Templates and topology together: node -> resource, resolved values, references."""

    def __init__(
        self, topology: Topology, templates: Sequence[Template], idle: Sequence[str] = ()
    ) -> None:
        self.topology = topology
        self.templates: dict[str, Template] = {t.stack: t for t in templates}
        self.scope = Scope(self.templates)
        self._values: dict[tuple[str, ...], Any] = {}
        self._resources: dict[str, Resource | None] = {}  # node id -> its resource
        self.nodes: dict[str, Node] = {n.id: n for n in topology.nodes}
        self.ingress: frozenset[str] = frozenset()  # the boundary's ingress, set by the caller
        for node_id in idle:  # idle costs that are not topology nodes (NAT gateways...)
            if node_id not in self.nodes:
                extra = self._idle_node(node_id)
                if extra is not None:
                    self.nodes[node_id] = extra
        self._by_key: dict[tuple[str, str], str] = {
            (n.stack, logical_id(n)): n.id for n in self.nodes.values()
        }
        self._edges: dict[str, list[Edge]] = {}
        for e in topology.edges:
            self._edges.setdefault(e.source, []).append(e)
            if e.target != e.source:
                self._edges.setdefault(e.target, []).append(e)

    def edges_of(self, node_id: str) -> list[Edge]:
        """The edges into and out of a node, in the topology's order."""
        return self._edges.get(node_id, [])

    def _idle_node(self, node_id: str) -> Node | None:
        stack, _, lid = node_id.rpartition("/")
        candidates = [self.templates[stack]] if stack in self.templates else []
        if not stack:
            candidates = [t for t in self.templates.values() if lid in t.resources]
        for t in candidates[:1]:
            res = t.resources.get(lid)
            if res is not None:
                return Node(node_id, res.type, "capacity", t.stack, t.file, res.line)
        return None

    def resource(self, node: Node) -> Resource | None:
        res: Resource | None = self._resources.get(node.id, _UNSEEN)  # asked at every load
        if res is _UNSEEN:
            t = self.templates.get(node.stack)
            res = self._resources[node.id] = t.resources.get(logical_id(node)) if t else None
        return res

    def resource_at(self, ref: Ref) -> Resource | None:
        t = self.templates.get(ref.stack)
        return t.resources.get(ref.logical_id) if t else None

    def node_of(self, ref: Ref) -> str | None:
        return self._by_key.get((ref.stack, ref.logical_id))

    def value(self, stack: str, res: Resource | None, *path: str) -> Any:
        """The resolved value at ``path`` of the resource's properties; None when absent."""
        if res is None:
            return None
        memo = (stack, res.logical_id, *path)
        known = self._values.get(memo, _UNSEEN)  # one system is priced at many loads: resolve once
        if known is not _UNSEEN:
            return known
        value: Any = res.properties
        for key in path:
            if not isinstance(value, Mapping):
                value = None
                break
            value = value.get(key)
        resolved = None if value is None else self.scope.resolve(stack, value)
        self._values[memo] = resolved
        return resolved

    def refs(self, stack: str, res: Resource | None, *path: str) -> Iterator[Ref]:
        value = self.value(stack, res, *path)
        yield from refs_in(value) if value is not None else ()

    def number(self, stack: str, res: Resource | None, *path: str) -> float | None:
        """A numeric property ("4096", 2048, "0.5"); None when absent or unknown."""
        value = self.value(stack, res, *path)
        if isinstance(value, bool) or value is None or isinstance(value, Unknown):
            return None
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str):
            m = _NUMBER.match(value)
            if m:
                return float(m.group(1))
        return None

    def text(self, stack: str, res: Resource | None, *path: str) -> str | None:
        value = self.value(stack, res, *path)
        return value if isinstance(value, str) and not has_tokens(value) else None


def cpu_units(value: str | float | None) -> float | None:
    """ECS Cpu: "4096", 4096, "4 vCPU" -> CPU units (1024 per vCPU)."""
    return _units(value, {"vcpu": 1024.0, "": 1.0})


def memory_mib(value: str | float | None) -> float | None:
    """ECS Memory: "8192", "8 GB" -> MiB."""
    return _units(value, {"gb": 1024.0, "mb": 1.0, "": 1.0})


def _units(value: str | float | None, scale: Mapping[str, float]) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    m = _NUMBER.match(value)
    if not m or m.group(2).lower() not in scale:
        return None
    return float(m.group(1)) * scale[m.group(2).lower()]
