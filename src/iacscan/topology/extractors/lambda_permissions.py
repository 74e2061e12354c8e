"""Lambda permissions: a service allowed to invoke a function, from a source in scope.

``AWS::Lambda::Permission`` with ``Principal: apigateway.amazonaws.com`` and a ``SourceArn`` built
from an API is how an API whose integrations live in an unreadable OpenAPI file (an
``AWS::Include`` of a file not in the repository) still shows which function it invokes. The same
holds for S3, SNS, EventBridge, Cognito, IoT and CloudWatch Logs sources; the edge merges with
the one the integration itself gives when both are visible.
"""

from __future__ import annotations

from iacscan.model import Resource
from iacscan.topology.context import ScanContext
from iacscan.topology.extractors.base import each

ID = "lambda-permissions"

_SOURCES = {
    "apigateway.amazonaws.com": ("AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api"),
    "s3.amazonaws.com": ("AWS::S3::Bucket",),
    "sns.amazonaws.com": ("AWS::SNS::Topic",),
    "events.amazonaws.com": ("AWS::Events::Rule",),
    "scheduler.amazonaws.com": ("AWS::Scheduler::Schedule",),
    "cognito-idp.amazonaws.com": ("AWS::Cognito::UserPool",),
    "iot.amazonaws.com": ("AWS::IoT::TopicRule",),
    "logs.amazonaws.com": ("AWS::Logs::LogGroup",),
    "elasticloadbalancing.amazonaws.com": ("AWS::ElasticLoadBalancingV2::TargetGroup",),
}


def _permission(ctx: ScanContext, stack: str, res: Resource) -> None:
    principal = ctx.resolve(stack, res.properties.get("Principal"))
    types = _SOURCES.get(principal) if isinstance(principal, str) else None
    if types is None or types == ("AWS::ElasticLoadBalancingV2::TargetGroup",):
        return
    functions = ctx.targets(
        stack, res.properties.get("FunctionName"), types=("AWS::Lambda::Function",)
    )
    sources = ctx.targets(stack, res.properties.get("SourceArn"), types=types, external_ok=False)
    what = f"AWS::Lambda::Permission {res.logical_id} ({principal})"
    for src in sources:
        for fn in functions:
            ctx.add_edge(src.node, fn.node, "triggers", ctx.via(stack, what, res=res))


def extract(ctx: ScanContext) -> None:
    each(ctx, ID, ("AWS::Lambda::Permission",), _permission)
