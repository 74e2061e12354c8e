"""Criteria C1-C6 (definition-research §4.3), each with its status and evidence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from iacscan.classify.assess import Assessment
from iacscan.classify.profile import Profile
from iacscan.knowledge.resource_types import has_trait
from iacscan.model import Criterion, Evidence, Status, Topology


@dataclass(frozen=True, slots=True)
class CriterionDoc:
    id: str
    title: str
    text: str
    sources: str


CRITERIA: tuple[CriterionDoc, ...] = (
    CriterionDoc(
        "no-servers-you-manage",
        "No servers you manage (C1)",
        "No EC2 instances, auto scaling groups, node groups or other hosts you run. ECS on EC2 "
        "capacity follows the profile's ecs_on_ec2 switch.",
        "Johnston 2017 ('you don't pay for idle servers anywhere'); AWS 'No server management'; "
        "CNCF 'Zero Server Ops'",
    ),
    CriterionDoc(
        "no-idle-cost",
        "Costs nothing while idle, data storage excepted (C2)",
        "Nothing is billed while nobody uses the system, except storage and small flat fees.",
        "Johnston 2017; AWS 'No idle capacity'; CNCF 'No Compute Cost When Idle'",
    ),
    CriterionDoc(
        "scales-with-use",
        "Scales with use (C3)",
        "Every compute unit scales automatically: per request, per event, or by an autoscaling "
        "policy; no fixed fleet.",
        "AWS 'Flexible scaling'; CNCF 'Flexible Scalability'; Johnston 2023 ('autoscaling ECS tasks')",
    ),
    CriterionDoc(
        "event-driven",
        "Event-driven (C4)",
        "Container compute is started or fed by events (a Lambda, a rule, a queue, a state "
        "machine) rather than always on.",
        "Johnston 2023 ('event-driven, triggered via a Lambda function'); Cockcroft 2023",
    ),
    CriterionDoc(
        "no-instance-priced-data",
        "No instance-priced data services (C6)",
        "No relational databases, caches, brokers or search domains sized in instances.",
        "Johnston, Serverless Best Practices ('Avoid using connection based services e.g. RDBMS')",
    ),
)

def _first_per_node(items: Sequence[Assessment]) -> list[Assessment]:
    """One piece of evidence per resource (a service can fail a criterion two ways)."""
    seen: dict[str, Assessment] = {}
    for a in items:
        seen.setdefault(a.node, a)
    return list(seen.values())


def _ev(a: Assessment) -> Evidence:
    return Evidence(node=a.node, file=a.file, line=a.line, why=a.why, default=a.default)


def _status(
    fails: Sequence[Assessment], warns: Sequence[Assessment], unknown: Sequence[Assessment]
) -> Status:
    if fails:
        return "fail"
    if unknown:
        return "unknown"
    return "warn" if warns else "pass"


def evaluate_criteria(
    assessments: Sequence[Assessment], topology: Topology, profile: Profile, has_compute: bool
) -> tuple[Criterion, ...]:
    docs = {d.id: d for d in CRITERIA}
    unknown = [a for a in assessments if a.level == "indeterminate"]
    data_svc = [a for a in assessments if has_trait(a.type, "instance-priced-data")]
    servers = [
        a
        for a in assessments
        if a.idle_kind == "instance"
        and not has_trait(a.type, "instance-priced-data")
        and a.level == "not-serverless"
    ]
    ec2 = [a for a in assessments if a.ecs_on_ec2]
    c1_fail = servers + ([] if profile.ecs_on_ec2 == "warn" else ec2)
    c1_warn = ec2 if profile.ecs_on_ec2 == "warn" else []
    idle = [a for a in assessments if a.level in ("serverless-with-floor", "not-serverless")]
    idle_fail = [a for a in idle if a.level not in profile.passes]
    idle_warn = [a for a in idle if a.level in profile.passes]
    fixed = [
        a
        for a in assessments
        if (
            a.type == "AWS::ECS::Service"
            and a.properties.get("autoscaled") is False
            and a.level == "not-serverless"
        )
        or has_trait(a.type, "fixed-fleet")
    ]
    incoming = {e.target for e in topology.edges}
    always_on = [a for a in assessments if a.type == "AWS::ECS::Service" and a.node not in incoming]
    data_fail = [a for a in data_svc if a.level == "not-serverless"]
    rows: list[tuple[str, Status, list[Assessment]]] = [
        ("no-servers-you-manage", _status(c1_fail, c1_warn, []), c1_fail + c1_warn),
        ("no-idle-cost", _status(idle_fail, idle_warn, unknown), idle_fail + idle_warn + unknown),
        ("scales-with-use", _status(fixed, [], []), fixed),
        ("event-driven", _status([], always_on, []), always_on),
        ("no-instance-priced-data", _status(data_fail, [], []), data_fail),
    ]
    out = []
    for cid, status, evidence in rows:
        if not has_compute and cid != "no-instance-priced-data":
            status = "n/a"
        out.append(
            Criterion(
                id=cid,
                title=docs[cid].title,
                status=status,
                evidence=tuple(_ev(a) for a in _first_per_node(evidence)),
            )
        )
    return tuple(out)
