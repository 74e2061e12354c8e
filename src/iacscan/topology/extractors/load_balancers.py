"""Load balancers: listener (and listener rules) -> target group -> function, service or fleet."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from iacscan.model import Resource
from iacscan.resolve import unknown_options
from iacscan.topology.context import Key, ScanContext
from iacscan.topology.extractors.base import as_list, each, get
from iacscan.walk import walk

ID = "load-balancers"

_TG = ("AWS::ElasticLoadBalancingV2::TargetGroup",)
_LB = ("AWS::ElasticLoadBalancingV2::LoadBalancer",)


def _forwards(action: Any) -> list[Any]:
    """The target groups an action forwards to (one, or a weighted ForwardConfig list)."""
    return [get(action, "TargetGroupArn")] + [
        get(t, "TargetGroupArn") for t in as_list(get(action, "ForwardConfig", "TargetGroups"))
    ]


def _group_targets(ctx: ScanContext) -> dict[Key, list[str]]:
    """Target group -> the compute nodes registered in it."""
    out: dict[Key, list[str]] = defaultdict(list)
    for stack, tg in ctx.resources(*_TG):
        for target in as_list(tg.properties.get("Targets")):
            for t in ctx.targets(
                stack, get(target, "Id"), types=("AWS::Lambda::Function", "AWS::EC2::Instance")
            ):
                out[(stack, tg.logical_id)].append(t.node)
    for stack, svc in ctx.resources("AWS::ECS::Service"):
        for lb in as_list(svc.properties.get("LoadBalancers")):
            for ref in ctx.refs(stack, get(lb, "TargetGroupArn")):
                node = ctx.ensure_node((stack, svc.logical_id))
                if node:
                    out[(ref.stack, ref.logical_id)].append(node)
    for stack, asg in ctx.resources("AWS::AutoScaling::AutoScalingGroup"):
        for arn in as_list(asg.properties.get("TargetGroupARNs")):
            for ref in ctx.refs(stack, arn):
                node = ctx.ensure_node((stack, asg.logical_id))
                if node:
                    out[(ref.stack, ref.logical_id)].append(node)
    return out


def _actions(ctx: ScanContext, stack: str, value: Any) -> list[Any]:
    """A listener's or rule's actions, resolved: conditions decided where known, both branches
    of an unknown one (either may forward)."""
    resolved = ctx.resolve(stack, value)
    return [
        item
        for item in walk(
            resolved, descend=lambda i: not isinstance(i, Mapping), children=unknown_options
        )
        if isinstance(item, Mapping)
    ]


def extract(ctx: ScanContext) -> None:
    groups = _group_targets(ctx)

    def link(
        lb_stack: str,
        listener_value: object,
        stack: str,
        tg_value: object,
        what: str,
        res: Resource,
    ) -> None:
        """``listener_value`` (read in ``lb_stack``) names the load balancer; ``tg_value`` (read
        in ``stack``, the rule's or listener's own) the target groups it forwards to."""
        lbs: list[str] = []
        refs = list(ctx.refs(lb_stack, listener_value))
        if not refs:
            # A load balancer or listener from outside the scope (an import no stack in scope
            # exports, a parameter without a default): an unknown ext: node, the way in.
            lbs += [
                t.node for t in ctx.targets(lb_stack, listener_value, types=_LB) if t.key is None
            ]
        for ref in refs:
            listener = ctx.resource((ref.stack, ref.logical_id))
            if listener is None:
                continue
            if listener.type == "AWS::ElasticLoadBalancingV2::Listener":
                lbs += [
                    t.node
                    for t in ctx.targets(ref.stack, listener.properties.get("LoadBalancerArn"))
                ]
            else:
                node = ctx.ensure_node((ref.stack, ref.logical_id))
                if node:
                    lbs.append(node)
        for ref in ctx.refs(stack, tg_value):
            for target in groups.get((ref.stack, ref.logical_id), []):
                for lb in lbs:
                    ctx.add_edge(lb, target, "triggers", ctx.via(stack, what, res=res))

    def listener(ctx: ScanContext, stack: str, res: Resource) -> None:
        # An action may be an Fn::If (redirect when a certificate is given, else forward).
        for action in _actions(ctx, stack, res.properties.get("DefaultActions")):
            link(
                stack,
                res.properties.get("LoadBalancerArn"),
                stack,
                _forwards(action),
                f"{res.type} {res.logical_id}",
                res,
            )

    def listener_rule(ctx: ScanContext, stack: str, res: Resource) -> None:
        listener_value = res.properties.get("ListenerArn")
        if not any(True for _ in ctx.refs(stack, listener_value)):
            for action in _actions(ctx, stack, res.properties.get("Actions")):
                link(
                    stack,
                    listener_value,
                    stack,
                    _forwards(action),
                    f"{res.type} {res.logical_id}",
                    res,
                )
        for ref in ctx.refs(stack, listener_value):
            lst = ctx.resource((ref.stack, ref.logical_id))
            if lst is None:
                continue
            for action in _actions(ctx, stack, res.properties.get("Actions")):
                # The listener may live in another stack (an import or a nested stack's
                # parameter); the target groups are named in the rule's own stack.
                link(
                    ref.stack,
                    lst.properties.get("LoadBalancerArn"),
                    stack,
                    _forwards(action),
                    f"{res.type} {res.logical_id}",
                    res,
                )

    each(ctx, ID, ("AWS::ElasticLoadBalancingV2::Listener",), listener)
    each(ctx, ID, ("AWS::ElasticLoadBalancingV2::ListenerRule",), listener_rule)

    def classic(ctx: ScanContext, stack: str, res: Resource) -> None:
        lb = ctx.ensure_node((stack, res.logical_id))
        for asg_stack, asg in ctx.resources("AWS::AutoScaling::AutoScalingGroup"):
            names = ctx.resolve(asg_stack, asg.properties.get("LoadBalancerNames"))
            if any(r.logical_id == res.logical_id for r in ctx.refs(asg_stack, names)):
                what = f"AWS::AutoScaling::AutoScalingGroup {asg.logical_id} LoadBalancerNames"
                ctx.add_edge(
                    lb,
                    ctx.ensure_node((asg_stack, asg.logical_id)),
                    "triggers",
                    ctx.via(asg_stack, what, res=asg),
                )

    each(ctx, ID, ("AWS::ElasticLoadBalancing::LoadBalancer",), classic)
