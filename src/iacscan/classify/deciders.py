"""Deciders: the few classifications that need more than one resource's properties.

ECS services (launch type through capacity providers and cluster defaults; floor through
Application Auto Scaling), task definitions started per event, Lambda provisioned concurrency,
auto scaling groups, EKS clusters and Batch compute environments.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from iacscan.classify.assess import Assessment
from iacscan.classify.profile import Profile
from iacscan.model import Resource, Topology, line_of
from iacscan.resolve import Unknown, display, has_tokens
from iacscan.topology.context import Key, ScanContext


@dataclass(frozen=True, slots=True)
class DeciderInput:
    ctx: ScanContext
    topology: Topology
    profile: Profile
    stack: str
    res: Resource
    base: Mapping[str, Any]


Decider = Callable[[DeciderInput], Assessment | None]


def _a(
    d: DeciderInput,
    level: str,
    why: str,
    *,
    idle: str | None = None,
    line: int | None = None,
    default: bool = False,
    **extra: Any,
) -> Assessment:
    return Assessment(
        **d.base,
        type=d.res.type,
        level=level,
        idle_kind=idle,
        why=why,
        line=line or d.res.line,
        default=default,
        **extra,
    )


def _text(d: DeciderInput, value: Any) -> str | None:
    r = d.ctx.resolve(d.stack, value)
    if isinstance(r, Unknown) or (isinstance(r, str) and has_tokens(r)):
        return None
    return None if r is None else str(r)


# ---------------------------------------------------------------- ECS


def _capacity_kind(d: DeciderInput, stack: str, strategy: Any) -> str | None:
    """FARGATE, EC2, or None (unknown) for a capacity provider strategy."""
    kinds = set()
    items = d.ctx.resolve(stack, strategy)
    if not isinstance(items, list) or not items:
        return None
    for item in items:
        provider = item.get("CapacityProvider") if isinstance(item, Mapping) else None
        refs = list(d.ctx.refs(stack, provider)) if provider is not None else []
        if refs:
            cp = d.ctx.resource((refs[0].stack, refs[0].logical_id))
            if cp is not None and cp.type == "AWS::ECS::CapacityProvider":
                kinds.add("EC2")
                continue
        name = str(provider) if isinstance(provider, str) and not has_tokens(provider) else None
        if name in ("FARGATE", "FARGATE_SPOT"):
            kinds.add("FARGATE")
        elif name is not None:
            found = [
                r
                for s, r in d.ctx.resources("AWS::ECS::CapacityProvider")
                if d.ctx.text(s, r.properties.get("Name")) == name
            ]
            kinds.add("EC2" if found or name else "UNKNOWN")
        else:
            kinds.add("UNKNOWN")
    if "UNKNOWN" in kinds:
        return None
    return "EC2" if "EC2" in kinds else "FARGATE"


def _launch(d: DeciderInput) -> tuple[str | None, str, int | None, bool]:
    """(FARGATE|EC2|EXTERNAL|None, why, line, default) for an ECS service."""
    props = d.res.properties
    if "LaunchType" in props:
        lt = _text(d, props["LaunchType"])
        if lt is None:
            return (
                None,
                f"LaunchType is {d.ctx.text(d.stack, props['LaunchType'])}",
                line_of(props["LaunchType"]),
                False,
            )
        return lt.upper(), f"LaunchType {lt}", line_of(props["LaunchType"]), False
    if "CapacityProviderStrategy" in props:
        kind = _capacity_kind(d, d.stack, props["CapacityProviderStrategy"])
        return (
            kind,
            "its CapacityProviderStrategy",
            line_of(props["CapacityProviderStrategy"]),
            False,
        )
    cluster_refs = list(d.ctx.refs(d.stack, props.get("Cluster")))
    for ref in cluster_refs:
        cluster = d.ctx.resource((ref.stack, ref.logical_id))
        if cluster is not None and "DefaultCapacityProviderStrategy" in cluster.properties:
            kind = _capacity_kind(
                d, ref.stack, cluster.properties["DefaultCapacityProviderStrategy"]
            )
            return (
                kind,
                f"cluster {ref.logical_id}'s default capacity provider strategy",
                cluster.line,
                False,
            )
        for s, assoc in d.ctx.resources("AWS::ECS::ClusterCapacityProviderAssociations"):
            if any(
                r.logical_id == ref.logical_id
                for r in d.ctx.refs(s, assoc.properties.get("Cluster"))
            ):
                kind = _capacity_kind(d, s, assoc.properties.get("DefaultCapacityProviderStrategy"))
                return (
                    kind,
                    f"{assoc.logical_id}'s default capacity provider strategy",
                    assoc.line,
                    False,
                )
    for ref in cluster_refs:
        instances = d.ctx.cluster_instances.get((ref.stack, ref.logical_id))
        if instances:
            asg = instances[0][1]
            return (
                "EC2",
                f"cluster {ref.logical_id}'s EC2 instances (auto scaling group {asg})",
                d.res.line,
                False,
            )
    return None, "no LaunchType, capacity provider strategy or cluster default", d.res.line, False


def _scaling(d: DeciderInput) -> tuple[bool, int | None, int | None, str]:
    """(autoscaled, min, max, evidence) from ScalableTargets and ScalingPolicies on the service."""
    me = d.res.logical_id
    for stack, target in d.ctx.resources("AWS::ApplicationAutoScaling::ScalableTarget"):
        rid = target.properties.get("ResourceId")
        if not any(r.logical_id == me for r in d.ctx.refs(stack, rid)):
            continue
        policies = [
            p
            for s, p in d.ctx.resources("AWS::ApplicationAutoScaling::ScalingPolicy")
            if any(
                r.logical_id == target.logical_id
                for r in d.ctx.refs(s, p.properties.get("ScalingTargetId"))
            )
            or any(r.logical_id == me for r in d.ctx.refs(s, p.properties.get("ResourceId")))
        ]
        low = _int(d.ctx.resolve(stack, target.properties.get("MinCapacity")))
        high = _int(d.ctx.resolve(stack, target.properties.get("MaxCapacity")))
        if policies:
            return (
                True,
                low,
                high,
                f"ScalableTarget {target.logical_id} MinCapacity {low} MaxCapacity {high}, ScalingPolicy {policies[0].logical_id}",
            )
        return False, low, high, f"ScalableTarget {target.logical_id} without a ScalingPolicy"
    return False, None, None, "no ScalableTarget with a ScalingPolicy"


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _incoming(d: DeciderInput, node: str) -> bool:
    return any(e.target == node for e in d.topology.edges)


def ecs_service(d: DeciderInput) -> Assessment:
    launch, launch_why, launch_line, _ = _launch(d)
    autoscaled, low, high, scale_why = _scaling(d)
    if autoscaled:
        floor: int | None = low
        floor_why = scale_why
        floor_default = False
    else:
        raw = d.res.properties.get("DesiredCount")
        floor = 1 if raw is None else _int(d.ctx.resolve(d.stack, raw))
        floor_default = raw is None
        floor_why = (
            "DesiredCount absent: CloudFormation starts 1 task"
            if raw is None
            else f"DesiredCount {floor}"
        )
    props = {"launch_type": launch, "floor": floor, "autoscaled": autoscaled, "max": high}
    node = str(d.base["node"])

    def level_for(kind: str) -> Assessment:
        if kind == "FARGATE":
            if floor == 0:
                return _a(
                    d,
                    "serverless",
                    f"Fargate service that scales to zero ({floor_why})",
                    properties=props,
                )
            if autoscaled:
                return _a(
                    d,
                    "serverless-with-floor",
                    f"Fargate service keeps {floor} task(s) running and autoscales ({floor_why})",
                    idle="container-floor",
                    properties=props,
                )
            return _a(
                d,
                "not-serverless",
                f"fixed fleet: {floor_why} and no ScalingPolicy ({launch_why})",
                idle="container-floor",
                default=floor_default,
                properties=props,
            )
        # EC2 capacity in your account
        if d.profile.ecs_on_ec2 == "warn" and autoscaled and _incoming(d, node):
            return _a(
                d,
                "serverless-with-floor",
                f"ECS service on EC2 capacity ({launch_why}) that autoscales ({floor_why}) and is fed by events",
                idle="ecs-on-ec2",
                properties=props,
                ecs_on_ec2=True,
                warning=(
                    f"{node} runs on EC2 hosts in your account ({launch_why}); Prime Video's "
                    "after-state ran on EC2+ECS and Johnston still called it serverless"
                ),
            )
        why = f"ECS service on EC2 capacity you run ({launch_why})"
        if not autoscaled:
            why += f", fixed fleet ({floor_why})"
        return _a(
            d,
            "not-serverless",
            why,
            idle="ecs-on-ec2" if autoscaled else "instance",
            properties=props,
            ecs_on_ec2=True,
        )

    if launch in ("FARGATE", "EC2"):
        return replace(level_for(launch), line=launch_line or d.res.line)
    if launch == "EXTERNAL":
        return _a(
            d,
            "not-serverless",
            "ECS Anywhere: tasks on servers you run (LaunchType EXTERNAL)",
            idle="instance",
            properties=props,
        )
    a, b = level_for("FARGATE"), level_for("EC2")
    ranked = sorted(
        [a, b],
        key=lambda x: ("serverless", "serverless-with-floor", "not-serverless").index(x.level),
    )
    if ranked[0].level == ranked[1].level:
        return ranked[0]
    return _a(
        d,
        "indeterminate",
        f"launch type unknown: {launch_why}",
        best=ranked[0].level,
        worst=ranked[1].level,
        missing=f"launch type of {node} ({launch_why})",
        properties=props,
    )


def ecs_task_definition(d: DeciderInput) -> Assessment | None:
    key: Key = (d.stack, d.res.logical_id)
    if key not in d.ctx.started_tasks:
        return None  # folded into its service, or never started: decided elsewhere
    compat = d.ctx.resolve(d.stack, d.res.properties.get("RequiresCompatibilities"))
    values = {str(c).upper() for c in compat} if isinstance(compat, list) else set()
    line = line_of(d.res.properties.get("RequiresCompatibilities"))
    props: dict[str, str | int | bool | None] = {
        "launch_type": "FARGATE" if values == {"FARGATE"} else None
    }
    if values == {"FARGATE"}:
        return _a(
            d,
            "serverless",
            "Fargate task started per event: nothing runs between events",
            line=line,
            properties=props,
        )
    if "EC2" in values or "EXTERNAL" in values:
        props["launch_type"] = "EC2"
        if d.profile.ecs_on_ec2 == "warn":
            return _a(
                d,
                "serverless-with-floor",
                "task started per event on EC2 capacity you keep",
                idle="ecs-on-ec2",
                line=line,
                properties=props,
                ecs_on_ec2=True,
                warning=f"{d.base['node']} runs on EC2 hosts in your account",
            )
        return _a(
            d,
            "not-serverless",
            "task started per event on EC2 capacity you run",
            idle="ecs-on-ec2",
            line=line,
            properties=props,
            ecs_on_ec2=True,
        )
    return _a(
        d,
        "indeterminate",
        "RequiresCompatibilities does not say FARGATE: launch type unknown",
        best="serverless",
        worst="serverless-with-floor" if d.profile.ecs_on_ec2 == "warn" else "not-serverless",
        missing=f"launch type of task definition {d.base['node']} (RequiresCompatibilities)",
        properties=props,
    )


# ---------------------------------------------------------------- Lambda and hosts


def lambda_function(d: DeciderInput) -> Assessment:
    if d.res.properties.get("CapacityProviderConfig") is not None:
        return _a(
            d,
            "serverless-with-floor",
            "Lambda Managed Instances: functions run on EC2 instances billed while they exist",
            idle="instance",
            line=line_of(d.res.properties.get("CapacityProviderConfig")),
        )
    return _a(d, "serverless", "Lambda: billed per request and duration, nothing while idle")


def lambda_provisioned_concurrency(d: DeciderInput) -> Assessment | None:
    config = d.res.properties.get("ProvisionedConcurrencyConfig")
    if not isinstance(config, Mapping):
        return None
    count = _int(d.ctx.resolve(d.stack, config.get("ProvisionedConcurrentExecutions")))
    if count is None or count <= 0:
        return None
    return _a(
        d,
        "serverless-with-floor",
        f"{count} provisioned concurrent executions are billed every hour, used or not",
        idle="provisioned-concurrency",
        line=line_of(config),
        properties={"provisioned_concurrency": count},
    )


def autoscaling_group(d: DeciderInput) -> Assessment | None:
    size = d.ctx.text(d.stack, d.res.properties.get("MinSize"))
    if d.ctx.role_overrides.get((d.stack, d.res.logical_id)) == "capacity":
        # ECS capacity is judged through the services that run on it: accepted when some
        # service on EC2 capacity is (autoscaled, fed by events, ecs_on_ec2: warn).
        if _accepted_ecs_on_ec2(d):
            return None
        return _a(
            d,
            "not-serverless",
            f"EC2 instances that run ECS tasks: servers you run (MinSize {size}), and no "
            "autoscaled, event-fed ECS service on them is accepted by this definition",
            idle="ecs-on-ec2",
            ecs_on_ec2=True,
        )
    return _a(
        d,
        "not-serverless",
        f"EC2 auto scaling group: servers you run (MinSize {size})",
        idle="instance",
    )


def _accepted_ecs_on_ec2(d: DeciderInput) -> bool:
    if d.profile.ecs_on_ec2 != "warn":
        return False
    for stack, svc in d.ctx.resources("AWS::ECS::Service"):
        node = d.ctx.node_id(stack, svc.logical_id)
        base = {**d.base, "stack": stack, "logical_id": svc.logical_id, "node": node}
        a = ecs_service(DeciderInput(d.ctx, d.topology, d.profile, stack, svc, base))
        if a.ecs_on_ec2 and a.level == "serverless-with-floor":
            return True
    return False


def ecs_capacity_provider(d: DeciderInput) -> Assessment | None:
    return None  # judged through the services that use it


def eks_cluster(d: DeciderInput) -> Assessment:
    me = d.res.logical_id

    def uses(rtype: str) -> bool:
        return any(
            any(r.logical_id == me for r in d.ctx.refs(s, res.properties.get("ClusterName")))
            for s, res in d.ctx.resources(rtype)
        )

    compute = d.ctx.resolve(d.stack, d.res.properties.get("ComputeConfig"))
    if isinstance(compute, Mapping) and str(compute.get("Enabled")).lower() == "true":
        return _a(
            d,
            "not-serverless",
            "EKS Auto Mode: EC2 managed instances in your account",
            idle="instance",
        )
    if uses("AWS::EKS::Nodegroup"):
        return _a(d, "not-serverless", "EKS with node groups: EC2 servers you run", idle="instance")
    if uses("AWS::EKS::FargateProfile"):
        return _a(
            d,
            "serverless-with-floor",
            "EKS pods only on Fargate profiles, but the control plane is billed hourly",
            idle="managed-floor",
        )
    return _a(
        d, "serverless-with-floor", "EKS control plane is billed hourly", idle="managed-floor"
    )


def batch_compute_environment(d: DeciderInput) -> Assessment:
    resources = d.res.properties.get("ComputeResources")
    kind = _text(d, resources.get("Type")) if isinstance(resources, Mapping) else None
    if kind is None and not isinstance(resources, Mapping):
        return _a(
            d,
            "not-serverless",
            "unmanaged Batch compute environment: instances you run",
            idle="instance",
        )
    if kind is None:
        return _a(
            d,
            "indeterminate",
            "ComputeResources.Type is unknown",
            best="serverless",
            worst="not-serverless",
            missing=f"ComputeResources.Type of {d.res.logical_id}",
        )
    if kind.upper().startswith("FARGATE"):
        return _a(d, "serverless", f"Batch on {kind}: billed per job")
    return _a(d, "not-serverless", f"Batch on {kind} instances: hosts you run", idle="instance")


DECIDERS: dict[str, Decider] = {
    "ecs-service": ecs_service,
    "ecs-task-definition": ecs_task_definition,
    "lambda-function": lambda_function,
    "lambda-provisioned-concurrency": lambda_provisioned_concurrency,
    "autoscaling-group": autoscaling_group,
    "ecs-capacity-provider": ecs_capacity_provider,
    "eks-cluster": eks_cluster,
    "batch-compute-environment": batch_compute_environment,
}

__all__ = ["DECIDERS", "DeciderInput", "display"]
