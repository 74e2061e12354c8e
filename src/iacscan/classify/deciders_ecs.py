"""ECS deciders: launch type through capacity providers, cluster defaults and classic
cluster instances; floor through Application Auto Scaling; tasks started per event."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from iacscan.classify.assess import Assessment
from iacscan.classify.decider_base import DeciderInput, as_int, assessed, known_text
from iacscan.model import Topology, line_of
from iacscan.resolve import has_tokens, has_unknown, ref_token
from iacscan.topology.result import Key, StackView, TaskLaunch


def capacity_kind(ctx: StackView, stack: str, strategy: Any) -> str | None:
    """FARGATE, EC2, or None (unknown) for a capacity provider strategy."""
    kinds = set()
    items = ctx.resolve(stack, strategy)
    if not isinstance(items, list) or not items:
        return None
    for item in items:
        provider = item.get("CapacityProvider") if isinstance(item, Mapping) else None
        refs = list(ctx.refs(stack, provider)) if provider is not None else []
        if refs:
            cp = ctx.resource((refs[0].stack, refs[0].logical_id))
            if cp is not None and cp.type == "AWS::ECS::CapacityProvider":
                kinds.add("EC2")
                continue
        name = str(provider) if isinstance(provider, str) and not has_tokens(provider) else None
        if name in ("FARGATE", "FARGATE_SPOT"):
            kinds.add("FARGATE")
        elif name is not None:
            found = [
                r
                for s, r in ctx.resources("AWS::ECS::CapacityProvider")
                if ctx.text(s, r.properties.get("Name")) == name
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
        lt = known_text(d, props["LaunchType"])
        if lt is None:
            return (
                None,
                f"LaunchType is {d.ctx.text(d.stack, props['LaunchType'])}",
                line_of(props["LaunchType"]),
                False,
            )
        return lt.upper(), f"LaunchType {lt}", line_of(props["LaunchType"]), False
    if "CapacityProviderStrategy" in props:
        kind = capacity_kind(d.ctx, d.stack, props["CapacityProviderStrategy"])
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
            kind = capacity_kind(
                d.ctx, ref.stack, cluster.properties["DefaultCapacityProviderStrategy"]
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
                kind = capacity_kind(
                    d.ctx, s, assoc.properties.get("DefaultCapacityProviderStrategy")
                )
                return (
                    kind,
                    f"{assoc.logical_id}'s default capacity provider strategy",
                    assoc.line,
                    False,
                )
    for ref in cluster_refs:
        instances = d.facts.ecs.cluster_instances.get((ref.stack, ref.logical_id))
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
    ids = _resource_ids(d)
    for stack, target in d.ctx.resources("AWS::ApplicationAutoScaling::ScalableTarget"):
        if not _names_me(d, ids, stack, target.properties.get("ResourceId")):
            continue
        policies = [
            p
            for s, p in d.ctx.resources("AWS::ApplicationAutoScaling::ScalingPolicy")
            if any(
                r.logical_id == target.logical_id
                for r in d.ctx.refs(s, p.properties.get("ScalingTargetId"))
            )
            or _names_me(d, ids, s, p.properties.get("ResourceId"))
        ]
        low = as_int(d.ctx.resolve(stack, target.properties.get("MinCapacity")))
        high = as_int(d.ctx.resolve(stack, target.properties.get("MaxCapacity")))
        if policies:
            return (
                True,
                low,
                high,
                f"ScalableTarget {target.logical_id} MinCapacity {low} MaxCapacity {high}, ScalingPolicy {policies[0].logical_id}",
            )
        return False, low, high, f"ScalableTarget {target.logical_id} without a ScalingPolicy"
    return False, None, None, "no ScalableTarget with a ScalingPolicy"


def _names_me(d: DeciderInput, ids: frozenset[str], stack: str, resource_id: Any) -> bool:
    """A ScalableTarget's (or ScalingPolicy's) ResourceId names this service: by reference
    (``!Ref Service``, ``!GetAtt Service.Name``), or as the text ``service/CLUSTER/NAME`` built
    from the same cluster and service name (``!Sub service/${Cluster}/${AWS::StackName}-worker``
    beside ``ServiceName: !Sub ${AWS::StackName}-worker``)."""
    if resource_id is None:
        return False
    me = d.res.logical_id
    if any(r.logical_id == me for r in d.ctx.refs(stack, resource_id)):
        return True
    if not ids:
        return False
    text = d.ctx.resolve(stack, resource_id)
    if not isinstance(text, str) or text not in ids:
        return False
    # An unknown part (a parameter without default) is the same value only in the same stack.
    return stack == d.stack or not has_unknown(text)


def _resource_ids(d: DeciderInput) -> frozenset[str]:
    """The Application Auto Scaling ResourceId texts that name this service by its name."""
    name = d.ctx.resolve(d.stack, d.res.properties.get("ServiceName"))
    if not isinstance(name, str) or not name:
        return frozenset()  # no name given: CloudFormation makes one up, only a reference names it
    raw = d.res.properties.get("Cluster")
    clusters: set[str] = set()
    if raw is None:
        clusters.add("default")
    else:
        cluster = d.ctx.resolve(d.stack, raw)
        if isinstance(cluster, str):
            clusters.add(cluster)
        for ref in d.ctx.refs(d.stack, raw):
            res = d.ctx.resource((ref.stack, ref.logical_id))
            if res is None or res.type != "AWS::ECS::Cluster":
                continue
            clusters.add(ref_token(ref.stack, ref.logical_id, "Ref"))
            literal = d.ctx.resolve(ref.stack, res.properties.get("ClusterName"))
            if isinstance(literal, str) and not has_tokens(literal):
                clusters.add(literal)
    for cluster in list(clusters):
        if cluster.startswith("arn:") and ":cluster/" in cluster:
            clusters.add(cluster.split(":cluster/", 1)[1])  # a cluster ARN ends with its name
    return frozenset(f"service/{cluster}/{name}" for cluster in clusters)


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
        floor = 1 if raw is None else as_int(d.ctx.resolve(d.stack, raw))
        floor_default = raw is None
        if raw is None:
            floor_why = "DesiredCount absent: CloudFormation starts 1 task"
        elif floor is None:
            floor_why = f"DesiredCount {d.ctx.text(d.stack, raw)}"
        else:
            floor_why = f"DesiredCount {floor}"
    props: dict[str, str | int | bool | None] = {
        "launch_type": launch,
        "floor": floor,
        "autoscaled": autoscaled,
        "max": high,
    }
    node = str(d.base["node"])

    def level_for(kind: str) -> Assessment:
        if kind == "FARGATE":
            if floor == 0:
                return assessed(
                    d,
                    "serverless",
                    f"Fargate service that scales to zero ({floor_why})",
                    properties=props,
                )
            if autoscaled:
                return assessed(
                    d,
                    "serverless-with-floor",
                    f"Fargate service keeps {floor} task(s) running and autoscales ({floor_why})",
                    idle="container-floor",
                    properties=props,
                )
            return assessed(
                d,
                "not-serverless",
                f"fixed fleet: {floor_why} and no ScalingPolicy ({launch_why})",
                idle="container-floor",
                default=floor_default,
                properties=props,
            )
        # EC2 capacity in your account
        if d.profile.ecs_on_ec2 == "warn" and autoscaled and _incoming(d, node):
            return assessed(
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
        return assessed(
            d,
            "not-serverless",
            why,
            idle="ecs-on-ec2" if autoscaled else "instance",
            properties=props,
            ecs_on_ec2=True,
        )

    if not autoscaled and floor != 0 and launch is None:
        # A fixed fleet is decided before the launch type: tasks that always run are paid for
        # on Fargate and on EC2 alike, so an unknown launch type cannot lift it.
        return assessed(
            d,
            "not-serverless",
            f"fixed fleet: {floor_why} and no ScalingPolicy, whatever the launch type "
            f"({launch_why})",
            idle="container-floor",
            default=floor_default,
            properties=props,
        )
    if launch in ("FARGATE", "EC2"):
        return replace(level_for(launch), line=launch_line or d.res.line)
    if launch == "EXTERNAL":
        return assessed(
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
    return assessed(
        d,
        "indeterminate",
        f"launch type unknown: {launch_why}",
        best=ranked[0].level,
        worst=ranked[1].level,
        missing=f"launch type of {node} ({launch_why})",
        properties=props,
    )


def unrecorded_starters(topology: Topology, node: str, launches: Sequence[TaskLaunch]) -> list[str]:
    """The nodes that start a task definition (``invokes``/``triggers`` edges into it) with no
    launch recorded: what they ask for is not known."""
    recorded = {launch.starter for launch in launches}
    return sorted(
        {
            e.source
            for e in topology.edges
            if e.target == node and e.kind in ("invokes", "triggers") and e.source not in recorded
        }
    )


def starter_launch(ctx: StackView, launch: TaskLaunch) -> str | None:
    """FARGATE, EC2 or None (unknown) for how one starter runs a task: its LaunchType, else its
    capacity provider strategy; None when it gives neither (a function's code decides, or the
    cluster's default strategy does)."""
    if launch.launch_type is not None:
        value = ctx.resolve(launch.stack, launch.launch_type)
        if not isinstance(value, str) or has_tokens(value):
            return None
        value = value.upper()
        return "FARGATE" if value == "FARGATE" else "EC2" if value in ("EC2", "EXTERNAL") else None
    if launch.strategy is not None:
        return capacity_kind(ctx, launch.stack, launch.strategy)
    return None


def ecs_task_definition(d: DeciderInput) -> Assessment | None:
    key: Key = (d.stack, d.res.logical_id)
    if key not in d.facts.started_tasks:
        return None  # folded into its service, or never started: decided elsewhere
    compat = d.ctx.resolve(d.stack, d.res.properties.get("RequiresCompatibilities"))
    values = {str(c).upper() for c in compat} if isinstance(compat, list) else set()
    line = line_of(d.res.properties.get("RequiresCompatibilities"))
    props: dict[str, str | int | bool | None] = {
        "launch_type": "FARGATE" if values == {"FARGATE"} else None
    }
    if values == {"FARGATE"}:
        return assessed(
            d,
            "serverless",
            "Fargate task started per event: nothing runs between events",
            line=line,
            properties=props,
        )
    # The starters' RunTask parameters decide where a task that may run either way runs; a
    # starter that said nothing the scan could read (a function's code, a state machine's
    # task definition chosen at run time) leaves it unknown.
    starters = d.facts.task_launches.get(key, ())
    said: list[tuple[TaskLaunch | None, str | None]] = [
        (launch, starter_launch(d.ctx, launch)) for launch in starters
    ]
    said += [(None, None)] * len(unrecorded_starters(d.topology, d.base["node"], starters))
    on_ec2 = [launch for launch, kind in said if kind == "EC2" and launch is not None]
    fargate_ok = not values or "FARGATE" in values
    if said and fargate_ok and all(kind == "FARGATE" for _, kind in said):
        first = said[0][0]
        assert first is not None  # a FARGATE answer comes from a recorded launch
        props["launch_type"] = "FARGATE"
        return replace(
            assessed(
                d,
                "serverless",
                f"Fargate task started per event ({first.what} asks for FARGATE): nothing runs "
                "between events",
                properties=props,
            ),
            file=first.file,
            line=first.line,
        )
    ec2_only = bool(values & {"EC2", "EXTERNAL"}) and "FARGATE" not in values
    if on_ec2 or ec2_only:
        props["launch_type"] = "EC2"
        where = f" ({on_ec2[0].what} asks for EC2)" if on_ec2 else ""
        if d.profile.ecs_on_ec2 == "warn":
            result = assessed(
                d,
                "serverless-with-floor",
                f"task started per event on EC2 capacity you keep{where}",
                idle="ecs-on-ec2",
                line=line,
                properties=props,
                ecs_on_ec2=True,
                warning=f"{d.base['node']} runs on EC2 hosts in your account",
            )
        else:
            result = assessed(
                d,
                "not-serverless",
                f"task started per event on EC2 capacity you run{where}",
                idle="ecs-on-ec2",
                line=line,
                properties=props,
                ecs_on_ec2=True,
            )
        if on_ec2:  # the evidence is where the starter asks for EC2
            return replace(result, file=on_ec2[0].file, line=on_ec2[0].line)
        return result
    if values:
        why = (
            f"RequiresCompatibilities allows {' and '.join(sorted(values))}, and not every "
            "starter says which: launch type unknown"
        )
    else:
        why = "RequiresCompatibilities does not say FARGATE: launch type unknown"
    return assessed(
        d,
        "indeterminate",
        why,
        best="serverless",
        worst="serverless-with-floor" if d.profile.ecs_on_ec2 == "warn" else "not-serverless",
        missing=f"launch type of task definition {d.base['node']} (RequiresCompatibilities, "
        "or LaunchType where it is started)",
        properties=props,
    )
