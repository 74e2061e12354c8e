"""Auto scaling groups as sources of events: notification configurations (an SNS topic told of
launches and terminations) and lifecycle hooks (a queue or topic told before an instance starts
or stops), whether written as AWS::AutoScaling::LifecycleHook or in the group's own
LifecycleHookSpecificationList. The group writes them: `writes` edges."""

from __future__ import annotations

from typing import Any

from iacscan.model import Resource
from iacscan.topology.context import ScanContext
from iacscan.topology.extractors.base import as_list, each, get

ID = "autoscaling-notifications"

_TARGETS = ("AWS::SNS::Topic", "AWS::SQS::Queue")


def _write(ctx: ScanContext, stack: str, group: str, value: Any, what: str, res: Resource) -> None:
    for t in ctx.targets(stack, value, types=_TARGETS):
        ctx.add_edge(group, t.node, "writes", ctx.via(stack, what, res=res))


def _group(ctx: ScanContext, stack: str, res: Resource) -> None:
    group = ctx.ensure_node((stack, res.logical_id))
    if group is None:
        return
    for config in as_list(res.properties.get("NotificationConfigurations")):
        what = f"{res.type} {res.logical_id} NotificationConfigurations"
        _write(ctx, stack, group, get(config, "TopicARN"), what, res)
    for hook in as_list(res.properties.get("LifecycleHookSpecificationList")):
        what = f"{res.type} {res.logical_id} lifecycle hook {ctx.text(stack, get(hook, 'LifecycleHookName'))}"
        _write(ctx, stack, group, get(hook, "NotificationTargetARN"), what, res)


def _hook(ctx: ScanContext, stack: str, res: Resource) -> None:
    target = res.properties.get("NotificationTargetARN")
    if target is None:
        return
    groups = ctx.targets(
        stack,
        res.properties.get("AutoScalingGroupName"),
        types=("AWS::AutoScaling::AutoScalingGroup",),
        external_ok=False,
    )
    for group in groups:
        _write(ctx, stack, group.node, target, f"{res.type} {res.logical_id}", res)


def extract(ctx: ScanContext) -> None:
    each(ctx, ID, ("AWS::AutoScaling::AutoScalingGroup",), _group)
    each(ctx, ID, ("AWS::AutoScaling::LifecycleHook",), _hook)
