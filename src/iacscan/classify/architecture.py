"""The architecture label: single-service, distributed, monolith-candidate or none.

Business-logic units are compute nodes of unit types; a function whose only outgoing edges start
containers or state machines is a launcher (a trigger), not a unit. Units whose code is the same
artifact are copies of one another (Prime Video's cloned detector shards).

A channel between units is a path through one or more queues, topics, streams, buses and rules
(``channels.py``); a path back into the unit it left is a loop inside that unit, which does not
stop ``monolith-candidate`` whatever carries it (definitions.md: "no channel ... between compute
units").
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from iacscan.classify.channels import channel_paths, passes_messages, show_paths
from iacscan.classify.ops_hosts import is_ops_host
from iacscan.classify.self_serving import self_serving
from iacscan.knowledge.resource_types import EKS_CLUSTERS, has_trait, type_info
from iacscan.model import Architecture, Resource, Topology
from iacscan.resolve import display
from iacscan.topology.result import StackView

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


def _artifact(ctx: StackView, node_type: str, stack: str, res: Resource) -> str | None:
    """What identifies a unit's code, or None when nothing does (then it is a copy of nothing).

    Local paths (SAM's CodeUri, a template before ``package``) are resolved against the
    template's own folder: ``CodeUri: .`` in two apps' folders is two artifacts."""
    props = res.properties
    if node_type == "AWS::Lambda::Function":
        code = ctx.resolve(stack, props.get("Code"))
        handler = display(ctx.resolve(stack, props.get("Handler")))
        if isinstance(code, str) and code.strip():
            return f"lambda:{_local(ctx, stack, code)}|{handler}{_sam_build(res)}"
        if isinstance(code, Mapping) and "ZipFile" in code:
            digest = hashlib.sha256(str(code["ZipFile"]).encode()).hexdigest()
            return f"lambda:zip:{digest}|{handler}"
        if isinstance(code, Mapping) and code.get("ImageUri") not in (None, ""):
            return f"lambda:image:{display(code.get('ImageUri'))}|{handler}"
        if isinstance(code, Mapping) and code.get("S3Key") not in (None, ""):
            where = f"{display(code.get('S3Bucket'))}/{display(code.get('S3Key'))}"
            return f"lambda:s3:{where}@{display(code.get('S3ObjectVersion'))}|{handler}"
        context = res.metadata.get("DockerContext") if res.metadata else None
        if isinstance(context, str) and context.strip():  # a SAM image built from a folder
            dockerfile = res.metadata.get("Dockerfile", "Dockerfile")
            return f"lambda:docker:{_local(ctx, stack, context)}|{dockerfile}|{handler}"
        return None
    if node_type == "AWS::ECS::TaskDefinition":
        containers = ctx.resolve(stack, props.get("ContainerDefinitions"))
        if isinstance(containers, list) and not any(
            isinstance(c, Mapping) and c.get("Image") not in (None, "") for c in containers
        ):
            return None
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


# SAM builds one artifact per function from a shared CodeUri with these build methods: ``make
# build-<LogicalId>`` (makefile) and the cargo binary named for the function (rust-cargolambda).
_PER_FUNCTION_BUILDS = ("makefile", "rust-cargolambda")


def _sam_build(res: Resource) -> str:
    """What a SAM build adds to a function's code folder and handler: the function itself when
    its ``Metadata.BuildMethod`` builds one binary per function, the bundle's entry points for
    ``esbuild``; nothing for a build of the folder as it is (one artifact for all)."""
    meta = res.metadata if isinstance(res.metadata, Mapping) else {}
    method = meta.get("BuildMethod")
    if not isinstance(method, str):
        return ""
    method = method.strip().lower()
    if method in _PER_FUNCTION_BUILDS:
        return f"|build:{method}:{res.logical_id}"
    if method == "esbuild":
        props = meta.get("BuildProperties")
        entry = props.get("EntryPoints") if isinstance(props, Mapping) else None
        if entry is not None:
            return f"|build:esbuild:{display(entry)}"
    return ""


def _local(ctx: StackView, stack: str, path: str) -> str:
    """A local artifact path as the folder it names, relative to its template's folder."""
    if "://" in path:
        return path
    folder = posixpath.dirname(ctx.templates[stack].file.replace("\\", "/"))
    return "local:" + posixpath.normpath(posixpath.join(folder, path.replace("\\", "/")))


def label_architecture(ctx: StackView, topology: Topology) -> ArchitectureResult:
    """The label from what was seen; when parts may hide units (a nested stack not loaded, a
    template that failed), a one-unit label cannot rule them out, so ``monolith`` is unknown."""
    result = _label(ctx, topology)
    unseen = sorted(
        str(n.properties.get("unseen") or n.id)
        for n in topology.nodes
        if n.properties.get("may_hide_compute") is True
    )
    if not unseen or result.label not in ("monolith-candidate", "single-service"):
        return result
    candidate = result.label == "monolith-candidate"
    reason = f"not everything was seen ({'; '.join(unseen)}): units there may make this " + (
        "distributed, so whether it is a monolith is unknown" if candidate else "distributed"
    )
    return ArchitectureResult(
        result.label,
        None if candidate else result.monolith,
        (*result.reasons[:-1], reason, result.reasons[-1]),
        result.groups,
        result.launchers,
    )


def outside_units(topology: Topology) -> list[str]:
    """Compute the system starts that is defined outside the scan (``ext:`` nodes from a
    parameter, an import or a name: a function, a task, or a state machine whose steps run
    there): not counted as units, but no "no business compute" either."""
    return sorted(
        n.id
        for n in topology.nodes
        if n.role == "external"
        and n.properties.get("unknown") is True
        and (type_info(n.type).unit or has_trait(n.type, "launched"))
    )


def _label(ctx: StackView, topology: Topology) -> ArchitectureResult:
    nodes = {n.id: n for n in topology.nodes}
    out_edges: dict[str, list[Any]] = defaultdict(list)
    in_edges: dict[str, list[Any]] = defaultdict(list)
    for e in topology.edges:
        out_edges[e.source].append(e)
        in_edges[e.target].append(e)
    units: list[str] = []
    launchers: list[str] = []
    ops_hosts: list[str] = []
    for n in topology.nodes:
        if n.role != "compute" or n.deploy_time or not type_info(n.type).unit:
            continue
        outs = out_edges.get(n.id, [])
        if is_ops_host(ctx, n, bool(outs or in_edges.get(n.id))):
            ops_hosts.append(n.id)
            continue
        if (
            n.type == "AWS::Lambda::Function"
            and outs
            and all(
                e.kind == "invokes" and has_trait(nodes[e.target].type, "launched") for e in outs
            )
        ):
            launchers.append(n.id)
            continue
        units.append(n.id)
    groups_by_artifact: dict[str, list[str]] = defaultdict(list)
    for unit in units:
        groups_by_artifact[_unit_artifact(ctx, nodes[unit].type, unit) or unit].append(unit)
    groups = tuple(sorted(tuple(sorted(g)) for g in groups_by_artifact.values()))
    if not groups:
        capacity = sorted(
            n.id
            for n in topology.nodes
            if (n.role == "capacity" or n.type in EKS_CLUSTERS) and not n.deploy_time
        )
        why = "no business compute in scope" + (
            f" ({', '.join(capacity)}: capacity for units the template does not define, "
            "not units themselves)"
            if capacity
            else ""
        )
        if outside := outside_units(topology):
            why += f"; it starts compute defined outside the scan: {', '.join(outside)}"
        return ArchitectureResult("none", None, (why, *_ops(ops_hosts)), (), tuple(launchers))
    reasons: list[str] = []
    member = {u: i for i, g in enumerate(groups) for u in g}
    # An API passed in from outside (an ext: node) may route to units the scan does not see:
    # being its target here says nothing about being its sole target. An API that reaches a
    # load balancer through a VPC link is one request path: the hop between the two is not a
    # target.
    request_edges = [
        e
        for e in topology.edges
        if has_trait(nodes[e.source].type, "request-ingress")
        and e.kind == "triggers"
        and nodes[e.source].role != "external"
        and not has_trait(nodes[e.target].type, "request-ingress")
    ]
    channels = channel_paths(member, nodes, out_edges)
    # A unit on a public endpoint of its own (App Runner, a Beanstalk web environment) is the
    # target of its own request ingress.
    serving = self_serving(ctx, topology)
    if (
        len(groups) == 1
        and (request_edges or serving)
        and all(e.target in member for e in request_edges)
        and all(s in member for s in serving)
        and not channels.between_total
    ):
        sources = sorted(
            {e.source for e in request_edges} | {f"{s}'s own endpoint" for s in serving}
        )
        reasons.append(
            f"one deployable unit ({', '.join(groups[0])}) is the sole target of the request "
            f"ingress ({', '.join(sources)}), with no queue, topic, stream or bus between "
            "compute units"
        )
        if channels.loops_total:
            reasons.append(
                f"{show_paths(channels.loops, channels.loops_total)}: a unit handing work to "
                "itself, a loop inside one unit, not a channel between units"
            )
        reasons.extend(_ops(ops_hosts))
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
        if channels.between_total:
            reasons.append(
                f"connected through {show_paths(channels.between, channels.between_total)}"
            )
    else:
        label = "distributed"
        # Units are separated by "; " and copies are bracketed: node ids contain "/" (nested
        # and multi-stack ids), so a separator of "/" would read as one path.
        shown = "; ".join(
            g[0] if len(g) == 1 else f"[{len(g)} copies of one artifact: {', '.join(g)}]"
            for g in groups
        )
        reasons.append(f"{len(groups)} independently deployable units: {shown}")
        if channels.between_total:
            reasons.append(
                f"connected through {show_paths(channels.between, channels.between_total)}"
            )
        reasons.append("not a monolith: the units deploy and scale separately")
    reasons.extend(_ops(ops_hosts))
    reasons.append(SCOPE_NOTE)
    return ArchitectureResult(label, False, tuple(reasons), groups, tuple(launchers))


def _ops(hosts: list[str]) -> list[str]:
    if not hosts:
        return []
    return [f"{', '.join(sorted(hosts))}: operations access (bastion), not a business unit"]


def _unit_artifact(ctx: StackView, node_type: str, node_id: str) -> str | None:
    """A unit's artifact (``_artifact``). When a part of it is unknown before deploy time, its
    expression as written stands for it: two images whose URIs the scan cannot read print the
    same unknown, yet ``Ref WebRepo`` and ``Ref JobRepo`` are two images, while two functions
    on the same image parameter are copies."""
    key = ctx.key_of.get(node_id)
    if key is None:
        return None
    res = ctx.resource(key)
    if res is None:
        return None
    found: str | None = None
    stack, code = key[0], res
    if node_type == "AWS::ECS::Service":
        for ref in ctx.refs(key[0], res.properties.get("TaskDefinition")):
            td = ctx.resource((ref.stack, ref.logical_id))
            if td is not None:
                stack, code = ref.stack, td
                found = _artifact(ctx, td.type, ref.stack, td)
                break
    else:
        found = _artifact(ctx, node_type, key[0], res)
    if found is not None and "<unknown" in found:
        written = {k: code.properties.get(k) for k in _CODE_PROPERTIES}
        containers = code.properties.get("ContainerDefinitions")
        if isinstance(containers, list):  # the image and what it runs, not its settings
            written["ContainerDefinitions"] = [
                {k: c.get(k) for k in _CONTAINER_CODE} if isinstance(c, Mapping) else c
                for c in containers
            ]
        return f"as written in {stack}:" + json.dumps(written, sort_keys=True, default=str)
    return found


# What a unit's code is written with, compared as written when its value is unknown; of a
# container, what it runs (two shards differing in an environment variable are copies).
_CODE_PROPERTIES = ("Code", "Handler", "ContainerDefinitions", "ImageConfig", "PackageType")
_CONTAINER_CODE = ("Image", "Command", "EntryPoint")


def _not_monolith(
    group: tuple[str, ...],
    nodes: Mapping[str, Any],
    in_edges: Mapping[str, list[Any]],
    out_edges: Mapping[str, list[Any]],
    launchers: list[str],
) -> list[str]:
    """Why one group is not a monolith: what starts it, what it emits to, how far it scales.

    Only ``triggers`` and ``invokes`` sources start a unit. A ``reads`` source is data the unit
    pulls: a queue or stream it polls feeds it (said as "reads from", not as an invoker); a store
    it reads (a table, a bucket) is left out, since every monolith reads its database."""
    reasons = []
    inbound = [e for u in group for e in in_edges.get(u, [])]
    callers = sorted({e.source for e in inbound if e.kind in ("triggers", "invokes")})
    read = sorted(
        {e.source for e in inbound if e.kind == "reads" and passes_messages(nodes[e.source])}
        - set(callers)
    )
    outputs = sorted({e.target for u in group for e in out_edges.get(u, []) if e.kind == "writes"})
    started = [f"invoked by {', '.join(callers)}"] if callers else []
    started += [f"reads from {', '.join(read)}"] if read else []
    if started:
        reasons.append(f"not a monolith: {'; '.join(started)}")
    if outputs:
        reasons.append(f"emits to {', '.join(outputs)}")
    for u in group:
        high = nodes[u].properties.get("max")
        if high:
            reasons.append(f"{u} scales out to {high} tasks")
    return reasons
