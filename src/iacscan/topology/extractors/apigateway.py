"""API Gateway (REST and HTTP/WebSocket) integrations and Lambda function URLs."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from iacscan.model import Resource, Via, line_of
from iacscan.resolve import has_tokens, split_tokens
from iacscan.topology.arns import TARGET_NAME_FIELDS
from iacscan.topology.context import ScanContext, Target
from iacscan.topology.extractors.api_targets import (
    is_private,
    openapi_authorizers,
    private_targets,
    subtype_targets,
)
from iacscan.topology.extractors.base import each, get
from iacscan.topology.extractors.iam import role_grants
from iacscan.walk import walk

ID = "api-gateway"

# arn:aws:apigateway:region:sqs:path/account/queue  |  .../action/SendMessage
_SERVICE_URI = re.compile(r"^arn:[^:]*:apigateway:[^:]*:([a-z0-9-]+):(path|action)/(.*)$")
_SERVICE_TYPES = {
    "sqs": ("AWS::SQS::Queue",),
    "sns": ("AWS::SNS::Topic",),
    "states": ("AWS::StepFunctions::StateMachine",),
    "dynamodb": ("AWS::DynamoDB::Table",),
    "kinesis": ("AWS::Kinesis::Stream",),
    "events": ("AWS::Events::EventBus",),
    "firehose": ("AWS::KinesisFirehose::DeliveryStream",),
    "s3": ("AWS::S3::Bucket",),
}


# Service actions that take data out of the target: the API pulls (queue/table -> API "reads").
_READ_ACTIONS = {
    "receivemessage",
    "getitem",
    "batchgetitem",
    "query",
    "scan",
    "getrecords",
    "getobject",
    "describeexecution",
}
_ACTION_IN_REQUEST = re.compile(r"Action['\"]?\s*[:=]\s*['\"]*([A-Za-z]+)")
# The request-template fields that name a service integration's target.
_NAME_IN_REQUEST = re.compile(
    r"[\"'](?:" + "|".join(sorted(TARGET_NAME_FIELDS)) + r")[\"']\s*:\s*[\"']([^\"']+)[\"']"
)


def _action(ctx: ScanContext, stack: str, m: re.Match[str], request: Any) -> str:
    """The service action of an integration (``m``: its matched URI): from ``action/Name`` or
    the request's ``Action=``; empty when neither says."""
    if m.group(2) == "action":
        return m.group(3).split("&", 1)[0]
    found = _ACTION_IN_REQUEST.search(str(ctx.resolve(stack, request)))
    return found.group(1) if found else ""


def _reads(ctx: ScanContext, stack: str, m: re.Match[str], request: Any, http_method: Any) -> bool:
    """Does this service integration (``m``: its matched URI) read from its target
    (ReceiveMessage, GetItem, a GET on an S3 object) rather than send to it?"""
    action = _action(ctx, stack, m, request)
    if not action and m.group(2) != "action" and m.group(1) == "s3":
        return str(ctx.resolve(stack, http_method)).upper() == "GET"
    return action.lower() in _READ_ACTIONS


def _integration(
    ctx: ScanContext,
    stack: str,
    uri: Any,
    request: Any,
    http_method: Any,
    credentials: Any = None,
    at: tuple[str, Resource] | None = None,
) -> tuple[list[Target], bool]:
    """What an integration URI (plus request templates/parameters) points at, and whether the
    API reads from it (data flows target -> API) instead of triggering it.

    An AWS service integration names its target by reference, by ARN, or by a literal name in
    the request template; failing those, the resources its credentials role may call the
    action on are the targets, weakly; failing that too, a note says the target is unknown
    (``at``: where the integration is)."""
    resolved = ctx.resolve(stack, uri)
    text = resolved if isinstance(resolved, str) else ""
    flat = "".join(p if isinstance(p, str) else "X" for p in split_tokens(text)) if text else ""
    m = _SERVICE_URI.match(flat) if flat else None
    if m and m.group(1) != "lambda":
        types = _SERVICE_TYPES.get(m.group(1))
        if types is None:
            return [], False
        found = ctx.targets(stack, [resolved, request], types=types, external_ok=False)
        if not found and m.group(1) == "sqs":
            # path/{account}/{queue name}
            name = flat.rsplit("/", 1)[-1]
            found = ctx.targets(stack, f"arn:aws:sqs:*:*:{name}", types=types, external_ok=False)
        if not found:
            names = _named_in_request(ctx, stack, request)
            found = ctx.targets(stack, names, types=types, external_ok=False, by_name=True)
        if not found and credentials is not None:
            action = f"{m.group(1)}:{_action(ctx, stack, m, request) or '*'}"
            found = role_grants(ctx, stack, credentials, action, types)
        if not found and at is not None:
            ctx.diagnostics.note(
                stack,
                f"{at[0]}: the {m.group(1)} resource this integration calls is not named by a "
                "reference, an ARN or a name in scope, nor granted to its credentials role: "
                "its target is not in the topology",
                at[1],
            )
        return found, _reads(ctx, stack, m, request, http_method) if found else False
    found = ctx.targets(stack, uri, types=("AWS::Lambda::Function",), external_ok=False)
    if not found:  # a function or URL passed in (a parameter without default, an import)
        kind = "AWS::Lambda::Function" if ":lambda:path/" in flat else "HTTP endpoint"
        found = ctx.outside_targets(stack, uri, kind)
    return found, False


def _named_in_request(ctx: ScanContext, stack: str, request: Any) -> list[str]:
    """Literal target names in request templates (``"TableName": "config-table"``); a name
    built at request time (``$input...``) or by reference is not one."""
    names = []
    for item in walk(ctx.resolve(stack, request)):
        if isinstance(item, str):
            for found in _NAME_IN_REQUEST.finditer(item):
                name = found.group(1)
                if not has_tokens(name) and "$" not in name:
                    names.append(name)
    return names


def _method(ctx: ScanContext, stack: str, res: Resource) -> None:
    props = res.properties
    integration = props.get("Integration")
    apis = ctx.targets(stack, props.get("RestApiId"), types=("AWS::ApiGateway::RestApi",))
    route = f"{ctx.text(stack, props.get('HttpMethod'))}"
    what = f"AWS::ApiGateway::Method {res.logical_id} ({route})"
    request = [get(integration, "RequestTemplates"), get(integration, "RequestParameters")]
    uri = get(integration, "Uri")
    if is_private(ctx, stack, get(integration, "ConnectionType")):
        targets = private_targets(ctx, stack, uri, get(integration, "ConnectionId"))
        what += " VPC_LINK"
        reads = False
    else:
        targets, reads = _integration(
            ctx,
            stack,
            uri,
            request,
            get(integration, "IntegrationHttpMethod"),
            get(integration, "Credentials"),
            (what, res),
        )
    for api in apis:
        _link(ctx, api.node, targets, reads, ctx.via(stack, what, integration, res=res))


def _v2_targets(
    ctx: ScanContext,
    stack: str,
    where: str,
    integration: Any,
    keys: tuple[str, str, str, str, str],
    res: Resource,
) -> tuple[list[Target], bool]:
    """Targets of an HTTP API integration (resource properties or an OpenAPI body: ``keys`` name
    subtype, request parameters, connection type, connection id and URI) and whether it reads."""
    subtype_key, params_key, ctype_key, conn_key, uri_key = keys
    subtype = integration.get(subtype_key)
    uri = integration.get(uri_key)
    if subtype is not None:
        text = ctx.text(stack, subtype)
        found = subtype_targets(ctx, stack, text, integration.get(params_key))
        if found is None:
            ctx.diagnostics.note(
                stack, f"{where}: integration subtype {text} is not read by iacscan", res
            )
            return [], False
        return found
    if is_private(ctx, stack, integration.get(ctype_key)):
        return private_targets(ctx, stack, uri, integration.get(conn_key)), False
    targets = ctx.targets(stack, uri, types=("AWS::Lambda::Function",), external_ok=False)
    if not targets:
        targets = private_targets(ctx, stack, uri, None)
    itype = integration.get("IntegrationType", integration.get("type"))
    if not targets and ctx.text(stack, itype).upper() == "AWS_PROXY":
        # a function passed in (a parameter without default, an import not in scope)
        targets = ctx.outside_targets(stack, uri, "AWS::Lambda::Function")
    return targets, False


_V2_KEYS = (
    "IntegrationSubtype",
    "RequestParameters",
    "ConnectionType",
    "ConnectionId",
    "IntegrationUri",
)
_OPENAPI_KEYS = ("integrationSubtype", "requestParameters", "connectionType", "connectionId", "uri")


def _link(
    ctx: ScanContext,
    api: str | None,
    targets: list[Target],
    reads: bool,
    via: Via,
    at_target: bool = False,
) -> None:
    """``at_target``: the route has no line of its own (an API SAM made from the functions'
    events): each edge stands at its target, where the event that made the route is."""
    for target in targets:
        v = replace(via, weak=True) if target.weak else via  # a grant, not a named target
        if at_target and target.key is not None:
            own = ctx.resource(target.key)
            if own is not None and own.line is not None:
                v = replace(v, file=ctx.templates[target.key[0]].file, line=own.line)
        if reads:  # the API pulls from the queue or table: data flows to the API
            ctx.add_edge(target.node, api, "reads", v)
        else:
            ctx.add_edge(api, target.node, "triggers", v)


def _v2_integration(ctx: ScanContext, stack: str, res: Resource) -> None:
    props = res.properties
    apis = ctx.targets(stack, props.get("ApiId"), types=("AWS::ApiGatewayV2::Api",))
    subtype = (
        ctx.text(stack, props["IntegrationSubtype"]) if props.get("IntegrationSubtype") else ""
    )
    connection = " VPC_LINK" if is_private(ctx, stack, props.get("ConnectionType")) else ""
    what = f"AWS::ApiGatewayV2::Integration {res.logical_id}" + (
        f" ({subtype})" if subtype else connection
    )
    where = f"AWS::ApiGatewayV2::Integration {res.logical_id}"
    targets, reads = _v2_targets(ctx, stack, where, props, _V2_KEYS, res)
    for api in apis:
        _link(ctx, api.node, targets, reads, ctx.via(stack, what, res=res))


def _v2_api(ctx: ScanContext, stack: str, res: Resource) -> None:
    """Quick-create HTTP APIs: ``Target`` names the function directly."""
    target = res.properties.get("Target")
    if target is None:
        return
    api = ctx.ensure_node((stack, res.logical_id))
    for fn in ctx.targets(stack, target, types=("AWS::Lambda::Function",), external_ok=False):
        what = f"AWS::ApiGatewayV2::Api {res.logical_id} Target"
        ctx.add_edge(api, fn.node, "triggers", ctx.via(stack, what, target, res=res))


def _openapi_body(ctx: ScanContext, stack: str, res: Resource) -> None:
    """Integrations written in an OpenAPI ``Body`` (SAM APIs, imported definitions)."""
    body = res.properties.get("Body")
    if not isinstance(body, dict):
        location = res.properties.get("BodyS3Location")
        attached = (
            ctx.templates[stack].attachments.get(location) if isinstance(location, str) else None
        )
        body = attached if isinstance(attached, dict) else None
    paths = get(body, "paths")
    if not isinstance(paths, dict):
        return
    api = ctx.ensure_node((stack, res.logical_id))
    for route, methods in paths.items():
        if not isinstance(methods, dict):
            continue
        for verb, operation in methods.items():
            integration = get(operation, "x-amazon-apigateway-integration")
            if not isinstance(integration, dict):
                continue
            request = [integration.get("requestTemplates"), integration.get("requestParameters")]
            what = f"{res.type} {res.logical_id} OpenAPI {str(verb).upper()} {route}"
            uri = integration.get("uri")
            subtype = integration.get("integrationSubtype")
            if subtype is not None or is_private(ctx, stack, integration.get("connectionType")):
                targets, reads = _v2_targets(ctx, stack, what, integration, _OPENAPI_KEYS, res)
                what += f" ({ctx.text(stack, subtype)})" if subtype is not None else " VPC_LINK"
            else:
                targets, reads = _integration(
                    ctx,
                    stack,
                    uri,
                    request,
                    integration.get("httpMethod"),
                    integration.get("credentials"),
                    (what, res),
                )
            generated = res.origin is not None and line_of(integration) is None
            via = ctx.via(stack, what, integration, res=res)
            _link(ctx, api, targets, reads, via, at_target=generated)
    for name, uri, authorizer in openapi_authorizers(ctx, stack, body):
        what = f"{res.type} {res.logical_id} OpenAPI authorizer {name}"
        fns = ctx.targets(stack, uri, types=("AWS::Lambda::Function",), external_ok=False)
        _link(ctx, api, fns, False, ctx.via(stack, what, authorizer, res=res))


def _function_url(ctx: ScanContext, stack: str, res: Resource) -> None:
    url = ctx.ensure_node((stack, res.logical_id))
    what = f"AWS::Lambda::Url {res.logical_id} (AuthType {ctx.text(stack, res.properties.get('AuthType'))})"
    for fn in ctx.targets(
        stack, res.properties.get("TargetFunctionArn"), types=("AWS::Lambda::Function",)
    ):
        ctx.add_edge(url, fn.node, "triggers", ctx.via(stack, what, res=res))


def extract(ctx: ScanContext) -> None:
    each(ctx, ID, ("AWS::ApiGateway::Method",), _method)
    each(ctx, ID, ("AWS::ApiGatewayV2::Integration",), _v2_integration)
    each(ctx, ID, ("AWS::ApiGatewayV2::Api",), _v2_api)
    each(ctx, ID, ("AWS::Lambda::Url",), _function_url)
    each(ctx, ID, ("AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api"), _openapi_body)
