"""EventBridge rules and Scheduler schedules: bus -triggers-> rule -triggers-> targets.

A target's dead-letter queue (``DeadLetterConfig.Arn``) is a target too: EventBridge delivers
an event it could not deliver there itself, as SQS redrives a message (sqs_redrive.py).
"""

from __future__ import annotations

from typing import Any

from iacscan.model import Resource
from iacscan.topology.context import ScanContext
from iacscan.topology.extractors.base import as_list, each, get

ID = "eventbridge"

DEFAULT_BUS = "default-event-bus"  # ext:default-event-bus, as IAM and S3 extractors name it
_NOT_TARGETS = ("AWS::ECS::Cluster", "AWS::IAM::Role")
_JOB_QUEUE = ("AWS::Batch::JobQueue",)


def _target(
    ctx: ScanContext, stack: str, source: str | None, target: Any, what: str, res: Resource
) -> None:
    via = ctx.via(stack, what, target, res=res)
    dlq = get(target, "DeadLetterConfig", "Arn")
    if dlq is not None:
        dead = ctx.via(stack, f"{what} DeadLetterConfig", get(target, "DeadLetterConfig"), res=res)
        for t in ctx.targets(stack, dlq, types=("AWS::SQS::Queue",)):
            ctx.add_edge(source, t.node, "triggers", dead)
    ecs = get(target, "EcsParameters")
    if ecs is not None:
        for task in ctx.targets(
            stack, get(ecs, "TaskDefinitionArn"), types=("AWS::ECS::TaskDefinition",)
        ):
            ctx.launched(task.key or task.node, source, stack, ecs, what, ecs, res)
            ctx.add_edge(source, task.node, "triggers", via)
        return
    # A Batch target's Arn is its job queue (from outside the scan, it is typed as one).
    batch = get(target, "BatchParameters") is not None
    for t in ctx.targets(stack, get(target, "Arn"), types=_JOB_QUEUE if batch else None):
        key_res = ctx.resource(t.key) if t.key else None
        if key_res is not None and key_res.type in _NOT_TARGETS:
            continue
        ctx.add_edge(source, t.node, "triggers", via)


def _rule(ctx: ScanContext, stack: str, res: Resource) -> None:
    rule = ctx.ensure_node((stack, res.logical_id))
    bus_name = res.properties.get("EventBusName")
    named = ctx.text(stack, bus_name) if bus_name is not None else "default"
    if named != "default" and not named.endswith(":event-bus/default"):
        # EventBusName takes the bus's name or its ARN
        buses = ctx.targets(stack, bus_name, types=("AWS::Events::EventBus",), by_name=True)
        for bus in buses:
            what = f"AWS::Events::Rule {res.logical_id} EventBusName"
            ctx.add_edge(bus.node, rule, "triggers", ctx.via(stack, what, bus_name, res=res))
    elif res.properties.get("EventPattern") is not None:
        # No bus named (or "default"): the rule matches events on the account's default bus,
        # the node that events:PutEvents without a bus and S3's EventBridge delivery write to.
        default = ctx.external(DEFAULT_BUS, "AWS::Events::EventBus")
        what = f"AWS::Events::Rule {res.logical_id} EventPattern on the default event bus"
        pattern = res.properties.get("EventPattern")
        ctx.add_edge(default, rule, "triggers", ctx.via(stack, what, pattern, res=res))
    for target in as_list(res.properties.get("Targets")):
        what = f"AWS::Events::Rule {res.logical_id} target {ctx.text(stack, get(target, 'Id'))}"
        _target(ctx, stack, rule, target, what, res)


def _schedule(ctx: ScanContext, stack: str, res: Resource) -> None:
    schedule = ctx.ensure_node((stack, res.logical_id))
    target = res.properties.get("Target")
    expr = ctx.text(stack, res.properties.get("ScheduleExpression"))
    _target(
        ctx, stack, schedule, target, f"AWS::Scheduler::Schedule {res.logical_id} ({expr})", res
    )


def extract(ctx: ScanContext) -> None:
    each(ctx, ID, ("AWS::Events::Rule",), _rule)
    each(ctx, ID, ("AWS::Scheduler::Schedule",), _schedule)
