"""S3 Object Lambda access points: access point -triggers-> the transforming function, and the
bucket behind the supporting access point -reads-> that function (it fetches the object)."""

from __future__ import annotations

from iacscan.model import Resource
from iacscan.topology.context import ScanContext
from iacscan.topology.extractors.base import as_list, each, get

ID = "s3-object-lambda"
_FN = ("AWS::Lambda::Function",)


def _buckets(ctx: ScanContext, stack: str, supporting: object) -> list[str]:
    """The bucket behind the supporting access point (an access point is no node)."""
    out = []
    for ref in ctx.refs(stack, supporting):
        ap = ctx.resource((ref.stack, ref.logical_id))
        if ap is not None and ap.type == "AWS::S3::AccessPoint":
            found = ctx.targets(ref.stack, ap.properties.get("Bucket"), types=("AWS::S3::Bucket",))
            out += [b.node for b in found]
    return out


def _access_point(ctx: ScanContext, stack: str, res: Resource) -> None:
    config = res.properties.get("ObjectLambdaConfiguration")
    point = ctx.ensure_node((stack, res.logical_id))
    buckets = _buckets(ctx, stack, get(config, "SupportingAccessPoint"))
    for item in as_list(get(config, "TransformationConfigurations")):
        actions = ",".join(ctx.text(stack, a) for a in as_list(get(item, "Actions")))
        what = f"AWS::S3ObjectLambda::AccessPoint {res.logical_id} ({actions})"
        arn = get(item, "ContentTransformation", "AwsLambda", "FunctionArn")
        for fn in ctx.targets(stack, arn, types=_FN):
            via = ctx.via(stack, what, item, res=res)
            ctx.add_edge(point, fn.node, "triggers", via)
            for bucket in buckets:
                ctx.add_edge(bucket, fn.node, "reads", via)


def extract(ctx: ScanContext) -> None:
    each(ctx, ID, ("AWS::S3ObjectLambda::AccessPoint",), _access_point)
