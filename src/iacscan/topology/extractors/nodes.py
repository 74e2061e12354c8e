"""Every resource whose type is always a node becomes one, linked or not."""

from __future__ import annotations

from iacscan.knowledge.resource_types import type_info
from iacscan.topology.context import ScanContext

ID = "nodes"


def extract(ctx: ScanContext) -> None:
    for rtype, items in list(ctx.by_type.items()):
        info = type_info(rtype)
        if info.role == "none" or info.node != "always":
            continue
        for stack, res in items:
            ctx.ensure_node((stack, res.logical_id))
