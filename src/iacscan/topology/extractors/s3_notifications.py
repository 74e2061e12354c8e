"""S3 bucket notifications: bucket -triggers-> function, queue or topic (and EventBridge)."""

from __future__ import annotations

from iacscan.model import Resource
from iacscan.topology.context import ScanContext
from iacscan.topology.extractors.base import as_list, each, get

ID = "s3-notifications"

_KINDS = (
    ("LambdaConfigurations", "Function", ("AWS::Lambda::Function",)),
    ("QueueConfigurations", "Queue", ("AWS::SQS::Queue",)),
    ("TopicConfigurations", "Topic", ("AWS::SNS::Topic",)),
)


def _bucket(ctx: ScanContext, stack: str, res: Resource) -> None:
    config = res.properties.get("NotificationConfiguration")
    bucket = ctx.ensure_node((stack, res.logical_id))
    for section, prop, types in _KINDS:
        for item in as_list(get(config, section)):
            event = ctx.text(stack, get(item, "Event"))
            for target in ctx.targets(stack, get(item, prop), types=types):
                what = f"{res.type} {res.logical_id} NotificationConfiguration.{section} ({event})"
                ctx.add_edge(bucket, target.node, "triggers", ctx.via(stack, what, item, res=res))
    eb = get(config, "EventBridgeConfiguration")
    if eb is not None and ctx.resolve(stack, get(eb, "EventBridgeEnabled")) in (True, "true"):
        bus = ctx.external("default-event-bus", "AWS::Events::EventBus")
        what = f"{res.type} {res.logical_id} EventBridgeConfiguration"
        ctx.add_edge(bucket, bus, "writes", ctx.via(stack, what, eb, res=res))


def extract(ctx: ScanContext) -> None:
    each(ctx, ID, ("AWS::S3::Bucket",), _bucket)
