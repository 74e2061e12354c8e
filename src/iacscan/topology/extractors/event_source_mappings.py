"""Lambda event source mappings: queue, stream, table stream or broker -triggers-> function."""

from __future__ import annotations

from iacscan.model import Resource
from iacscan.resolve import PLACE_PSEUDO, display, has_tokens, pseudo_only
from iacscan.topology.context import ScanContext
from iacscan.topology.extractors.base import as_list, each, get

ID = "event-source-mappings"

_SOURCES = (
    "AWS::SQS::Queue",
    "AWS::Kinesis::Stream",
    "AWS::DynamoDB::Table",
    "AWS::DynamoDB::GlobalTable",
    "AWS::MSK::Cluster",
    "AWS::MSK::ServerlessCluster",
    "AWS::AmazonMQ::Broker",
    "AWS::DocDB::DBCluster",
    "AWS::KinesisFirehose::DeliveryStream",
)


def _mapping(ctx: ScanContext, stack: str, res: Resource) -> None:
    props = res.properties
    functions = ctx.targets(stack, props.get("FunctionName"), types=("AWS::Lambda::Function",))
    sources = ctx.targets(stack, props.get("EventSourceArn"), types=_SOURCES)
    for ref in ctx.refs(stack, props.get("EventSourceArn")):
        consumer = ctx.resource((ref.stack, ref.logical_id))
        if consumer is not None and consumer.type == "AWS::Kinesis::StreamConsumer":
            # enhanced fan-out: the mapping reads the consumer's stream
            sources += ctx.targets(ref.stack, consumer.properties.get("StreamARN"), types=_SOURCES)
    if not sources and props.get("SelfManagedEventSource") is not None:
        servers = get(props, "SelfManagedEventSource", "Endpoints", "KafkaBootstrapServers")
        topics = ",".join(str(t) for t in as_list(props.get("Topics")))
        label = f"kafka:{ctx.text(stack, as_list(servers)[0]) if servers else '?'}/{topics}"
        sources = (
            [type(functions[0])(ctx.external(label, "Kafka"), False, None)] if functions else []
        )
    if not sources and functions:
        ext = _existing_source(ctx, stack, props.get("EventSourceArn"))
        if ext is not None:
            sources = [type(functions[0])(ext, False, None)]
    what = f"AWS::Lambda::EventSourceMapping {res.logical_id}"
    for src in sources:
        for fn in functions:
            ctx.add_edge(src.node, fn.node, "triggers", ctx.via(stack, what, res=res))


_SERVICE_TYPES = {
    "sqs": "AWS::SQS::Queue",
    "kinesis": "AWS::Kinesis::Stream",
    "dynamodb": "AWS::DynamoDB::Table",
    "kafka": "AWS::MSK::Cluster",
    "mq": "AWS::AmazonMQ::Broker",
    "rds": "AWS::DocDB::DBCluster",
}


def _existing_source(ctx: ScanContext, stack: str, arn: object) -> str | None:
    """An ARN of a source defined outside the templates, built with Fn::Join/Fn::Sub of
    pseudo parameters only (``arn:${AWS::Partition}:kinesis:${AWS::Region}:...:stream/x``):
    an ``ext:`` node named by that ARN. Any other unknown part: no node (never a guess)."""
    value = ctx.resolve(stack, arn)
    if not isinstance(value, str) or not value.startswith("arn:"):
        return None
    if has_tokens(value) and not pseudo_only(value, PLACE_PSEUDO):
        return None
    service = value.split(":")[2] if value.count(":") >= 5 else ""
    return ctx.external(display(value), _SERVICE_TYPES.get(service, "External"))


def extract(ctx: ScanContext) -> None:
    each(ctx, ID, ("AWS::Lambda::EventSourceMapping",), _mapping)
