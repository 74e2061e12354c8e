"""SNS subscriptions: topic -triggers-> function, queue, or an external endpoint."""

from __future__ import annotations

from typing import Any

from iacscan.model import Resource
from iacscan.topology.context import ScanContext
from iacscan.topology.extractors.base import as_list, each, get

ID = "sns-subscriptions"

_TYPES = {
    "lambda": ("AWS::Lambda::Function",),
    "sqs": ("AWS::SQS::Queue",),
    "firehose": ("AWS::KinesisFirehose::DeliveryStream",),
}


def _link(
    ctx: ScanContext,
    stack: str,
    topic: str | None,
    protocol: Any,
    endpoint: Any,
    what: str,
    at: Any,
    res: Resource,
) -> None:
    proto = str(ctx.resolve(stack, protocol) or "").lower()
    via = ctx.via(stack, what, at, res=res)
    if proto in _TYPES:
        for target in ctx.targets(stack, endpoint, types=_TYPES[proto]):
            ctx.add_edge(topic, target.node, "triggers", via)
    elif proto in ("http", "https", "email", "email-json", "sms", "application"):
        # An endpoint from outside the scope (a parameter without a default) is an unknown
        # ext: node named by its source; an empty one (a parameter whose default is '') still
        # names a subscriber of that protocol, never an ext: node without a name.
        outside = ctx.outside_targets(stack, endpoint, f"SNS {proto}")
        if outside:
            for t in outside:
                ctx.add_edge(topic, t.node, "triggers", via)
            return
        where = ctx.text(stack, endpoint).strip() or f"{proto} subscriber (empty Endpoint)"
        ctx.add_edge(topic, ctx.external(where, f"SNS {proto}"), "triggers", via)


def _subscription(ctx: ScanContext, stack: str, res: Resource) -> None:
    props = res.properties
    for topic in ctx.targets(stack, props.get("TopicArn"), types=("AWS::SNS::Topic",)):
        what = f"AWS::SNS::Subscription {res.logical_id} ({ctx.text(stack, props.get('Protocol'))})"
        _link(ctx, stack, topic.node, props.get("Protocol"), props.get("Endpoint"), what, res, res)


def _topic(ctx: ScanContext, stack: str, res: Resource) -> None:
    topic = ctx.ensure_node((stack, res.logical_id))
    for sub in as_list(res.properties.get("Subscription")):
        what = f"AWS::SNS::Topic {res.logical_id} Subscription ({ctx.text(stack, get(sub, 'Protocol'))})"
        _link(ctx, stack, topic, get(sub, "Protocol"), get(sub, "Endpoint"), what, sub, res)


def extract(ctx: ScanContext) -> None:
    each(ctx, ID, ("AWS::SNS::Subscription",), _subscription)
    each(ctx, ID, ("AWS::SNS::Topic",), _topic)
