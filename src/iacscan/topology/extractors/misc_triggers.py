"""Smaller managed integrations: CloudFront origins, Cognito triggers, log subscriptions,
IoT rules, Lambda destinations, AppSync data sources, Firehose destinations, Kinesis Analytics
inputs and outputs, CloudFront real-time logs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from iacscan.model import EdgeKind, Resource, Via
from iacscan.resolve import Unknown, has_tokens
from iacscan.topology.context import ScanContext
from iacscan.topology.extractors.base import as_list, each, get
from iacscan.topology.extractors.iam import link_action, publish_to
from iacscan.topology.iot_topics import topic_text
from iacscan.walk import walk

ID = "misc-triggers"

_FN = ("AWS::Lambda::Function",)


def _cloudfront(ctx: ScanContext, stack: str, res: Resource) -> None:
    dist = ctx.ensure_node((stack, res.logical_id))
    for origin in as_list(get(res.properties, "DistributionConfig", "Origins")):
        what = f"AWS::CloudFront::Distribution {res.logical_id} origin {ctx.text(stack, get(origin, 'Id'))}"
        via = ctx.via(stack, what, origin, res=res)
        domain = get(origin, "DomainName")
        found = ctx.targets(stack, domain, external_ok=False)
        if not found:
            # a domain cut out of an attribute (CDK's FunctionUrlOrigin: Fn::Select 2 of
            # Fn::Split "/" of the function URL): the resource whose attribute it is
            found = [
                t
                for inner in walk(domain, limit=1_000)
                if isinstance(inner, Mapping) and set(inner) == {"Fn::GetAtt"}
                for t in ctx.targets(stack, inner, external_ok=False)
            ]
        for t in found:
            target_res = ctx.resource(t.key) if t.key else None
            if target_res is not None and target_res.type == "AWS::S3::Bucket":
                ctx.add_edge(t.node, dist, "reads", via)
            else:
                ctx.add_edge(dist, t.node, "triggers", via)


def _edge_functions(ctx: ScanContext, stack: str, res: Resource) -> None:
    """Lambda@Edge: cache behaviours run functions on viewer and origin requests."""
    config = get(res.properties, "DistributionConfig")
    behaviours = [get(config, "DefaultCacheBehavior")] + as_list(get(config, "CacheBehaviors"))
    dist = ctx.ensure_node((stack, res.logical_id))
    for behaviour in behaviours:
        for assoc in as_list(get(behaviour, "LambdaFunctionAssociations")):
            what = f"AWS::CloudFront::Distribution {res.logical_id} {ctx.text(stack, get(assoc, 'EventType'))}"
            for fn in ctx.targets(
                stack, get(assoc, "LambdaFunctionARN"), types=_FN, external_ok=False
            ):
                ctx.add_edge(dist, fn.node, "triggers", ctx.via(stack, what, assoc, res=res))


def _realtime_logs(ctx: ScanContext, stack: str, res: Resource) -> None:
    """Cache behaviours with a real-time log configuration send every request's log record to
    its Kinesis stream: the distribution writes the stream."""
    config = get(res.properties, "DistributionConfig")
    behaviours = [get(config, "DefaultCacheBehavior")] + as_list(get(config, "CacheBehaviors"))
    dist = ctx.ensure_node((stack, res.logical_id))
    for behaviour in behaviours:
        value = get(behaviour, "RealtimeLogConfigArn")
        for ref in ctx.refs(stack, value):
            log_config = ctx.resource((ref.stack, ref.logical_id))
            if log_config is None or log_config.type != "AWS::CloudFront::RealtimeLogConfig":
                continue
            what = f"AWS::CloudFront::RealtimeLogConfig {log_config.logical_id} (real-time logs)"
            for endpoint in as_list(log_config.properties.get("EndPoints")):
                arn = get(endpoint, "KinesisStreamConfig", "StreamArn")
                for t in ctx.targets(
                    ref.stack, arn, types=("AWS::Kinesis::Stream",), external_ok=False
                ):
                    via = ctx.via(ref.stack, what, endpoint, res=log_config)
                    ctx.add_edge(dist, t.node, "writes", via)


def _config_rule(ctx: ScanContext, stack: str, res: Resource) -> None:
    source = get(res.properties, "Source")
    what = f"AWS::Config::ConfigRule {res.logical_id} (custom rule)"
    for fn in ctx.targets(stack, get(source, "SourceIdentifier"), types=_FN, external_ok=False):
        ctx.add_edge(
            ctx.external("aws-config", "AWS Config"),
            fn.node,
            "triggers",
            ctx.via(stack, what, source, res=res),
        )


def _cognito(ctx: ScanContext, stack: str, res: Resource) -> None:
    config = res.properties.get("LambdaConfig")
    if config is None:
        return
    pool = None
    for fn in ctx.targets(stack, config, types=_FN):
        pool = pool or ctx.ensure_node((stack, res.logical_id))
        what = f"AWS::Cognito::UserPool {res.logical_id} LambdaConfig"
        ctx.add_edge(pool, fn.node, "triggers", ctx.via(stack, what, config, res=res))


def _log_subscription(ctx: ScanContext, stack: str, res: Resource) -> None:
    groups = ctx.targets(stack, res.properties.get("LogGroupName"), types=("AWS::Logs::LogGroup",))
    what = f"AWS::Logs::SubscriptionFilter {res.logical_id}"
    for dest in ctx.targets(stack, res.properties.get("DestinationArn")):
        for group in groups:
            ctx.add_edge(group.node, dest.node, "triggers", ctx.via(stack, what, res=res))


def _iot_rule(ctx: ScanContext, stack: str, res: Resource) -> None:
    rule = ctx.ensure_node((stack, res.logical_id))
    if rule is None:
        return
    what = f"AWS::IoT::TopicRule {res.logical_id}"
    for action in as_list(get(res.properties, "TopicRulePayload", "Actions")):
        kafka = get(action, "Kafka")
        if kafka is not None:
            # The same ext: node a self-managed Kafka event source mapping reads from.
            servers = ctx.text(stack, get(kafka, "ClientProperties", "bootstrap.servers"))
            topic = ctx.text(stack, get(kafka, "Topic"))
            label = f"kafka:{servers.split(',')[0].strip() or '?'}/{topic}"
            via = ctx.via(stack, f"{what} Kafka action", kafka, res=res)
            ctx.add_edge(rule, ctx.external(label, "Kafka"), "triggers", via)
            continue
        via = ctx.via(stack, what, action, res=res)
        kind = next(iter(action), None) if isinstance(action, Mapping) else None
        config = get(action, kind) if isinstance(kind, str) else None
        if kind == "Republish":
            _republish(ctx, stack, rule, get(config, "Topic"), via)
            continue
        if kind == "Http":
            for outside in _http_endpoint(ctx, stack, get(config, "Url")):
                ctx.add_edge(rule, outside, "triggers", via)
            continue
        if kind in _IOT_ACTION_TARGETS:
            # the field that names the target, often a plain name (a Kinesis action takes only
            # StreamName): matched by name, and a target outside the scope is an ext: node
            path, types = _IOT_ACTION_TARGETS[kind]
            for t in ctx.targets(stack, get(config, *path), types=types, by_name=True):
                ctx.add_edge(rule, t.node, "triggers", replace(via, weak=via.weak or t.weak))
            continue
        for t in ctx.targets(stack, action, external_ok=False):
            target_res = ctx.resource(t.key) if t.key else None
            if target_res is not None and target_res.type == "AWS::IAM::Role":
                continue
            ctx.add_edge(rule, t.node, "triggers", via)


def _http_endpoint(ctx: ScanContext, stack: str, value: Any) -> list[str]:
    """The ext: node of an HTTP endpoint outside the scan: its URL, or the unknown a parameter
    without a default stands for (a list or a mapping names no endpoint)."""
    if value is None:
        return []
    url = ctx.resolve(stack, value)
    if isinstance(url, str) and url.strip():
        return [ctx.external(ctx.text(stack, url).strip().rstrip("/"), "HTTP endpoint")]
    if isinstance(url, Unknown):
        return [t.node for t in ctx.targets(stack, value, unknown_ok=True)]
    return []


# IoT rule actions: the field that names the target, and the target's type.
_IOT_ACTION_TARGETS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Lambda": (("FunctionArn",), ("AWS::Lambda::Function",)),
    "Kinesis": (("StreamName",), ("AWS::Kinesis::Stream",)),
    "Firehose": (("DeliveryStreamName",), ("AWS::KinesisFirehose::DeliveryStream",)),
    "DynamoDB": (("TableName",), ("AWS::DynamoDB::Table",)),
    "DynamoDBv2": (("PutItem", "TableName"), ("AWS::DynamoDB::Table",)),
    "S3": (("BucketName",), ("AWS::S3::Bucket",)),
    "Sns": (("TargetArn",), ("AWS::SNS::Topic",)),
    "Sqs": (("QueueUrl",), ("AWS::SQS::Queue",)),
    "StepFunctions": (("StateMachineName",), ("AWS::StepFunctions::StateMachine",)),
}


def _republish(ctx: ScanContext, stack: str, rule: str, topic_value: Any, via: Via) -> None:
    """A republish action sends the message to another topic: the rules listening there, or
    the devices subscribed to it (outside the scan)."""
    resolved = ctx.resolve(stack, topic_value)
    if not isinstance(resolved, str) or not resolved.strip():
        return
    publish_to(ctx, rule, topic_text(resolved), "triggers", via)  # ${topic(2)}: per message


def _destinations(ctx: ScanContext, stack: str, res: Resource) -> None:
    for fn in ctx.targets(stack, res.properties.get("FunctionName"), types=_FN):
        for outcome in ("OnSuccess", "OnFailure"):
            dest = get(res.properties, "DestinationConfig", outcome, "Destination")
            if dest is None:
                continue
            what = f"{res.type} {res.logical_id} {outcome}"
            via = ctx.via(stack, what, dest, res=res)
            for action in (
                "sqs:sendmessage",
                "sns:publish",
                "lambda:invokefunction",
                "events:putevents",
            ):
                link_action(ctx, stack, fn.node, action, dest, via)
            # A literal that names nothing in scope and is no ARN iacscan can read (a parameter
            # default such as "my-sqs-arn"): the destination is still somewhere outside.
            text = ctx.resolve(stack, dest)
            if (
                isinstance(text, str)
                and text.strip()
                and not has_tokens(text)
                and not text.startswith("arn:")
                and not ctx.targets(stack, dest, external_ok=False, unknown_ok=False)
            ):
                ctx.add_edge(fn.node, ctx.external(text.strip()), "writes", via)


def _appsync(ctx: ScanContext, stack: str, res: Resource) -> None:
    apis = ctx.targets(stack, res.properties.get("ApiId"), types=("AWS::AppSync::GraphQLApi",))
    what = (
        f"AWS::AppSync::DataSource {res.logical_id} ({ctx.text(stack, res.properties.get('Type'))})"
    )
    ops = _dynamodb_operations(ctx, stack, res)
    via = ctx.via(stack, what, res=res)
    # an HTTP data source: the API forwards to a backend outside the scan
    for outside in _http_endpoint(ctx, stack, get(res.properties, "HttpConfig", "Endpoint")):
        for api in apis:
            ctx.add_edge(api.node, outside, "triggers", via)
    # what each data source kind names, and the type it names: a value from outside the scope
    # (a parameter, an import, a literal ARN or name) is an ext: node, not dropped
    named = [
        (ctx.targets(stack, get(res.properties, *path), types=types, by_name=by_name), types)
        for path, types, by_name in _DATA_SOURCE_TARGETS
    ]
    for target, types in ((t, types) for found, types in named for t in found):
        target_res = ctx.resource(target.key) if target.key else None
        rtype = target_res.type if target_res is not None else types[0]
        v = replace(via, weak=True) if target.weak else via
        if rtype in _FN:
            kinds: list[EdgeKind] = ["triggers"]
        elif rtype == "AWS::DynamoDB::Table" and ops:
            # what the resolvers on this data source ask the table for
            kinds = []
            if ops & _DDB_WRITES or not ops & _DDB_READS:
                kinds.append("triggers")
            if ops & _DDB_READS:
                kinds.append("reads")
        else:
            # an API that writes straight into a store or channel triggers it (architecture.md),
            # as API Gateway's service integrations do
            kinds = ["triggers"]
        for api in apis:
            for kind in kinds:
                if kind == "reads":
                    ctx.add_edge(target.node, api.node, "reads", v)
                else:
                    ctx.add_edge(api.node, target.node, kind, v)


_DATA_SOURCE_TARGETS: tuple[tuple[tuple[str, ...], tuple[str, ...], bool], ...] = (
    (("LambdaConfig", "LambdaFunctionArn"), _FN, False),
    (("DynamoDBConfig", "TableName"), ("AWS::DynamoDB::Table",), True),
    (("EventBridgeConfig", "EventBusArn"), ("AWS::Events::EventBus",), True),
)


def _appsync_authorizers(ctx: ScanContext, stack: str, res: Resource) -> None:
    """A GraphQL API's Lambda authorizers run on every request, as API Gateway's do."""
    api = ctx.ensure_node((stack, res.logical_id))
    configs = [res.properties.get("LambdaAuthorizerConfig")] + [
        get(p, "LambdaAuthorizerConfig")
        for p in as_list(res.properties.get("AdditionalAuthenticationProviders"))
    ]
    what = f"{res.type} {res.logical_id} (Lambda authorizer)"
    for config in configs:
        uri = get(config, "AuthorizerUri")
        for fn in ctx.targets(stack, uri, types=_FN):
            ctx.add_edge(api, fn.node, "triggers", ctx.via(stack, what, config, res=res))


_DDB_READS = frozenset({"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems", "Sync"})
_DDB_WRITES = frozenset(
    {"PutItem", "UpdateItem", "DeleteItem", "BatchPutItem", "BatchDeleteItem", "TransactWriteItems"}
)
_OPERATION = re.compile(r"""["']?operation["']?\s*:\s*["']([A-Za-z]+)["']""")


def _dynamodb_operations(ctx: ScanContext, stack: str, source: Resource) -> set[str]:
    """The DynamoDB operations the resolvers and pipeline functions on a data source ask for
    (``"operation": "GetItem"`` in a request mapping template or a JavaScript resolver's
    code); empty when none can be read (templates in S3, no resolver in scope)."""
    name = ctx.text(stack, source.properties.get("Name"))
    found: set[str] = set()
    for rtype in ("AWS::AppSync::Resolver", "AWS::AppSync::FunctionConfiguration"):
        for s, r in ctx.resources(rtype):
            ds = r.properties.get("DataSourceName")
            named = any(ref.logical_id == source.logical_id for ref in ctx.refs(s, ds))
            if not named and (not name or ctx.text(s, ds) != name):
                continue
            for key in ("RequestMappingTemplate", "Code"):
                text = ctx.resolve(s, r.properties.get(key))
                if isinstance(text, str):
                    found.update(_OPERATION.findall(text))
    return found


def _authorizer(ctx: ScanContext, stack: str, res: Resource) -> None:
    api_prop = "RestApiId" if res.type == "AWS::ApiGateway::Authorizer" else "ApiId"
    apis = ctx.targets(stack, res.properties.get(api_prop))
    what = f"{res.type} {res.logical_id} (authorizer)"
    for fn in ctx.targets(stack, res.properties.get("AuthorizerUri"), types=_FN, external_ok=False):
        for api in apis:
            ctx.add_edge(api.node, fn.node, "triggers", ctx.via(stack, what, res=res))


def _firehose(ctx: ScanContext, stack: str, res: Resource) -> None:
    stream = ctx.ensure_node((stack, res.logical_id))
    for key, config in res.properties.items():
        if not str(key).endswith("DestinationConfiguration") or not isinstance(config, dict):
            continue
        what = f"AWS::KinesisFirehose::DeliveryStream {res.logical_id} {key}"
        processors = get(config, "ProcessingConfiguration", "Processors")
        for fn in ctx.targets(stack, processors, types=_FN, external_ok=False):
            ctx.add_edge(stream, fn.node, "triggers", ctx.via(stack, what + " processor", res=res))
        # The destination bucket; S3Configuration (the backup or staging bucket of OpenSearch,
        # Splunk, HTTP and Redshift destinations); an S3 backup when S3BackupMode enables it.
        dest_keys = ["BucketARN", "S3DestinationConfiguration", "S3Configuration"]
        if ctx.text(stack, config.get("S3BackupMode")) not in ("", "Disabled"):
            dest_keys.append("S3BackupConfiguration")
        for dest_key in dest_keys:
            for t in ctx.targets(
                stack, config.get(dest_key), types=("AWS::S3::Bucket",), external_ok=False
            ):
                where = (
                    what
                    if dest_key in ("BucketARN", "S3DestinationConfiguration")
                    else f"{what} {dest_key}"
                )
                ctx.add_edge(stream, t.node, "writes", ctx.via(stack, where, res=res))
    # A source stream outside the scan (a parameter, an import, an ARN) is an ``ext:`` node, as
    # an event source mapping's is: the data comes in from there.
    source = get(res.properties, "KinesisStreamSourceConfiguration", "KinesisStreamARN")
    for t in ctx.targets(stack, source, types=("AWS::Kinesis::Stream",)):
        ctx.add_edge(
            t.node,
            stream,
            "triggers",
            ctx.via(stack, f"{res.type} {res.logical_id} source", res=res),
        )


_ANALYTICS_APPS = ("AWS::KinesisAnalytics::Application", "AWS::KinesisAnalyticsV2::Application")
_STREAMS = ("AWS::Kinesis::Stream", "AWS::KinesisFirehose::DeliveryStream")


def _analytics_inputs(ctx: ScanContext, stack: str, res: Resource) -> None:
    """A Kinesis Analytics (SQL) application reads the streams named in its inputs."""
    app = ctx.ensure_node((stack, res.logical_id))
    for item in walk(res.properties, limit=10_000):
        if not isinstance(item, Mapping):
            continue
        for key in ("KinesisFirehoseInput", "KinesisStreamsInput"):
            what = f"{res.type} {res.logical_id} {key}"
            for t in ctx.targets(
                stack, get(item, key, "ResourceARN"), types=_STREAMS, external_ok=False
            ):
                ctx.add_edge(t.node, app, "triggers", ctx.via(stack, what, res=res))


def _analytics_output(ctx: ScanContext, stack: str, res: Resource) -> None:
    """An application output delivers results to a function (triggers) or a stream (writes)."""
    apps = ctx.targets(stack, res.properties.get("ApplicationName"), types=_ANALYTICS_APPS)
    output = res.properties.get("Output")
    kinds: tuple[tuple[str, EdgeKind], ...] = (
        ("LambdaOutput", "triggers"),
        ("KinesisFirehoseOutput", "writes"),
        ("KinesisStreamsOutput", "writes"),
    )
    for key, kind in kinds:
        what = f"{res.type} {res.logical_id} {key}"
        for t in ctx.targets(stack, get(output, key, "ResourceARN"), external_ok=False):
            for app in apps:
                ctx.add_edge(app.node, t.node, kind, ctx.via(stack, what, res=res))


def extract(ctx: ScanContext) -> None:
    each(ctx, ID, _ANALYTICS_APPS, _analytics_inputs)
    each(
        ctx,
        ID,
        ("AWS::KinesisAnalytics::ApplicationOutput", "AWS::KinesisAnalyticsV2::ApplicationOutput"),
        _analytics_output,
    )
    each(ctx, ID, ("AWS::ApiGateway::Authorizer", "AWS::ApiGatewayV2::Authorizer"), _authorizer)
    each(ctx, ID, ("AWS::KinesisFirehose::DeliveryStream",), _firehose)
    each(ctx, ID, ("AWS::CloudFront::Distribution",), _cloudfront)
    each(ctx, ID, ("AWS::CloudFront::Distribution",), _edge_functions)
    each(ctx, ID, ("AWS::CloudFront::Distribution",), _realtime_logs)
    each(ctx, ID, ("AWS::Config::ConfigRule",), _config_rule)
    each(ctx, ID, ("AWS::Cognito::UserPool",), _cognito)
    each(ctx, ID, ("AWS::Logs::SubscriptionFilter",), _log_subscription)
    each(ctx, ID, ("AWS::IoT::TopicRule",), _iot_rule)
    each(ctx, ID, ("AWS::Lambda::EventInvokeConfig",), _destinations)
    each(ctx, ID, ("AWS::AppSync::DataSource",), _appsync)
    each(ctx, ID, ("AWS::AppSync::GraphQLApi",), _appsync_authorizers)
