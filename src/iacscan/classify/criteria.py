"""Criteria C1-C6 (definition-research §4.3): each one object with its documentation and its
evaluation, registered in ``CRITERIA`` (the docs, ``iacscan explain`` and the verdict all read
the same objects)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from iacscan.classify.assess import Assessment
from iacscan.classify.profile import Profile
from iacscan.knowledge.resource_types import has_trait
from iacscan.model import Criterion, Evidence, Status, Topology


@dataclass(frozen=True, slots=True)
class CriterionInput:
    assessments: Sequence[Assessment]
    topology: Topology
    profile: Profile


# A criterion's evaluation: the assessments that fail it, that warn, that leave it unknown.
Outcome = tuple[list[Assessment], list[Assessment], list[Assessment]]


@dataclass(frozen=True, slots=True)
class CriterionDoc:
    id: str
    title: str
    text: str
    sources: str
    evaluate: Callable[[CriterionInput], Outcome]
    # Judged even when no compute is in scope (data services are paid for regardless).
    without_compute: bool = False


def _no_servers(c: CriterionInput) -> Outcome:
    servers = [
        a
        for a in c.assessments
        if a.idle_kind == "instance"
        and not has_trait(a.type, "instance-priced-data")
        and a.level == "not-serverless"
    ]
    ec2 = [a for a in c.assessments if a.ecs_on_ec2]
    if c.profile.ecs_on_ec2 == "warn":
        return servers, ec2, []
    return servers + ec2, [], []


def _no_idle_cost(c: CriterionInput) -> Outcome:
    idle = [a for a in c.assessments if a.level in ("serverless-with-floor", "not-serverless")]
    unknown = [a for a in c.assessments if a.level == "indeterminate"]
    return (
        [a for a in idle if a.level not in c.profile.passes],
        [a for a in idle if a.level in c.profile.passes],
        unknown,
    )


def _scales_with_use(c: CriterionInput) -> Outcome:
    fixed = [
        a
        for a in c.assessments
        if (
            a.type == "AWS::ECS::Service"
            and a.properties.get("autoscaled") is False
            and a.level == "not-serverless"
        )
        or has_trait(a.type, "fixed-fleet")
    ]
    return fixed, [], []


def _event_driven(c: CriterionInput) -> Outcome:
    incoming = {e.target for e in c.topology.edges}
    always_on = [
        a for a in c.assessments if a.type == "AWS::ECS::Service" and a.node not in incoming
    ]
    return [], always_on, []


def _no_instance_priced_data(c: CriterionInput) -> Outcome:
    data = [
        a
        for a in c.assessments
        if has_trait(a.type, "instance-priced-data") and a.level == "not-serverless"
    ]
    return data, [], []


CRITERIA: tuple[CriterionDoc, ...] = (
    CriterionDoc(
        "no-servers-you-manage",
        "No servers you manage (C1)",
        "No EC2 instances, auto scaling groups, node groups or other hosts you run. ECS on EC2 "
        "capacity follows the profile's ecs_on_ec2 switch.",
        "Johnston 2017 ('you don't pay for idle servers anywhere'); AWS 'No server management'; "
        "CNCF 'Zero Server Ops'",
        _no_servers,
    ),
    CriterionDoc(
        "no-idle-cost",
        "Costs nothing while idle, data storage excepted (C2)",
        "Nothing is billed while nobody uses the system, except storage and small flat fees.",
        "Johnston 2017; AWS 'No idle capacity'; CNCF 'No Compute Cost When Idle'",
        _no_idle_cost,
    ),
    CriterionDoc(
        "scales-with-use",
        "Scales with use (C3)",
        "Every compute unit scales automatically: per request, per event, or by an autoscaling "
        "policy; no fixed fleet.",
        "AWS 'Flexible scaling'; CNCF 'Flexible Scalability'; Johnston 2023 ('autoscaling ECS tasks')",
        _scales_with_use,
    ),
    CriterionDoc(
        "event-driven",
        "Event-driven (C4)",
        "Container compute is started or fed by events (a Lambda, a rule, a queue, a state "
        "machine) rather than always on.",
        "Johnston 2023 ('event-driven, triggered via a Lambda function'); Cockcroft 2023",
        _event_driven,
    ),
    CriterionDoc(
        "no-instance-priced-data",
        "No instance-priced data services (C6)",
        "No relational databases, caches, brokers or search domains sized in instances.",
        "Johnston, Serverless Best Practices ('Avoid using connection based services e.g. RDBMS')",
        _no_instance_priced_data,
        without_compute=True,
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
    data = CriterionInput(assessments, topology, profile)
    out = []
    for doc in CRITERIA:
        fails, warns, unknown = doc.evaluate(data)
        status = _status(fails, warns, unknown)
        if not has_compute and not doc.without_compute:
            status = "n/a"
        evidence = fails + warns + unknown
        out.append(
            Criterion(
                id=doc.id,
                title=doc.title,
                status=status,
                evidence=tuple(_ev(a) for a in _first_per_node(evidence)),
            )
        )
    return tuple(out)
