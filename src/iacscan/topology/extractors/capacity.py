"""Capacity and the units it runs: ECS capacity providers and their auto scaling groups, classic
ECS container instances (``ECS_CLUSTER`` in user data), EKS node groups and Fargate profiles.

Capacity is not a business unit; it is drawn connected to what it runs. The edge vocabulary
(triggers, invokes, writes, reads) describes data flow and has no word for "runs on", so the
link is kept out of the edges and recorded on both nodes as properties: ``capacity_for`` on the
capacity node (the services it runs, or the cluster when no service in scope runs on it) and
``runs_on`` on the service or EKS cluster. Renderers draw it as a dotted "runs on" link.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from iacscan.knowledge.resource_types import EKS_CLUSTERS, EKS_FARGATE_PROFILES, eks_cluster_name
from iacscan.resolve import has_tokens
from iacscan.topology.context import Key, ScanContext
from iacscan.topology.extractors.base import as_list

ID = "capacity"


def extract(ctx: ScanContext) -> None:
    links: dict[str, set[str]] = defaultdict(set)  # capacity node -> what it runs
    _ecs(ctx, links)
    _eks(ctx, links)
    runs_on: dict[str, set[str]] = defaultdict(set)
    for capacity, targets in links.items():
        ctx.graph.draft(capacity).properties["capacity_for"] = ", ".join(sorted(targets))
        for target in targets:
            if ctx.graph.has_node(target):
                runs_on[target].add(capacity)
    for target, capacities in runs_on.items():
        ctx.graph.draft(target).properties["runs_on"] = ", ".join(sorted(capacities))


def _ecs(ctx: ScanContext, links: dict[str, set[str]]) -> None:
    providers = _providers(ctx)  # capacity provider key -> its auto scaling groups
    names = {
        ctx.text(key[0], res.properties.get("Name")): key
        for key in providers
        if (res := ctx.resource(key)) is not None
    }
    cluster_providers: dict[Key, set[Key]] = defaultdict(set)
    for stack, res in ctx.resources("AWS::ECS::Cluster"):
        for cp in _provider_keys(ctx, stack, res.properties.get("CapacityProviders"), names):
            cluster_providers[(stack, res.logical_id)].add(cp)
    for stack, assoc in ctx.resources("AWS::ECS::ClusterCapacityProviderAssociations"):
        for ref in ctx.refs(stack, assoc.properties.get("Cluster")):
            for cp in _provider_keys(ctx, stack, assoc.properties.get("CapacityProviders"), names):
                cluster_providers[(ref.stack, ref.logical_id)].add(cp)
    used: set[Key] = set()  # capacity (providers, groups) some service in scope runs on
    for stack, svc in ctx.resources("AWS::ECS::Service"):
        node = ctx.ensure_node((stack, svc.logical_id))
        if node is None:
            continue
        props = svc.properties
        clusters = [(r.stack, r.logical_id) for r in ctx.refs(stack, props.get("Cluster"))]
        strategy = props.get("CapacityProviderStrategy")
        if strategy is not None:
            chosen = set(_strategy_keys(ctx, stack, strategy, names))
        elif _fargate(ctx, stack, props.get("LaunchType")):
            continue
        else:
            chosen = {cp for c in clusters for cp in cluster_providers.get(c, ())}
            if props.get("LaunchType") is not None or not chosen:
                chosen |= {asg for c in clusters for asg in ctx.ecs.cluster_instances.get(c, ())}
        for cp in chosen:
            used.add(cp)
            _link(ctx, links, cp, node)
            for asg in providers.get(cp, ()):
                used.add(asg)
                _link(ctx, links, asg, node)
    # Capacity with no service in scope on it: it runs its cluster (and is paid for anyway).
    for cluster, cps in cluster_providers.items():
        for cp in cps:
            for key in (cp, *providers.get(cp, ())):
                if key not in used:
                    _link(ctx, links, key, f"ECS cluster {ctx.node_id(*cluster)}")
    for cluster, joined in ctx.ecs.cluster_instances.items():
        for asg in joined:
            if asg not in used:
                _link(ctx, links, asg, f"ECS cluster {ctx.node_id(*cluster)}")
    for cp, asgs in providers.items():
        if cp not in used and not any(cp in cps for cps in cluster_providers.values()):
            for key in (cp, *asgs):
                _link(ctx, links, key, "ECS tasks of a cluster outside the scan")
    in_cluster = {k for group in ctx.ecs.cluster_instances.values() for k in group}
    for key in sorted(ctx.ecs.capacity_groups - used - in_cluster):
        if not any(key in asgs for asgs in providers.values()):
            _link(ctx, links, key, "ECS tasks of a cluster outside the scan")


def _providers(ctx: ScanContext) -> dict[Key, list[Key]]:
    out: dict[Key, list[Key]] = {}
    for stack, cp in ctx.resources("AWS::ECS::CapacityProvider"):
        asg = cp.properties.get("AutoScalingGroupProvider")
        value = asg.get("AutoScalingGroupArn") if isinstance(asg, Mapping) else None
        out[(stack, cp.logical_id)] = [(r.stack, r.logical_id) for r in ctx.refs(stack, value)]
    return out


def _provider_keys(ctx: ScanContext, stack: str, value: Any, names: Mapping[str, Key]) -> list[Key]:
    out: list[Key] = []
    for item in as_list(ctx.resolve(stack, value)):
        refs = [(r.stack, r.logical_id) for r in ctx.refs(stack, item)]
        if refs:
            out.extend(k for k in refs if _is_provider(ctx, k))
        elif isinstance(item, str) and not has_tokens(item) and item in names:
            out.append(names[item])
    return out


def _strategy_keys(
    ctx: ScanContext, stack: str, strategy: Any, names: Mapping[str, Key]
) -> list[Key]:
    items = ctx.resolve(stack, strategy)
    values = [i.get("CapacityProvider") for i in as_list(items) if isinstance(i, Mapping)]
    return _provider_keys(ctx, stack, values, names)


def _is_provider(ctx: ScanContext, key: Key) -> bool:
    res = ctx.resource(key)
    return res is not None and res.type == "AWS::ECS::CapacityProvider"


def _fargate(ctx: ScanContext, stack: str, value: Any) -> bool:
    text = ctx.resolve(stack, value)
    return isinstance(text, str) and text.upper() == "FARGATE"


def _link(ctx: ScanContext, links: dict[str, set[str]], capacity: Key, target: str) -> None:
    node = ctx.ensure_node(capacity)
    if node is not None:
        links[node].add(target)


def _eks(ctx: ScanContext, links: dict[str, set[str]]) -> None:
    for key, name in ctx.ecs.eks_workers.items():
        res = ctx.resource(key)
        clusters = [
            node
            for ref in ctx.refs(key[0], res.properties.get("Tags") if res is not None else None)
            if (c := ctx.resource((ref.stack, ref.logical_id))) is not None
            and c.type in EKS_CLUSTERS
            and (node := ctx.ensure_node((ref.stack, ref.logical_id))) is not None
        ]
        for runs in clusters or [f"pods of EKS cluster {name or 'named at boot'}"]:
            _link(ctx, links, key, runs)
    for rtype in ("AWS::EKS::Nodegroup", *sorted(EKS_FARGATE_PROFILES)):
        for stack, res in ctx.resources(rtype):
            for ref in ctx.refs(stack, eks_cluster_name(res.properties)):
                cluster = ctx.ensure_node((ref.stack, ref.logical_id))
                if cluster is not None:
                    _link(ctx, links, (stack, res.logical_id), cluster)
