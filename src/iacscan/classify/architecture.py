"""The architecture label: single-service, distributed, monolith-candidate or none.

Business-logic units are compute nodes of unit types; a function whose only outgoing edges start
containers or state machines is a launcher (a trigger), not a unit. Units whose code is the same
artifact are copies of one another (Prime Video's cloned detector shards).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from iacscan.model import Architecture, Topology
from iacscan.resolve import display
from iacscan.topology.context import ScanContext
from iacscan.topology.knowledge import type_info

LAUNCHED = ("AWS::ECS::TaskDefinition", "AWS::ECS::Service", "AWS::StepFunctions::StateMachine")
REQUEST_INGRESS = (
    "AWS::ApiGateway::RestApi",
    "AWS::ApiGatewayV2::Api",
    "AWS::Lambda::Url",
    "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "AWS::ElasticLoadBalancing::LoadBalancer",
    "AWS::AppSync::GraphQLApi",
)
SCOPE_NOTE = (
    "Scope: a template shows deployable units and their channels, not the code inside them; "
    "other services of the application may live elsewhere."
)


@dataclass(frozen=True, slots=True)
class ArchitectureResult:
    label: Architecture
    monolith: bool | None
    reasons: tuple[str, ...]
    groups: tuple[tuple[str, ...], ...]
    launchers: tuple[str, ...]


def _artifact(ctx: ScanContext, node_type: str, stack: str, props: Mapping[str, Any]) -> str | None:
    if node_type == "AWS::Lambda::Function":
        code = ctx.resolve(stack, props.get("Code"))
        if isinstance(code, Mapping) and "ZipFile" in code:
            code = {"ZipFile": hashlib.sha256(str(code["ZipFile"]).encode()).hexdigest()}
        return f"lambda:{display(code)}|{display(ctx.resolve(stack, props.get('Handler')))}"
    if node_type == "AWS::ECS::TaskDefinition":
        containers = ctx.resolve(stack, props.get("ContainerDefinitions"))
        if isinstance(containers, list):
            parts = sorted(
                display(c.get("Image"))
                + "|"
                + display(c.get("Command"))
                + "|"
                + display(c.get("EntryPoint"))
                for c in containers
                if isinstance(c, Mapping)
            )
            return "ecs:" + ";".join(parts)
    return None


def label_architecture(ctx: ScanContext, topology: Topology) -> ArchitectureResult:
    nodes = {n.id: n for n in topology.nodes}
    out_edges: dict[str, list[Any]] = defaultdict(list)
    in_edges: dict[str, list[Any]] = defaultdict(list)
    for e in topology.edges:
        out_edges[e.source].append(e)
        in_edges[e.target].append(e)
    units: list[str] = []
    launchers: list[str] = []
    for n in topology.nodes:
        if n.role != "compute" or n.deploy_time or not type_info(n.type).unit:
            continue
        outs = out_edges.get(n.id, [])
        if (
            n.type == "AWS::Lambda::Function"
            and outs
            and all(e.kind == "invokes" and nodes[e.target].type in LAUNCHED for e in outs)
        ):
            launchers.append(n.id)
            continue
        units.append(n.id)
    groups_by_artifact: dict[str, list[str]] = defaultdict(list)
    for unit in units:
        groups_by_artifact[_unit_artifact(ctx, nodes[unit].type, unit) or unit].append(unit)
    groups = tuple(sorted(tuple(sorted(g)) for g in groups_by_artifact.values()))
    if not groups:
        return ArchitectureResult(
            "none", None, ("no business compute in scope",), (), tuple(launchers)
        )
    reasons: list[str] = []
    member = {u: i for i, g in enumerate(groups) for u in g}
    # An API that reaches a load balancer through a VPC link is one request path: the hop
    # between the two is not a target.
    request_edges = [
        e
        for e in topology.edges
        if nodes[e.source].type in REQUEST_INGRESS
        and e.kind == "triggers"
        and nodes[e.target].type not in REQUEST_INGRESS
    ]
    channel_between = [
        n.id
        for n in topology.nodes
        if n.role == "channel"
        and any(e.source in member for e in in_edges.get(n.id, []))
        and any(e.target in member for e in out_edges.get(n.id, []))
    ]
    if (
        len(groups) == 1
        and request_edges
        and all(e.target in member for e in request_edges)
        and not channel_between
    ):
        sources = sorted({e.source for e in request_edges})
        reasons.append(
            f"one deployable unit ({', '.join(groups[0])}) is the sole target of the request "
            f"ingress ({', '.join(sources)}), with no queue, topic or stream between compute units"
        )
        reasons.append(SCOPE_NOTE)
        return ArchitectureResult(
            "monolith-candidate", True, tuple(reasons), groups, tuple(launchers)
        )
    if len(groups) == 1:
        group = groups[0]
        label: Architecture = "single-service"
        if len(group) > 1:
            reasons.append(
                f"{len(group)} copies of one artifact ({', '.join(group)}): one service, sharded"
            )
        else:
            reasons.append(f"one deployable unit: {group[0]}")
        reasons.extend(_not_monolith(group, nodes, in_edges, out_edges, launchers))
    else:
        label = "distributed"
        shown = ", ".join("/".join(g) for g in groups)
        reasons.append(f"{len(groups)} independently deployable units: {shown}")
        if channel_between:
            reasons.append(f"connected through {', '.join(sorted(channel_between))}")
        reasons.append("not a monolith: the units deploy and scale separately")
    reasons.append(SCOPE_NOTE)
    return ArchitectureResult(label, False, tuple(reasons), groups, tuple(launchers))


def _unit_artifact(ctx: ScanContext, node_type: str, node_id: str) -> str | None:
    key = ctx.key_of.get(node_id)
    if key is None:
        return None
    res = ctx.resource(key)
    if res is None:
        return None
    if node_type == "AWS::ECS::Service":
        for ref in ctx.refs(key[0], res.properties.get("TaskDefinition")):
            td = ctx.resource((ref.stack, ref.logical_id))
            if td is not None:
                return _artifact(ctx, td.type, ref.stack, td.properties)
        return None
    return _artifact(ctx, node_type, key[0], res.properties)


def _not_monolith(
    group: tuple[str, ...],
    nodes: Mapping[str, Any],
    in_edges: Mapping[str, list[Any]],
    out_edges: Mapping[str, list[Any]],
    launchers: list[str],
) -> list[str]:
    reasons = []
    callers = sorted({e.source for u in group for e in in_edges.get(u, [])})
    outputs = sorted({e.target for u in group for e in out_edges.get(u, []) if e.kind == "writes"})
    if callers:
        reasons.append(f"not a monolith: invoked by {', '.join(callers)}")
    if outputs:
        reasons.append(f"emits to {', '.join(outputs)}")
    for u in group:
        high = nodes[u].properties.get("max")
        if high:
            reasons.append(f"{u} scales out to {high} tasks")
    return reasons
