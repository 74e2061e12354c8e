"""The black box: what brings input in (ingress) and what carries results out (egress)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from iacscan.model import Boundary, Topology
from iacscan.resolve import refs_in
from iacscan.topology.context import ScanContext

_DATA = ("channel", "store")


def find_boundary(ctx: ScanContext, topology: Topology) -> Boundary:
    incoming: dict[str, list[str]] = defaultdict(list)
    outgoing: dict[str, list[str]] = defaultdict(list)
    fed: set[str] = {e.target for e in topology.edges}
    roles = {n.id: n.role for n in topology.nodes}
    for e in topology.edges:
        if roles.get(e.source) == "external" and e.source not in fed:
            # From outside (the default event bus nothing in scope writes): still ingress.
            outgoing[e.source].append(e.kind)
            continue
        incoming[e.target].append(e.kind)
        outgoing[e.source].append(e.kind)
    ingress: set[str] = set()
    egress: set[str] = set()
    for n in topology.nodes:
        if n.deploy_time:
            continue
        if n.role == "ingress" or (n.role == "router" and not incoming[n.id]):
            ingress.add(n.id)
        elif n.role in _DATA and not incoming[n.id] and outgoing[n.id]:
            ingress.add(n.id)  # fed from outside: nothing in scope writes it
        written = any(k in ("writes", "triggers") for k in incoming[n.id])
        if (n.role in _DATA or n.role == "external") and written and not outgoing[n.id]:
            egress.add(n.id)
    node_ids = {n.id for n in topology.nodes}
    imported = _imported_names(ctx)
    for stack, t in ctx.templates.items():
        for out in t.outputs.values():
            if not isinstance(out, Mapping) or not isinstance(out.get("Export"), Mapping):
                continue
            name = ctx.resolve(stack, out["Export"].get("Name"))
            if isinstance(name, str) and name in imported:
                continue  # consumed by a stack in scope: inside the black box
            for ref in refs_in(ctx.resolve(stack, out.get("Value"))):
                node = ctx.node_id(*ctx.canonical((ref.stack, ref.logical_id)))
                if node in node_ids:
                    egress.add(node)
    return Boundary(ingress=tuple(sorted(ingress)), egress=tuple(sorted(egress)))


def _imported_names(ctx: ScanContext) -> set[str]:
    """Export names that some template in scope imports with Fn::ImportValue."""
    names: set[str] = set()
    for stack, t in ctx.templates.items():
        pending: list[Any] = [r.properties for r in t.resources.values()]
        while pending:
            value = pending.pop()
            if isinstance(value, Mapping):
                if "Fn::ImportValue" in value:
                    name = ctx.resolve(stack, value["Fn::ImportValue"])
                    if isinstance(name, str):
                        names.add(name)
                pending.extend(value.values())
            elif isinstance(value, list):
                pending.extend(value)
    return names
