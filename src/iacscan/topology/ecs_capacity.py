"""Where ECS work runs: task definitions of services, and the EC2 capacity behind clusters.

Computed once from the stacks, before any extractor runs; the extractors draw nodes with it and
classification decides launch types and floors with it (through ``TopologyFacts``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from iacscan.model import Resource
from iacscan.topology.stack_index import Key, StackIndex


@dataclass(frozen=True, slots=True)
class EcsCapacity:
    # Task definition -> the services that run it.
    services_of_task: Mapping[Key, tuple[Key, ...]]
    # Auto scaling groups that are ECS capacity (capacity provider or instances joining a
    # cluster): capacity, not a fleet of their own.
    capacity_groups: frozenset[Key]
    # Classic ECS capacity: cluster -> the auto scaling groups whose instances join it.
    cluster_instances: Mapping[Key, tuple[Key, ...]]


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
    for stack, asg in index.resources("AWS::AutoScaling::AutoScalingGroup"):
        cluster = _joined_ecs_cluster(index, stack, asg)
        if cluster is not None:
            capacity.add((stack, asg.logical_id))
            instances[cluster].append((stack, asg.logical_id))
    return EcsCapacity(
        services_of_task={k: tuple(v) for k, v in services.items()},
        capacity_groups=frozenset(capacity),
        cluster_instances={k: tuple(v) for k, v in instances.items()},
    )


def _joined_ecs_cluster(index: StackIndex, stack: str, asg: Resource) -> Key | None:
    """Classic ECS capacity: the instances' user data registers them with a cluster."""
    props = asg.properties
    launch = [props.get("LaunchConfigurationName")]
    template = props.get("LaunchTemplate")
    if isinstance(template, Mapping):
        launch += [template.get("LaunchTemplateId"), template.get("LaunchTemplateName")]
    for ref in index.refs(stack, launch):
        config = index.resource((ref.stack, ref.logical_id))
        if config is None:
            continue
        data = config.properties.get("LaunchTemplateData", config.properties)
        user_data = data.get("UserData") if isinstance(data, Mapping) else None
        for inner in index.refs(ref.stack, user_data):
            target = index.resource((inner.stack, inner.logical_id))
            if target is not None and target.type == "AWS::ECS::Cluster":
                return (inner.stack, inner.logical_id)
    return None
