"""SQS redrive: a queue -triggers-> its dead-letter queue (``RedrivePolicy.deadLetterTargetArn``).

SQS moves a message that failed ``maxReceiveCount`` times to the dead-letter queue itself: a
managed delivery, like a bucket notification.
"""

from __future__ import annotations

import json

from iacscan.model import Resource
from iacscan.topology.context import ScanContext
from iacscan.topology.extractors.base import each, get

ID = "sqs-redrive"


def _queue(ctx: ScanContext, stack: str, res: Resource) -> None:
    policy = res.properties.get("RedrivePolicy")
    if isinstance(policy, str):  # also accepted as a JSON string
        try:
            policy = json.loads(policy)
        except ValueError:
            return
    target = get(policy, "deadLetterTargetArn")
    if target is None:
        return
    queue = ctx.ensure_node((stack, res.logical_id))
    count = ctx.text(stack, get(policy, "maxReceiveCount"))
    what = f"AWS::SQS::Queue {res.logical_id} RedrivePolicy (after {count} receives)"
    for dlq in ctx.targets(stack, target, types=("AWS::SQS::Queue",)):
        ctx.add_edge(queue, dlq.node, "triggers", ctx.via(stack, what, policy, res=res))


def extract(ctx: ScanContext) -> None:
    each(ctx, ID, ("AWS::SQS::Queue",), _queue)
