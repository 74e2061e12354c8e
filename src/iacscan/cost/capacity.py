"""Prices by the hour for what runs: ECS tasks (Fargate, or the EC2 instances they need) and
EC2 instances."""

from __future__ import annotations

import math
from collections.abc import Mapping

from iacscan.cost.engine import HOURS_PER_MONTH, Run
from iacscan.cost.facts import cpu_units, logical_id, memory_mib
from iacscan.cost.propagate import Rates
from iacscan.cost.sfn import Count
from iacscan.model import Node, Resource


def _task_size(
    run: Run, stack: str, td: Resource | None, subject: str
) -> tuple[float, float, bool]:
    """(vCPU, GB, arm64) of a task definition; task-level Cpu/Memory, else the containers' sum."""
    cpu = cpu_units(run.facts.value(stack, td, "Cpu") if td else None)
    mem = memory_mib(run.facts.value(stack, td, "Memory") if td else None)
    if td is not None and (cpu is None or mem is None):
        containers = run.facts.value(stack, td, "ContainerDefinitions")
        if isinstance(containers, list):
            cpu = (
                cpu
                or sum(float(c.get("Cpu") or 0) for c in containers if isinstance(c, Mapping))
                or None
            )
            mem = (
                mem
                or sum(
                    float(c.get("Memory") or c.get("MemoryReservation") or 0)
                    for c in containers
                    if isinstance(c, Mapping)
                )
                or None
            )
    if cpu is None:
        cpu = 256.0
        run.ledger.assume(
            subject, "task vCPU", 0.25, "default: Cpu not readable, Fargate's smallest", True
        )
    if mem is None:
        mem = 512.0
        run.ledger.assume(
            subject, "task memory GB", 0.5, "default: Memory not readable, Fargate's smallest", True
        )
    platform = run.facts.text(stack, td, "RuntimePlatform", "CpuArchitecture") if td else None
    return cpu / 1024.0, mem / 1024.0, (platform or "").upper() == "ARM64"


def _fargate(
    run: Run, subject: str, tasks_running: float, size: tuple[float, float, bool], what: str
) -> None:
    vcpu, gb, arm = size
    arch = "arm64" if arm else "x86_64"
    hours = tasks_running * HOURS_PER_MONTH
    run.add(
        subject,
        f"Fargate vCPU-hours ({what}, {vcpu:g} vCPU)",
        0.0,
        f"fargate.vcpu_hour.{arch}",
        per_month=hours * vcpu,
    )
    run.add(
        subject,
        f"Fargate GB-hours ({what}, {gb:g} GB)",
        0.0,
        f"fargate.gb_hour.{arch}",
        per_month=hours * gb,
    )


def task_definition(run: Run, n: Node, rates: Rates, counts: Mapping[str, Count]) -> None:
    """A task started per event: its running time per start."""
    res = run.facts.resource(n)
    size = _task_size(run, n.stack, res, n.id)
    seconds = max(60.0, run.fact(n.id, "run_seconds"))
    rate = rates.node.get(n.id, 0.0)
    launch = str(n.properties.get("launch_type") or "FARGATE").upper()
    if launch != "FARGATE":
        run.ledger.warn(
            f"{n.id}: tasks started on {launch} capacity are priced on its instances only"
        )
        return
    _fargate(run, n.id, rate * seconds, size, f"{seconds:g} s per start")


def service_tasks(run: Run, n: Node, rates: Rates) -> tuple[float, Resource | None, str]:
    """Tasks a service runs at this load: the load's need within its floor and maximum."""
    res = run.facts.resource(n)
    td_ref = next(iter(run.facts.refs(n.stack, res, "TaskDefinition")), None)
    td = run.facts.resource_at(td_ref) if td_ref else None
    stack = td_ref.stack if td_ref else n.stack
    floor = n.properties.get("floor")
    floor_n = float(floor) if isinstance(floor, int) and not isinstance(floor, bool) else 1.0
    high = n.properties.get("max")
    autoscaled = n.properties.get("autoscaled") is True
    rate = rates.node.get(n.id, 0.0)
    busy = run.fact(n.id, "seconds_per_event")
    per_task = run.fact(n.id, "events_per_task")
    if not autoscaled:
        need = math.ceil(rate * busy / per_task - 1e-9)
        if need > floor_n:
            run.ledger.warn(
                f"{n.id}: a fixed fleet of {floor_n:g} task(s) but the load needs {need}: priced "
                "at the fleet (it falls behind)"
            )
        return floor_n, td, stack
    target = run.fact(n.id, "target_utilisation")
    need = math.ceil(rate * busy / per_task / max(target, 1e-9) - 1e-9)
    tasks = max(floor_n, float(need))
    if isinstance(high, int) and not isinstance(high, bool) and tasks > high:
        run.ledger.warn(
            f"{n.id}: the load needs {tasks:g} tasks but MaxCapacity is {high}: priced at what "
            "the load needs (with the template's maximum it falls behind)"
        )
    return tasks, td, stack


def service(run: Run, n: Node, rates: Rates, counts: Mapping[str, Count]) -> None:
    tasks, td, stack = service_tasks(run, n, rates)
    launch = str(n.properties.get("launch_type") or "").upper()
    if launch in ("FARGATE", "FARGATE_SPOT"):
        _fargate(run, n.id, tasks, _task_size(run, stack, td, n.id), f"{tasks:g} task(s)")
        if launch == "FARGATE_SPOT":
            run.ledger.warn(f"{n.id}: Fargate Spot priced at on-demand rates (an upper bound)")
    elif launch != "EC2":
        run.ledger.warn(f"{n.id}: launch type unknown; its tasks are not priced")


def _instance_price(run: Run, itype: str | None, subject: str) -> tuple[str | None, float, float]:
    if itype is None:
        run.ledger.warn(f"{subject}: instance type not readable; not priced")
        return None, 0.0, 0.0
    row = run.table.get(f"ec2.{itype}")
    if row is None:
        run.ledger.warn(f"{subject}: no price for instance type {itype}; not priced")
        return None, 0.0, 0.0
    return row.key, row.vcpu or 0.0, row.memory_gb or 0.0


def _asg_instance_type(run: Run, n: Node, res: Resource | None) -> str | None:
    f = run.facts
    for path in (
        ("LaunchTemplate", "LaunchTemplateId"),
        ("LaunchTemplate", "LaunchTemplateName"),
        (
            "MixedInstancesPolicy",
            "LaunchTemplate",
            "LaunchTemplateSpecification",
            "LaunchTemplateId",
        ),
    ):
        for ref in f.refs(n.stack, res, *path):
            lt = f.resource_at(ref)
            itype = f.text(ref.stack, lt, "LaunchTemplateData", "InstanceType")
            if itype:
                return itype
    for ref in f.refs(n.stack, res, "LaunchConfigurationName"):
        itype = f.text(ref.stack, f.resource_at(ref), "InstanceType")
        if itype:
            return itype
    overrides = f.value(n.stack, res, "MixedInstancesPolicy", "LaunchTemplate", "Overrides")
    if isinstance(overrides, list) and overrides and isinstance(overrides[0], Mapping):
        itype = overrides[0].get("InstanceType")
        return itype if isinstance(itype, str) else None
    return None


def _services_on(run: Run, asg: Node) -> list[Node]:
    """ECS services on EC2 capacity that this group runs: the topology's capacity links
    (``runs_on``: capacity providers, instances joining the cluster by ECS_CLUSTER, cfn-init or
    a launch template), not a second reading of the stacks."""
    return [
        n
        for n in run.facts.nodes.values()
        if n.type == "AWS::ECS::Service"
        and asg.id in str(n.properties.get("runs_on") or "").split(", ")
    ]


def auto_scaling_group(run: Run, n: Node, rates: Rates, counts: Mapping[str, Count]) -> None:
    f = run.facts
    res = f.resource(n)
    key, vcpu, mem = _instance_price(run, _asg_instance_type(run, n, res), n.id)
    if key is None:
        return
    low = f.number(n.stack, res, "MinSize") or 0.0
    high = f.number(n.stack, res, "MaxSize")
    instances = max(low, f.number(n.stack, res, "DesiredCapacity") or 0.0)
    services = _services_on(run, n)
    if services:
        needed = 0.0
        target = 100.0
        for s in services:
            tasks, td, stack = service_tasks(run, s, rates)
            t_vcpu, t_gb, _ = _task_size(run, stack, td, s.id)
            per_instance = max(
                1, min(int(vcpu // t_vcpu) if t_vcpu else 1, int(mem // t_gb) if t_gb else 1)
            )
            run.ledger.assume(
                n.id,
                f"tasks of {s.id} per instance",
                float(per_instance),
                "default: the instance's vCPUs and memory over the task's, all of it for tasks",
                True,
            )
            needed += tasks / per_instance
        for t in f.templates.values():
            for r in t.resources.values():
                if r.type == "AWS::ECS::CapacityProvider" and any(
                    (x.stack, x.logical_id) == (n.stack, logical_id(n))
                    for x in f.refs(t.stack, r, "AutoScalingGroupProvider", "AutoScalingGroupArn")
                ):
                    target = (
                        f.number(
                            t.stack,
                            r,
                            "AutoScalingGroupProvider",
                            "ManagedScaling",
                            "TargetCapacity",
                        )
                        or 100.0
                    )
        instances = max(low, float(math.ceil(math.ceil(needed - 1e-9) / (target / 100.0) - 1e-9)))
        if high is not None and instances > high:
            run.ledger.warn(
                f"{n.id}: the load needs {instances:g} instances but MaxSize is {high:g}: priced "
                "at what the load needs"
            )
    else:
        instances = run.template_or_default(
            n.id, "instances", instances or None, 1.0, "MinSize unknown: 1 instance"
        )
    itype = key.removeprefix("ec2.")
    run.add(
        n.id,
        f"instance-hours ({instances:g} x {itype})",
        0.0,
        key,
        per_month=instances * HOURS_PER_MONTH,
    )


def instance(run: Run, n: Node, rates: Rates, counts: Mapping[str, Count]) -> None:
    res = run.facts.resource(n)
    key, _, _ = _instance_price(
        run, run.facts.text(n.stack, res, "InstanceType") or "m1.small", n.id
    )
    if key:
        run.add(
            n.id,
            f"instance-hours ({key.removeprefix('ec2.')})",
            0.0,
            key,
            per_month=HOURS_PER_MONTH,
        )


CAPACITY = {
    "AWS::ECS::TaskDefinition": task_definition,
    "AWS::ECS::Service": service,
    "AWS::AutoScaling::AutoScalingGroup": auto_scaling_group,
    "AWS::EC2::Instance": instance,
}
