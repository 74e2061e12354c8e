"""Assess every resource in scope and combine the assessments into a level."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from iacscan.classify.assess import RANK, Assessment, evaluate_rules
from iacscan.classify.deciders import DECIDERS, DeciderInput
from iacscan.classify.deciders_ecs import starter_launch, unrecorded_starters
from iacscan.classify.profile import Profile
from iacscan.classify.self_serving import website_buckets
from iacscan.knowledge.resource_types import has_trait, may_be_capacity, type_info
from iacscan.model import Cases, IdleCost, Level, Node
from iacscan.topology.result import TopologyResult

COUNTED_ROLES = ("compute", "orchestrator", "ingress", "router")


@dataclass(frozen=True, slots=True)
class LevelResult:
    level: Level
    assessments: tuple[Assessment, ...]
    cases: Cases | None
    idle_costs: tuple[IdleCost, ...]
    warnings: tuple[str, ...]
    unclassified: Mapping[str, int]
    has_compute: bool


def assess_all(result: TopologyResult, profile: Profile) -> tuple[list[Assessment], dict[str, int]]:
    ctx = result.view
    deploy_time = {n.id for n in result.topology.nodes if n.deploy_time}
    out: list[Assessment] = []
    unclassified: dict[str, int] = {}
    for stack, template in ctx.templates.items():
        for lid, res in template.resources.items():
            if (stack, lid) in ctx.disabled:
                continue
            info = type_info(res.type)
            if not info.classified:
                unclassified[res.type] = unclassified.get(res.type, 0) + 1
                if may_be_capacity(res.type):
                    out.append(_unknown_capacity(stack, lid, res.type, template.file, res.line))
                continue
            if info.deploy_time or not info.judged_alone:
                continue
            key = ctx.canonical((stack, lid))
            node = ctx.node_id(*key)
            if node in deploy_time:
                continue
            computed = [m.name for m in template.macros if m.resource == lid]
            if (
                computed
                and "Fn::Transform" in res.properties
                and (info.rules or info.decider or info.level != "serverless")
            ):
                # a macro supplies properties of this resource at deploy time (a Fn::Transform
                # among its Properties): those that decide its level, and the defaults of those
                # left out, are not what is written. (One inside a value makes only that value
                # unknown, which the rules already read as unknown.)
                out.append(
                    _macro_values(stack, node, res.type, info, computed, template.file, res.line)
                )
                continue
            base: dict[str, Any] = {
                "stack": stack,
                "logical_id": lid,
                "node": node,
                "file": template.file,
            }
            if info.decider:
                decider = DECIDERS.get(info.decider)
                if decider is None:
                    continue
                a = decider(
                    DeciderInput(ctx, result.facts, result.topology, profile, stack, res, base)
                )
                if a is not None:
                    out.append(a)
                continue
            if info.rules or info.level != "serverless":
                out.append(evaluate_rules(info, res, lambda v, s=stack: ctx.resolve(s, v), base))
    return out, unclassified


def _undecided(
    stack: str,
    node: str,
    rtype: str,
    why: str,
    missing: str,
    file: str,
    line: int | None,
    **extra: Any,
) -> Assessment:
    """A part the scan cannot decide: best case it changes nothing (serverless), worst case it
    is servers."""
    return Assessment(
        stack=stack,
        logical_id=node,
        node=node,
        type=rtype,
        level="indeterminate",
        idle_kind=None,
        why=why,
        file=file,
        line=line,
        best="serverless",
        worst="not-serverless",
        missing=missing,
        **extra,
    )


def _macro_values(
    stack: str,
    node: str,
    rtype: str,
    info: Any,
    macros: list[str],
    file: str,
    line: int | None,
) -> Assessment:
    """A resource whose values a macro computes: each level its table rules give is possible."""
    levels = {info.level} | {str(r.get("level", info.level)) for r in info.rules}
    if info.decider:
        levels |= {"serverless", "not-serverless"}
    ordered = sorted(levels, key=lambda lv: RANK.get(lv, 0))
    names = ", ".join(macros)
    a = _undecided(
        stack,
        node,
        rtype,
        f"{names} computes values of {node} at deploy time; the properties that decide its "
        "level are not what the template says",
        f"{node}: its values after {names} runs",
        file,
        line,
    )
    return replace(a, best=ordered[0], worst=ordered[-1])


def _unknown_capacity(stack: str, lid: str, rtype: str, file: str, line: int | None) -> Assessment:
    """A type iacscan's table does not know, named like provisioned capacity: it may be paid
    for while idle (best case it is free), so the level cannot be decided without it."""
    return _undecided(
        stack,
        lid,
        rtype,
        f"{rtype} is not in iacscan's resource table, and its name says it may be "
        "provisioned capacity, paid for while idle",
        f"{lid} ({rtype}): a type iacscan does not know; check its pricing "
        "(billed while idle or per use?) and report it to iacscan",
        file,
        line,
        properties={"unclassified": True},
    )


def combine(
    assessments: list[Assessment], has_compute: bool, unseen: list[Assessment] | None = None
) -> tuple[Level, Cases | None]:
    """The level; ``unseen`` are the parts that may hide compute (already in ``assessments``)."""
    known = [a for a in assessments if a.level != "indeterminate"]
    unknown = [a for a in assessments if a.level == "indeterminate"]
    worst_known = max((RANK[a.level] for a in known), default=0)
    if worst_known == RANK["not-serverless"]:
        # Servers or instance-sized capacity are paid for whether used or not, so a stack of
        # only those (an RDS instance, an ECS cluster's EC2 capacity with no service yet) is
        # not-serverless, not no-compute (definitions.md, levels).
        return "not-serverless", None
    servers_maybe = [a for a in unknown if (a.worst or "not-serverless") == "not-serverless"]
    if not has_compute and (unseen or servers_maybe):
        # Nothing seen runs, but a nested stack or an input that was not loaded may, or a
        # resource may be servers (a database instance whose class is read at deploy time):
        # that decides between no compute and servers, so it is no clean "nothing to judge".
        parts = [*(unseen or []), *servers_maybe]
        missing = tuple(sorted({a.missing or a.why for a in parts}))
        return "indeterminate", Cases(best="no-compute", worst="not-serverless", missing=missing)
    if not has_compute:
        return "no-compute", None
    names = list(RANK)
    if unknown:
        best = max([worst_known] + [RANK.get(a.best or "serverless", 0) for a in unknown])
        worst = max([worst_known] + [RANK.get(a.worst or "not-serverless", 2) for a in unknown])
        if best == worst:
            return names[best], None  # type: ignore[return-value]
        missing = tuple(sorted({a.missing or a.why for a in unknown}))
        return "indeterminate", Cases(best=names[best], worst=names[worst], missing=missing)  # type: ignore[arg-type]
    return names[worst_known], None  # type: ignore[return-value]


# What decides the level of compute of a ``level-unseen`` type, for the reason people read.
_DECIDED_BY = {
    "AWS::ECS::TaskDefinition": "its launch type (Fargate, or EC2 capacity you run)",
    "AWS::ECS::Service": "its launch type and floor (Fargate scaled to zero, or a fleet on EC2)",
    "AWS::Batch::JobQueue": "its compute environment (Fargate, or EC2 instances you run)",
}


def unseen_compute(n: Node, result: TopologyResult) -> Assessment | None:
    """Compute the system starts but that is defined outside the scan (an ``ext:`` task
    definition, service or job queue from a parameter or an import) is an unknown, as a task
    definition in scope without a launch type is: best case Fargate scaled to zero, worst case
    servers. A Lambda function, a state machine or a Glue job is serverless whatever it is, and
    a queue, bucket or table is no compute: neither is asked about."""
    if n.role != "external" or n.properties.get("unknown") is not True:
        return None
    if not has_trait(n.type, "level-unseen"):
        return None
    launches = result.facts.outside_launches.get(n.id, ())
    if (
        launches
        and all(starter_launch(result.view, x) == "FARGATE" for x in launches)
        and not unrecorded_starters(result.topology, n.id, launches)
    ):
        return None  # every starter runs it on Fargate: per event, nothing runs in between
    topology = result.topology
    decided = _DECIDED_BY.get(n.type, "what it runs on")
    note = str(n.properties.get("note") or "it is defined outside the scan")
    # The node has no file of its own: the evidence is where the system starts it.
    starts = sorted(
        (v.file, v.line or 0) for e in topology.edges if e.target == n.id for v in e.via
    )
    file, line = starts[0] if starts else (n.file, n.line)
    return _undecided(
        n.stack,
        n.id,
        n.type,
        f"{n.type} defined outside the scan: {decided} is not seen; {note}",
        f"{decided.split(' (', 1)[0].replace('its ', '', 1)} of {n.id}: {note}",
        file,
        line or None,
    )


def unseen_assessments(result: TopologyResult) -> list[Assessment]:
    """What may hide compute out of scope (a nested stack not loaded, a template that failed to
    load) is an unknown: best case nothing there changes the level, worst case servers."""
    out = []
    for n in result.topology.nodes:
        if n.properties.get("may_hide_compute") is not True:
            started = unseen_compute(n, result)
            if started is not None:
                out.append(started)
            continue
        note = str(n.properties.get("note") or n.id)
        what = str(n.properties.get("unseen") or n.id)
        out.append(
            _undecided(
                n.stack, n.id, n.type, f"not seen: {note}", f"{what}: not in scope", n.file, n.line
            )
        )
    return out


def decide_level(result: TopologyResult, profile: Profile) -> LevelResult:
    assessments, unclassified = assess_all(result, profile)
    unseen = unseen_assessments(result)
    assessments += unseen
    # An unknown capacity-shaped type decides between no compute and servers like an input
    # that was not seen.
    unseen = unseen + [a for a in assessments if a.properties.get("unclassified") is True]
    has_compute = any(
        n.role in COUNTED_ROLES and not n.deploy_time for n in result.topology.nodes
    ) or bool(website_buckets(result.view, result.topology))  # a static site is request ingress
    level, cases = combine(assessments, has_compute, unseen)
    idle = tuple(
        IdleCost(node=a.node, kind=a.idle_kind, why=a.why)  # type: ignore[arg-type]
        for a in sorted(assessments, key=lambda a: (a.node, a.logical_id))
        if a.level in ("serverless-with-floor", "not-serverless") and a.idle_kind
    )
    warnings = tuple(sorted({a.warning for a in assessments if a.warning}))
    return LevelResult(level, tuple(assessments), cases, idle, warnings, unclassified, has_compute)
