"""EventBridge Pipes: source -triggers-> target, and source -triggers-> enrichment."""

from __future__ import annotations

from iacscan.model import Resource
from iacscan.topology.context import ScanContext
from iacscan.topology.extractors.base import each, get

ID = "pipes"


def _pipe(ctx: ScanContext, stack: str, res: Resource) -> None:
    props = res.properties
    what = f"AWS::Pipes::Pipe {res.logical_id}"
    sources = ctx.targets(stack, props.get("Source"))
    ends = []
    for role in ("Target", "Enrichment"):
        for t in ctx.targets(stack, props.get(role)):
            target_res = ctx.resource(t.key) if t.key else None
            if target_res is not None and target_res.type == "AWS::ECS::Cluster":
                task = get(props, "TargetParameters", "EcsTaskParameters", "TaskDefinitionArn")
                for td in ctx.targets(stack, task, types=("AWS::ECS::TaskDefinition",)):
                    if td.key:
                        ctx.started_tasks.add(td.key)
                    ends.append((role, td.node))
                continue
            ends.append((role, t.node))
    for src in sources:
        for role, node in ends:
            ctx.add_edge(src.node, node, "triggers", ctx.via(stack, f"{what} ({role})", res=res))


def extract(ctx: ScanContext) -> None:
    each(ctx, ID, ("AWS::Pipes::Pipe",), _pipe)
