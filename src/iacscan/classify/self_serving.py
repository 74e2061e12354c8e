"""Compute that serves outside requests on an endpoint of its own (an App Runner service URL, a
web-tier Elastic Beanstalk environment's load balancer or instance): it is ingress of the black
box as well as a unit, and the target of its own request ingress for the monolith label.

The table marks such types with the ``serves-requests`` trait; a Beanstalk environment in the
Worker tier reads a queue instead and serves no requests.

A bucket with static website hosting (``WebsiteConfiguration``) serves outside requests on its
website endpoint too: it is no compute, but it is ingress, so a static site gets a level
(definitions.md: "An S3 + CloudFront site ... has ingress"), not "no compute".
"""

from __future__ import annotations

from collections.abc import Mapping

from iacscan.knowledge.resource_types import has_trait
from iacscan.model import Node, Topology
from iacscan.topology.result import StackView


def serves_requests(ctx: StackView, node: Node) -> bool:
    if node.deploy_time or node.role != "compute" or not has_trait(node.type, "serves-requests"):
        return False
    found = ctx.resource_of(node.id)
    if found is None:
        return False
    (stack, _), res = found
    if res.type == "AWS::ElasticBeanstalk::Environment":
        tier = res.properties.get("Tier")
        name = ctx.text(stack, tier.get("Name")) if isinstance(tier, Mapping) else ""
        return name.lower() != "worker"
    return True


def self_serving(ctx: StackView, topology: Topology) -> list[str]:
    """Node ids of the compute units that serve requests on their own endpoint."""
    return sorted(n.id for n in topology.nodes if serves_requests(ctx, n))


def website_buckets(ctx: StackView, topology: Topology) -> list[str]:
    """Node ids of the buckets that host a static website (``WebsiteConfiguration``): its
    endpoint serves outside requests."""
    out = []
    for n in topology.nodes:
        if n.type != "AWS::S3::Bucket" or n.deploy_time:
            continue
        found = ctx.resource_of(n.id)
        if found is not None and found[1].properties.get("WebsiteConfiguration") is not None:
            out.append(n.id)
    return sorted(out)
