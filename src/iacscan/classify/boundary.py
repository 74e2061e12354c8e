"""The black box: what brings input in (ingress) and what carries results out (egress)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from iacscan.classify.ops_hosts import is_ops_host
from iacscan.classify.self_serving import self_serving, website_buckets
from iacscan.model import Boundary, Node, Topology
from iacscan.resolve import refs_in
from iacscan.topology.result import StackView
from iacscan.walk import walk

_DATA = ("channel", "store")
# Routers that outside clients reach directly whatever the system also sends them: any device
# allowed to publish on an IoT rule's topic.
_OPEN_TO_DEVICES = frozenset({"AWS::IoT::TopicRule"})
DEFAULT_BUS = "ext:default-event-bus"
# Notifications to people (an email address, a phone, a mobile app) are neither channel nor
# store: the topic that sends them is what carries the results out.
_PEOPLE = ("SNS email", "SNS email-json", "SNS sms", "SNS application")


def find_boundary(ctx: StackView, topology: Topology) -> Boundary:
    incoming: dict[str, list[str]] = defaultdict(list)
    # Deploy-time helpers (a copier that seeds a bucket) neither feed nor read the running
    # system: a bucket only a BucketDeployment writes is not the system's output.
    deploy_time = {n.id for n in topology.nodes if n.deploy_time}
    outside_buses = {
        n.id for n in topology.nodes if n.role == "external" and n.type == "AWS::Events::EventBus"
    }
    fed: set[str] = {e.target for e in topology.edges}
    roles = {n.id: n.role for n in topology.nodes}
    # An outside source that only feeds routers (the default bus into rules): the rules are the
    # way in, and the bus is not counted twice.
    feeds_only_routers = {
        n.id
        for n in topology.nodes
        if n.role == "external"
        and (targets := [roles.get(e.target) for e in topology.edges if e.source == n.id])
        and all(r == "router" for r in targets)
    }
    for e in topology.edges:
        if e.source in deploy_time or e.target in deploy_time:
            continue
        if roles.get(e.source) == "external" and (
            e.source not in fed or e.source == DEFAULT_BUS or e.source in outside_buses
        ):
            # From outside (an event bus defined outside the scan, the default one included:
            # AWS services, other stacks and other accounts put events on it whatever the
            # stacks in scope write): its rules are still ingress.
            continue
        incoming[e.target].append(e.kind)
    # Weak evidence (a wildcard IAM resource) may write a node, so it is not "fed from
    # outside", but a weak read alone does not make a node a way in.
    run_in: dict[str, set[str]] = defaultdict(set)
    run_out: dict[str, set[str]] = defaultdict(set)
    firm_out: dict[str, set[str]] = defaultdict(set)
    firm_in: dict[str, set[str]] = defaultdict(set)
    people = {n.id for n in topology.nodes if n.type in _PEOPLE}
    for e in topology.edges:
        if e.source in deploy_time or e.target in deploy_time or e.target in people:
            continue
        run_out[e.source].add(e.target)
        if e.kind in ("writes", "triggers"):
            run_in[e.target].add(e.source)
        if not all(v.weak for v in e.via):
            firm_out[e.source].add(e.target)
            if e.kind in ("writes", "triggers"):
                firm_in[e.target].add(e.source)
    ingress: set[str] = set()
    egress: set[str] = set()
    dead_letters = _dead_letter_queues(ctx)
    # A dead-letter queue that only its source queue's redrive policy, a rule target's or a
    # pipe's dead-letter config fills holds failed messages of the system, not its output; one
    # a function or a destination writes is.
    # (a dead-letter queue outside the scan, named by a parameter or an ARN, is one too)
    dead_letters |= {e.target for e in topology.edges if e.dead_letter}
    redriven_only = {
        d
        for d in dead_letters
        if (into := [e for e in topology.edges if e.target == d])
        and all(roles.get(e.source) == "channel" or e.dead_letter for e in into)
    }
    # execute-api:ManageConnections: compute posts to the clients connected to a WebSocket API
    pushed = {
        e.target
        for e in topology.edges
        if e.kind == "writes"
        and e.source not in deploy_time
        and any("execute-api:ManageConnections" in v.what and not v.weak for v in e.via)
    }
    serving = set(self_serving(ctx, topology))
    ingress |= serving  # compute on a public endpoint of its own (App Runner, Beanstalk web)
    ingress |= set(website_buckets(ctx, topology))  # a bucket's website endpoint
    for n in topology.nodes:
        if n.deploy_time:
            continue
        if n.role == "ingress":
            # an internal load balancer that an API in scope reaches is a hop, not a way in
            if not _internal_behind(ctx, n, incoming[n.id]):
                ingress.add(n.id)
            if n.id in pushed:
                egress.add(n.id)  # a WebSocket API the system posts to: replies leave by it
        elif n.role == "router" and (not incoming[n.id] or n.type in _OPEN_TO_DEVICES):
            ingress.add(n.id)  # (devices publish to an IoT rule's topic whatever else does)
        elif (
            n.role in (*_DATA, "external")
            and firm_out[n.id]
            and not run_in[n.id]
            and n.id not in dead_letters
            and n.id not in feeds_only_routers
        ):
            ingress.add(n.id)  # fed from outside: nothing in scope writes it (a redrive target
            # is fed by its source queue, not from outside)
        written = any(k in ("writes", "triggers") for k in incoming[n.id])
        # Surely written but read only through wildcard grants: the reads are guesses, the
        # output is not. (The default bus is read when a rule in scope has a pattern on it: the
        # eventbridge extractor draws that edge.)
        guessed = bool(firm_in[n.id]) and not firm_out[n.id]
        read = bool(run_out[n.id]) and not guessed
        if (
            (n.role in _DATA or n.role == "external")
            and written
            and not read
            and n.id not in people
            and n.id not in redriven_only  # failed messages parked by their own queue
        ):
            egress.add(n.id)
    node_ids = {n.id for n in topology.nodes}
    ingress_roles = serving | {
        n.id for n in topology.nodes if n.role == "ingress" and not n.deploy_time
    }
    imported = _imported_names(ctx)
    touched = {e.source for e in topology.edges} | {e.target for e in topology.edges}
    ops_hosts = {n.id for n in topology.nodes if is_ops_host(ctx, n, n.id in touched)}
    for stack, t in ctx.templates.items():
        for out in t.outputs.values():
            if not isinstance(out, Mapping) or not isinstance(out.get("Export"), Mapping):
                continue
            name = ctx.resolve(stack, out["Export"].get("Name"))
            if isinstance(name, str) and name in imported:
                continue  # consumed by a stack in scope: inside the black box
            for ref in refs_in(ctx.resolve(stack, out.get("Value"))):
                node = ctx.node_id(*ctx.canonical((ref.stack, ref.logical_id)))
                if node in ingress_roles:
                    ingress.add(node)  # an exported API or load balancer: callers come in
                elif node in node_ids and node not in ops_hosts:
                    egress.add(node)  # an ops host's id is for people, not a data output
    return Boundary(ingress=tuple(sorted(ingress)), egress=tuple(sorted(egress)))


def _internal_behind(ctx: StackView, node: Node, incoming: list[str]) -> bool:
    """An internal load balancer that something in scope triggers (an API's VPC link) is a hop
    inside the black box, not a way in."""
    if node.type != "AWS::ElasticLoadBalancingV2::LoadBalancer" or "triggers" not in incoming:
        return False
    res = ctx.resource((node.stack, node.id.rsplit("/", 1)[-1]))
    scheme = res.properties.get("Scheme") if res is not None else None
    return ctx.text(node.stack, scheme) == "internal"


# Where failed deliveries go: (resource type, path to the dead-letter target ARN).
_DEAD_LETTER_PATHS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("AWS::SQS::Queue", ("RedrivePolicy", "deadLetterTargetArn")),
    ("AWS::SNS::Subscription", ("RedrivePolicy", "deadLetterTargetArn")),
    ("AWS::Lambda::Function", ("DeadLetterConfig", "TargetArn")),
    ("AWS::Lambda::EventSourceMapping", ("DestinationConfig", "OnFailure", "Destination")),
    ("AWS::Lambda::EventInvokeConfig", ("DestinationConfig", "OnFailure", "Destination")),
)


def _dead_letter_queues(ctx: StackView) -> set[str]:
    """Node ids of queues and topics that receive failed deliveries from something in scope
    (redrive policies, dead-letter configs, on-failure destinations, rule targets' DLQs)."""
    values: list[tuple[str, Any]] = []
    for rtype, path in _DEAD_LETTER_PATHS:
        for stack, res in ctx.resources(rtype):
            value: Any = res.properties
            for i, key in enumerate(path):
                if isinstance(value, str) and i > 0:  # a redrive policy written as JSON text
                    value = _json(value)
                value = value.get(key) if isinstance(value, Mapping) else None
            values.append((stack, value))
    for stack, rule in ctx.resources("AWS::Events::Rule"):
        targets = rule.properties.get("Targets")
        for target in targets if isinstance(targets, list) else []:
            values.append((stack, _dig(target, "DeadLetterConfig", "Arn")))
    for stack, schedule in ctx.resources("AWS::Scheduler::Schedule"):
        values.append((stack, _dig(schedule.properties, "Target", "DeadLetterConfig", "Arn")))
    for stack, pipe in ctx.resources("AWS::Pipes::Pipe"):
        params = pipe.properties.get("SourceParameters")
        for config in params.values() if isinstance(params, Mapping) else ():
            values.append((stack, _dig(config, "DeadLetterConfig", "Arn")))
    out: set[str] = set()
    for stack, value in values:
        if value is None:
            continue
        for ref in ctx.refs(stack, value):
            out.add(ctx.node_id(*ctx.canonical((ref.stack, ref.logical_id))))
    return out


def _dig(value: Any, *path: str) -> Any:
    for key in path:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def _json(text: str) -> Any:
    import json

    try:
        return json.loads(text)
    except ValueError:
        return None


def _imported_names(ctx: StackView) -> set[str]:
    """Export names that some template in scope imports with Fn::ImportValue."""
    names: set[str] = set()
    for stack, t in ctx.templates.items():
        for value in walk([r.properties for r in t.resources.values()]):
            if (
                not isinstance(value, str)
                and isinstance(value, Mapping)
                and "Fn::ImportValue" in value
            ):
                name = ctx.resolve(stack, value["Fn::ImportValue"])
                if isinstance(name, str):
                    names.add(name)
    return names
