"""OpenSearch Ingestion pipelines: sources -triggers-> pipeline -writes-> sinks.

``PipelineConfigurationBody`` is a Data Prepper YAML document, usually built with Fn::Sub or
Fn::Join around the ARNs and URLs of the resources it reads and writes. Everything the text
references before its first ``sink:`` key is a source (an SQS queue of S3 notifications, a
DynamoDB table, a Kinesis stream); everything after it a sink (an OpenSearch domain or
collection, a bucket). IAM roles it names are evidence, not nodes.
"""

from __future__ import annotations

import re

from iacscan.model import Resource
from iacscan.resolve import Ref, split_tokens
from iacscan.topology.context import ScanContext, Target
from iacscan.topology.extractors.base import each

ID = "osis-pipelines"
_SINK = re.compile(r"^\s*sink\s*:", re.MULTILINE)
_NOT_NODES = ("AWS::IAM::Role", "AWS::IAM::Policy")


def _referenced(ctx: ScanContext, stack: str, text: str) -> list[Target]:
    """Resources a part of the resolved body references (tokens), as nodes."""
    out: list[Target] = []
    for part in split_tokens(text):
        if isinstance(part, Ref):
            key = ctx.canonical((part.stack, part.logical_id))
            res = ctx.resource(key)
            if res is None or res.type in _NOT_NODES:
                continue
            node = ctx.ensure_node(key)
            if node:
                out.append(Target(node, False, key))
    return out


def _pipeline(ctx: ScanContext, stack: str, res: Resource) -> None:
    body = ctx.resolve(stack, res.properties.get("PipelineConfigurationBody"))
    if not isinstance(body, str):
        return
    pipeline = ctx.ensure_node((stack, res.logical_id))
    m = _SINK.search(body)
    sources, sinks = (body[: m.start()], body[m.start() :]) if m else (body, "")
    what = f"AWS::OSIS::Pipeline {res.logical_id} PipelineConfigurationBody"
    via = ctx.via(stack, what, res.properties.get("PipelineConfigurationBody"), res=res)
    for src in _referenced(ctx, stack, sources):
        ctx.add_edge(src.node, pipeline, "triggers", via)
    for dst in _referenced(ctx, stack, sinks):
        ctx.add_edge(pipeline, dst.node, "writes", via)


def extract(ctx: ScanContext) -> None:
    each(ctx, ID, ("AWS::OSIS::Pipeline",), _pipeline)
