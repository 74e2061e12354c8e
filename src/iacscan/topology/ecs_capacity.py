"""Where container work runs: task definitions of services, and the EC2 capacity behind ECS
clusters and self-managed EKS worker groups.

Computed once from the stacks, before any extractor runs; the extractors draw nodes with it and
classification decides launch types and floors with it (through ``TopologyFacts``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from iacscan.model import Resource
from iacscan.topology.stack_index import Key, StackIndex
from iacscan.walk import walk


@dataclass(frozen=True, slots=True)
class EcsCapacity:
    # Task definition -> the services that run it.
    services_of_task: Mapping[Key, tuple[Key, ...]]
    # Auto scaling groups that are ECS capacity (capacity provider or instances joining a
    # cluster): capacity, not a fleet of their own.
    capacity_groups: frozenset[Key]
    # Classic ECS capacity: cluster -> the auto scaling groups whose instances join it.
    cluster_instances: Mapping[Key, tuple[Key, ...]]
    # Self-managed EKS worker nodes: auto scaling groups tagged ``kubernetes.io/cluster/NAME`` or
    # whose instances run the EKS bootstrap (``/etc/eks/bootstrap.sh``, ``nodeadm``): capacity
    # for pods the template does not define. Value: the cluster's name as written.
    eks_workers: Mapping[Key, str] = field(default_factory=dict)


def find_ecs_capacity(index: StackIndex) -> EcsCapacity:
    services: dict[Key, list[Key]] = defaultdict(list)
    for stack, svc in index.resources("AWS::ECS::Service"):
        for ref in index.refs(stack, svc.properties.get("TaskDefinition")):
            services[(ref.stack, ref.logical_id)].append((stack, svc.logical_id))
    capacity: set[Key] = set()
    for stack, cp in index.resources("AWS::ECS::CapacityProvider"):
        asg = cp.properties.get("AutoScalingGroupProvider")
        value = asg.get("AutoScalingGroupArn") if isinstance(asg, Mapping) else None
        for ref in index.refs(stack, value):
            capacity.add((ref.stack, ref.logical_id))
    instances: dict[Key, list[Key]] = defaultdict(list)
    eks: dict[Key, str] = {}
    for stack, asg in index.resources("AWS::AutoScaling::AutoScalingGroup"):
        cluster = _joined_ecs_cluster(index, stack, asg)
        if cluster is not None:
            capacity.add((stack, asg.logical_id))
            instances[cluster].append((stack, asg.logical_id))
        elif _ecs_config_written(index, stack, asg):
            capacity.add((stack, asg.logical_id))  # joins a cluster outside the scan
        elif (name := _eks_cluster_name(index, stack, asg)) is not None:
            eks[(stack, asg.logical_id)] = name
    return EcsCapacity(
        services_of_task={k: tuple(v) for k, v in services.items()},
        capacity_groups=frozenset(capacity),
        cluster_instances={k: tuple(v) for k, v in instances.items()},
        eks_workers=eks,
    )


EKS_TAG = "kubernetes.io/cluster/"
EKS_BOOTSTRAP = ("/etc/eks/bootstrap.sh", "nodeadm")


def _strings(value: Any) -> list[str]:
    return [v for v in walk(value, limit=10_000) if isinstance(v, str)]


def _eks_cluster_name(index: StackIndex, stack: str, asg: Resource) -> str | None:
    """The EKS cluster a self-managed worker group joins (its name as written, "" when only the
    bootstrap shows it), or None when the group is no EKS capacity."""
    sources = [asg.properties.get("Tags")]
    for ref in index.refs(stack, _launch_refs(asg)):
        config = index.resource((ref.stack, ref.logical_id))
        if config is not None:
            sources.append(config.properties)
    for text in _strings(sources):
        if EKS_TAG in text:
            return text.split(EKS_TAG, 1)[1].strip()
    if any(mark in text for text in _strings(sources) for mark in EKS_BOOTSTRAP):
        return ""
    return None


def _launch_refs(asg: Resource) -> list[Any]:
    props = asg.properties
    launch = [props.get("LaunchConfigurationName")]
    mixed = _get(props.get("MixedInstancesPolicy"), "LaunchTemplate")
    for template in (props.get("LaunchTemplate"), _get(mixed, "LaunchTemplateSpecification")):
        if isinstance(template, Mapping):
            launch += [template.get("LaunchTemplateId"), template.get("LaunchTemplateName")]
    return launch


def _get(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, Mapping) else None


def _ecs_config_written(index: StackIndex, stack: str, asg: Resource) -> bool:
    """The instances write ``ECS_CLUSTER=`` (user data or cfn-init): ECS container instances,
    even when the cluster they join is not in scope."""
    sources: list[Any] = [(asg.metadata or {}).get("AWS::CloudFormation::Init")]
    for ref in index.refs(stack, _launch_refs(asg)):
        config = index.resource((ref.stack, ref.logical_id))
        if config is not None:
            data = config.properties.get("LaunchTemplateData", config.properties)
            sources.append(data.get("UserData") if isinstance(data, Mapping) else None)
            sources.append((config.metadata or {}).get("AWS::CloudFormation::Init"))
    return any("ECS_CLUSTER=" in text for text in _strings(sources))


def _joined_ecs_cluster(index: StackIndex, stack: str, asg: Resource) -> Key | None:
    """Classic ECS capacity: the instances' user data registers them with a cluster, or the
    launch configuration's cfn-init commands write ``ECS_CLUSTER=...`` to ``/etc/ecs/ecs.config``."""
    for ref in index.refs(stack, _launch_refs(asg)):
        config = index.resource((ref.stack, ref.logical_id))
        if config is None:
            continue
        data = config.properties.get("LaunchTemplateData", config.properties)
        user_data = data.get("UserData") if isinstance(data, Mapping) else None
        init = [
            (r.metadata or {}).get("AWS::CloudFormation::Init") for r in (config, asg)
        ]  # cfn-init reads the metadata of the resource its --resource names: either
        init_joins = [
            v
            for v in walk(init, limit=10_000)
            if isinstance(v, Mapping) and "ECS_CLUSTER" in str(v.get("Fn::Sub", ""))
        ]
        for inner in index.refs(ref.stack, [user_data, init_joins]):
            target = index.resource((inner.stack, inner.logical_id))
            if target is not None and target.type == "AWS::ECS::Cluster":
                return (inner.stack, inner.logical_id)
    return None
