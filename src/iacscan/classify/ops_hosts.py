"""Operations hosts: a bastion (jump host) lets people reach the network; it runs no business
logic, so it is not a unit of the architecture label. It is still a server you pay for, so it
still decides the level.

Recognised by name (the logical id or the ``Name`` tag says bastion or jump host), and only
when no data flows through it (no edge in or out): a host that serves requests or writes data
is business compute whatever its name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from iacscan.model import Node
from iacscan.topology.result import StackView

OPS_TYPES = ("AWS::EC2::Instance", "AWS::AutoScaling::AutoScalingGroup")
_NAME = re.compile(r"bastion|jump[-_ ]?(host|box|server)", re.IGNORECASE)


def is_ops_host(ctx: StackView, node: Node, has_edges: bool) -> bool:
    if node.type not in OPS_TYPES or has_edges:
        return False
    found = ctx.resource_of(node.id)
    if found is None:
        return False
    (stack, lid), res = found
    names = [lid]
    tags = res.properties.get("Tags")
    for tag in tags if isinstance(tags, list) else []:
        if isinstance(tag, Mapping) and ctx.text(stack, tag.get("Key")) == "Name":
            names.append(ctx.text(stack, tag.get("Value")))
    return any(_NAME.search(name) for name in names)
