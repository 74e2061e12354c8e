"""Glue triggers and crawlers.

A trigger (a router, as an EventBridge rule is) -triggers-> the jobs and crawlers its
``Actions`` name; a CONDITIONAL trigger fires when the jobs and crawlers of its ``Predicate``
finish, so they -trigger-> it. A SCHEDULED or ON_DEMAND trigger has nothing in scope before it:
a way in, like a schedule. A crawler reads the S3 paths and DynamoDB tables of its ``Targets``
into the Data Catalog.
"""

from __future__ import annotations

from typing import Any

from iacscan.model import Resource
from iacscan.resolve import has_tokens
from iacscan.topology.context import ScanContext, Target
from iacscan.topology.extractors.base import as_list, each, get

ID = "glue"

_JOB = ("AWS::Glue::Job",)
_CRAWLER = ("AWS::Glue::Crawler",)


def _named(ctx: ScanContext, stack: str, item: Any) -> list[Target]:
    """The jobs and crawlers an action or a condition names (``JobName``, ``CrawlerName``)."""
    out: list[Target] = []
    for key, types in (("JobName", _JOB), ("CrawlerName", _CRAWLER)):
        value = get(item, key)
        if value is not None:
            out += ctx.targets(stack, value, types=types, by_name=True)
    return out


def _trigger(ctx: ScanContext, stack: str, res: Resource) -> None:
    trigger = ctx.ensure_node((stack, res.logical_id))
    props = res.properties
    kind = ctx.text(stack, props.get("Type"))
    schedule = ctx.text(stack, props.get("Schedule")) if kind == "SCHEDULED" else ""
    what = f"AWS::Glue::Trigger {res.logical_id} ({' '.join(filter(None, (kind, schedule)))})"
    for action in as_list(props.get("Actions")):
        for t in _named(ctx, stack, action):
            ctx.add_edge(trigger, t.node, "triggers", ctx.via(stack, what, action, res=res))
    for condition in as_list(get(props, "Predicate", "Conditions")):
        state = ctx.text(stack, get(condition, "State") or get(condition, "CrawlState"))
        via = ctx.via(stack, f"{what} when {state or 'done'}", condition, res=res)
        for t in _named(ctx, stack, condition):
            ctx.add_edge(t.node, trigger, "triggers", via)


_S3_PATHS = (
    ("S3Targets", "Path"),
    ("DeltaTargets", "DeltaTables"),
    ("IcebergTargets", "Paths"),
    ("HudiTargets", "Paths"),
)


def _crawler(ctx: ScanContext, stack: str, res: Resource) -> None:
    crawler = ctx.ensure_node((stack, res.logical_id))
    targets = res.properties.get("Targets")
    what = f"AWS::Glue::Crawler {res.logical_id}"
    for group, key in _S3_PATHS:
        for item in as_list(get(targets, group)):
            for path in as_list(get(item, key)):
                via = ctx.via(stack, f"{what} {group}", item, res=res)
                for t in _bucket(ctx, stack, path):
                    ctx.add_edge(t.node, crawler, "reads", via)
    for item in as_list(get(targets, "DynamoDBTargets")):
        via = ctx.via(stack, f"{what} DynamoDBTargets", item, res=res)
        tables = ctx.targets(
            stack, get(item, "Path"), types=("AWS::DynamoDB::Table",), by_name=True
        )
        for t in tables:
            ctx.add_edge(t.node, crawler, "reads", via)


def _bucket(ctx: ScanContext, stack: str, path: Any) -> list[Target]:
    """The bucket of an ``s3://bucket/prefix`` path: by reference (``s3://${Data}/raw``), or by
    its name, an ``ext:`` node when no bucket in scope has it."""
    types = ("AWS::S3::Bucket",)
    resolved = ctx.resolve(stack, path)
    if not isinstance(resolved, str):
        return ctx.targets(stack, path, types=types)
    if has_tokens(resolved):
        return ctx.targets(stack, path, types=types, external_ok=False)
    name = resolved.removeprefix("s3://").removeprefix("S3://").split("/", 1)[0]
    return ctx.targets(stack, name, types=types, by_name=True) if name else []


def extract(ctx: ScanContext) -> None:
    each(ctx, ID, ("AWS::Glue::Trigger",), _trigger)
    each(ctx, ID, ("AWS::Glue::Crawler",), _crawler)
