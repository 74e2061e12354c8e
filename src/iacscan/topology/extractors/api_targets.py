"""What an API Gateway integration reaches beyond a Lambda proxy: HTTP API first-class service
integrations (``IntegrationSubtype``) and private integrations through a VPC link to a load
balancer (a listener ARN, an NLB's DNS name, a VPC link's target) or a Cloud Map service.

Shared by the resource extractor (``AWS::ApiGatewayV2::Integration``, ``AWS::ApiGateway::Method``)
and OpenAPI bodies (``x-amazon-apigateway-integration``), which use the same parameter names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from iacscan.topology.context import ScanContext, Target
from iacscan.topology.extractors.base import as_list, get

# Subtype -> (target types, the request parameter that names the target, reads?)
# https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-aws-services-reference.html
SUBTYPES: dict[str, tuple[tuple[str, ...], str, bool]] = {
    "sqs-sendmessage": (("AWS::SQS::Queue",), "QueueUrl", False),
    "sqs-receivemessage": (("AWS::SQS::Queue",), "QueueUrl", True),
    "eventbridge-putevents": (("AWS::Events::EventBus",), "EventBusName", False),
    "stepfunctions-startexecution": (
        ("AWS::StepFunctions::StateMachine",),
        "StateMachineArn",
        False,
    ),
    "stepfunctions-startsyncexecution": (
        ("AWS::StepFunctions::StateMachine",),
        "StateMachineArn",
        False,
    ),
    "kinesis-putrecord": (("AWS::Kinesis::Stream",), "StreamName", False),
}
# Subtypes that move no data between resources in scope (they delete, purge, stop, or read
# AppConfig configuration, which is no node): known, so no note says they were missed.
NO_DATA = frozenset(
    {
        "sqs-deletemessage",
        "sqs-purgequeue",
        "stepfunctions-stopexecution",
        "appconfig-getconfiguration",
    }
)
_LB = "AWS::ElasticLoadBalancingV2::LoadBalancer"


def _param(params: Any, name: str) -> Any:
    """A request parameter by name, whatever its case (OpenAPI bodies are often lower-case)."""
    if not isinstance(params, Mapping):
        return None
    for key, value in params.items():
        if str(key).lower() == name.lower():
            return value
    return None


def subtype_targets(
    ctx: ScanContext, stack: str, subtype: str, params: Any
) -> tuple[list[Target], bool] | None:
    """Targets of a first-class service integration and whether the API reads from them;
    None for a subtype iacscan does not know (the caller notes it)."""
    key = subtype.lower()
    if key in NO_DATA:
        return [], False
    spec = SUBTYPES.get(key)
    if spec is None:
        return None
    types, name, reads = spec
    value = _param(params, name)
    if value is None and key == "eventbridge-putevents":
        return [Target(ctx.external("default-event-bus", types[0]), False, None)], False
    found = ctx.targets(stack, value, types=types, external_ok=False, by_name=True)
    if not found and key == "eventbridge-putevents" and ctx.text(stack, value) == "default":
        found = [Target(ctx.external("default-event-bus", types[0]), False, None)]
    return found, reads


def _listener_balancers(ctx: ScanContext, key: tuple[str, str]) -> list[Target]:
    listener = ctx.resource(key)
    if listener is None:
        return []
    return ctx.targets(key[0], listener.properties.get("LoadBalancerArn"), types=(_LB,))


def _discovered_services(ctx: ScanContext, key: tuple[str, str]) -> list[Target]:
    """ECS services registered in a Cloud Map service (``ServiceRegistries``)."""
    out = []
    for stack, svc in ctx.resources("AWS::ECS::Service"):
        for registry in as_list(svc.properties.get("ServiceRegistries")):
            if any(
                (r.stack, r.logical_id) == key
                for r in ctx.refs(stack, get(registry, "RegistryArn"))
            ):
                node = ctx.ensure_node((stack, svc.logical_id))
                if node:
                    out.append(Target(node, False, (stack, svc.logical_id)))
    return out


def private_targets(ctx: ScanContext, stack: str, uri: Any, connection: Any) -> list[Target]:
    """What a VPC-link integration reaches: the load balancer behind a listener ARN (HTTP API),
    an NLB named by its DNS name in the URI (REST API), a Cloud Map service's ECS services, or
    else the load balancers the REST VPC link itself targets."""
    out: list[Target] = []
    for ref in ctx.refs(stack, uri):
        key = ctx.canonical((ref.stack, ref.logical_id))
        res = ctx.resource(key)
        if res is None:
            continue
        if res.type == "AWS::ElasticLoadBalancingV2::Listener":
            out += _listener_balancers(ctx, key)
        elif res.type == _LB:
            node = ctx.ensure_node(key)
            if node:
                out.append(Target(node, False, key))
        elif res.type == "AWS::ServiceDiscovery::Service":
            out += _discovered_services(ctx, key)
    if out:
        return out
    for ref in ctx.refs(stack, connection):
        link = ctx.resource((ref.stack, ref.logical_id))
        if link is not None and link.type == "AWS::ApiGateway::VpcLink":
            out += ctx.targets(ref.stack, link.properties.get("TargetArns"), types=(_LB,))
    return out


def is_private(ctx: ScanContext, stack: str, connection_type: Any) -> bool:
    return ctx.text(stack, connection_type).upper() == "VPC_LINK"


def openapi_authorizers(ctx: ScanContext, stack: str, body: Any) -> list[tuple[str, Any, Any]]:
    """(scheme name, authorizerUri, the authorizer mapping) for each Lambda authorizer declared in
    ``securityDefinitions`` (Swagger 2) or ``components.securitySchemes`` (OpenAPI 3)."""
    out = []
    for schemes in (get(body, "securityDefinitions"), get(body, "components", "securitySchemes")):
        if not isinstance(schemes, Mapping):
            continue
        for name, scheme in schemes.items():
            authorizer = get(scheme, "x-amazon-apigateway-authorizer")
            uri = get(authorizer, "authorizerUri")
            if uri is not None:
                out.append((str(name), uri, authorizer))
    return out
