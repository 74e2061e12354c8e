"""The resource knowledge table, loaded once.

People edit ``knowledge/data/resources.yaml``; iacscan reads ``resources.json``, the same table
written by ``scripts/gen_docs.py`` (a test keeps the two equal): parsing the YAML took 40 ms of
every run, the JSON takes 1 ms.

One row per resource type (or ``AWS::Service::*`` pattern): topology role, whether it is a node,
managed-ness, the level it contributes and the property rules that decide it. Topology reads the
roles; classification reads the rest.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

ROLES = ("compute", "orchestrator", "channel", "store", "ingress", "router", "capacity")
TRAITS = frozenset(
    {
        "startable",
        "launched",
        "request-ingress",
        "serves-requests",
        "fixed-fleet",
        "instance-priced-data",
        "level-unseen",
    }
)


@dataclass(frozen=True, slots=True)
class TypeInfo:
    type: str
    role: str  # one of ROLES or "none"
    node: str  # always | on-edge | never
    managed: str
    unit: bool
    level: str
    idle_kind: str | None
    small_fixed: bool
    deploy_time: bool
    why: str
    decider: str | None
    # False when the services that use the type carry its level (ECS capacity providers).
    judged_alone: bool
    traits: frozenset[str]
    rules: tuple[Mapping[str, Any], ...]
    source: str
    classified: bool = True


UNCLASSIFIED_WHY = "not in iacscan's resource table: treated as configuration with no idle cost"
# The last word of a type name that AWS gives to provisioned capacity (a fleet of instances, a
# cluster of nodes, an environment of a size class, a broker, a server): a type of that shape
# that the table does not know may be paid for while idle, so it cannot be called free.
CAPACITY_WORDS = (
    "Broker",
    "Cluster",
    "Environment",
    "Fleet",
    "Instance",
    "NodeGroup",
    "Node",
    "Server",
)


# EKS clusters and Fargate profiles, as CloudFormation types and as the CDK aws-eks module's
# custom resources (which name their cluster in ``Config.clusterName``).
EKS_CLUSTERS = frozenset({"AWS::EKS::Cluster", "Custom::AWSCDK-EKS-Cluster"})
EKS_FARGATE_PROFILES = frozenset({"AWS::EKS::FargateProfile", "Custom::AWSCDK-EKS-FargateProfile"})


def eks_cluster_name(properties: Mapping[str, Any]) -> Any:
    """The value naming the cluster of a node group or Fargate profile (either form)."""
    if "ClusterName" in properties:
        return properties.get("ClusterName")
    config = properties.get("Config")
    return config.get("clusterName") if isinstance(config, Mapping) else None


def may_be_capacity(rtype: str) -> bool:
    """An unclassified type whose name says it may be provisioned capacity (``AWS::X::Fleet``,
    ``AWS::Y::Cluster``): not known to be free configuration. Only meaningful when
    ``type_info(rtype).classified`` is False."""
    name = rtype.rsplit("::", 1)[-1]
    return name.endswith(CAPACITY_WORDS)


def entry_info(rtype: str, raw: Mapping[str, Any]) -> TypeInfo:
    """One table entry (as written in resources.yaml) as the TypeInfo classification reads."""
    role = str(raw.get("role") or "none")
    node = str(raw.get("node") or ("always" if role != "none" else "never"))
    return TypeInfo(
        type=rtype,
        role=role,
        node=node,
        managed=str(raw.get("managed") or "CFG"),
        unit=bool(raw.get("unit", False)),
        level=str(raw.get("level") or "serverless"),
        idle_kind=raw.get("idle_kind"),
        small_fixed=bool(raw.get("small_fixed", False)),
        deploy_time=bool(raw.get("deploy_time", False)),
        why=str(raw.get("why") or ""),
        decider=raw.get("decider"),
        judged_alone=str(raw.get("judged") or "alone") == "alone",
        traits=frozenset(str(t) for t in raw.get("traits") or ()),
        rules=tuple(raw.get("rules") or ()),
        source=str(raw.get("source") or ""),
    )


@cache
def _table() -> tuple[dict[str, TypeInfo], dict[str, TypeInfo]]:
    text = (resources.files("iacscan") / "knowledge" / "data" / "resources.json").read_text("utf-8")
    data = json.loads(text) or {}
    exact: dict[str, TypeInfo] = {}
    patterns: dict[str, TypeInfo] = {}
    for rtype, raw in (data.get("types") or {}).items():
        info = entry_info(str(rtype), raw or {})
        if str(rtype).endswith("::*"):
            patterns[str(rtype)[:-1]] = info
        else:
            exact[str(rtype)] = info
    return exact, patterns


@cache
def type_info(rtype: str) -> TypeInfo:
    exact, patterns = _table()
    if rtype in exact:
        return exact[rtype]
    if rtype.startswith("Custom::"):
        return entry_info(
            rtype,
            {"role": "none", "deploy_time": True, "why": "a custom resource runs at deploy time"},
        )
    prefix = rtype.rsplit("::", 1)[0] + "::"
    if prefix in patterns:
        return patterns[prefix]
    info = entry_info(rtype, {"why": UNCLASSIFIED_WHY})
    return TypeInfo(
        **{**{f: getattr(info, f) for f in info.__dataclass_fields__}, "classified": False}
    )


def has_trait(rtype: str, trait: str) -> bool:
    """Whether the table gives ``rtype`` a trait (see the ``traits`` key in resources.yaml)."""
    if trait not in TRAITS:
        raise ValueError(f"unknown trait {trait!r}")
    return trait in type_info(rtype).traits
