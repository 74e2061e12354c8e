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


# CDK's add_event_notification writes a Custom::S3BucketNotifications resource whose
# NotificationConfiguration has the shape of S3's PutBucketNotificationConfiguration API.
_API_KINDS = (
    ("LambdaFunctionConfigurations", "LambdaFunctionArn", ("AWS::Lambda::Function",)),
    ("QueueConfigurations", "QueueArn", ("AWS::SQS::Queue",)),
    ("TopicConfigurations", "TopicArn", ("AWS::SNS::Topic",)),
)
CDK_NOTIFICATIONS = "Custom::S3BucketNotifications"


def _cdk_notifications(ctx: ScanContext, stack: str, res: Resource) -> None:
    """The same edges as a native NotificationConfiguration, from the custom resource."""
    config = res.properties.get("NotificationConfiguration")
    # a bucket of the app by reference; an imported one by its name (an ext: node, as its
    # grants name it), or an unknown one when only a parameter without a default names it
    buckets = ctx.targets(
        stack, res.properties.get("BucketName"), types=("AWS::S3::Bucket",), by_name=True
    )
    if not buckets:
        return
    for section, prop, types in _API_KINDS:
        for item in as_list(get(config, section)):
            events = ",".join(ctx.text(stack, e) for e in as_list(get(item, "Events")))
            what = f"{CDK_NOTIFICATIONS} {res.logical_id} {section} ({events})"
            for target in ctx.targets(stack, get(item, prop), types=types):
                for bucket in buckets:
                    via = ctx.via(stack, what, item, res=res)
                    ctx.add_edge(bucket.node, target.node, "triggers", via)
    eb = get(config, "EventBridgeConfiguration")
    if eb is not None:  # present (even empty) = enabled, as in the S3 API
        bus = ctx.external("default-event-bus", "AWS::Events::EventBus")
        what = f"{CDK_NOTIFICATIONS} {res.logical_id} EventBridgeConfiguration"
        for bucket in buckets:
            ctx.add_edge(bucket.node, bus, "writes", ctx.via(stack, what, eb, res=res))


def extract(ctx: ScanContext) -> None:
    each(ctx, ID, ("AWS::S3::Bucket",), _bucket)
    each(ctx, ID, (CDK_NOTIFICATIONS,), _cdk_notifications)
