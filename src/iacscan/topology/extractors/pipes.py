"""EventBridge Pipes: source -triggers-> target, and source -triggers-> enrichment.

A stream source's dead-letter queue (``SourceParameters.*.DeadLetterConfig.Arn``) receives the
records the pipe gave up on: source -triggers-> queue, as an SQS redrive is drawn.
"""

from __future__ import annotations

from collections.abc import Mapping

from iacscan.model import Resource
from iacscan.topology.context import ScanContext
from iacscan.topology.extractors.base import each, get

ID = "pipes"


def _pipe(ctx: ScanContext, stack: str, res: Resource) -> None:
    props = res.properties
    what = f"AWS::Pipes::Pipe {res.logical_id}"
    sources = ctx.targets(stack, props.get("Source"))
    ends = []
    task = get(props, "TargetParameters", "EcsTaskParameters", "TaskDefinitionArn")
    batch = get(props, "TargetParameters", "BatchJobParameters") is not None
    for role in ("Target", "Enrichment"):
        types = ("AWS::Batch::JobQueue",) if role == "Target" and batch else None
        for t in ctx.targets(stack, props.get(role), types=types):
            target_res = ctx.resource(t.key) if t.key else None
            cluster = target_res is not None and target_res.type == "AWS::ECS::Cluster"
            # A cluster passed in from outside runs the task definition the pipe names.
            if role == "Target" and (cluster or (t.key is None and task is not None)):
                params = get(props, "TargetParameters", "EcsTaskParameters")
                for td in ctx.targets(stack, task, types=("AWS::ECS::TaskDefinition",)):
                    for src in sources:
                        ctx.launched(td.key or td.node, src.node, stack, params, what, params, res)
                    if not sources:
                        ctx.launched(td.key or td.node, None, stack, params, what)
                    ends.append((role, td.node))
                continue
            ends.append((role, t.node))
    params = props.get("SourceParameters")
    for name, config in params.items() if isinstance(params, Mapping) else ():
        dlq = get(config, "DeadLetterConfig", "Arn")
        if dlq is None:
            continue
        at = get(config, "DeadLetterConfig")
        via = ctx.via(stack, f"{what} {name} DeadLetterConfig", at, res=res)
        for t in ctx.targets(stack, dlq, types=("AWS::SQS::Queue", "AWS::SNS::Topic")):
            for src in sources:
                ctx.add_edge(src.node, t.node, "triggers", via)
    for src in sources:
        for role, node in ends:
            ctx.add_edge(src.node, node, "triggers", ctx.via(stack, f"{what} ({role})", res=res))


def extract(ctx: ScanContext) -> None:
    each(ctx, ID, ("AWS::Pipes::Pipe",), _pipe)
