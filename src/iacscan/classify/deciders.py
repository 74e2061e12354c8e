"""Deciders: the few classifications that need more than one resource's properties.

ECS services (launch type through capacity providers and cluster defaults; floor through
Application Auto Scaling), task definitions started per event, Lambda provisioned concurrency,
auto scaling groups, EKS clusters and Batch compute environments.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from iacscan.classify.assess import Assessment, evaluate_rules
from iacscan.classify.decider_base import Decider, DeciderInput, as_int, assessed, known_text
from iacscan.classify.deciders_ecs import ecs_service, ecs_task_definition
from iacscan.knowledge.resource_types import EKS_FARGATE_PROFILES, eks_cluster_name, type_info
from iacscan.model import Resource, line_of
from iacscan.resolve import display

# ---------------------------------------------------------------- Lambda and hosts


def lambda_function(d: DeciderInput) -> Assessment:
    if d.res.properties.get("CapacityProviderConfig") is not None:
        return assessed(
            d,
            "serverless-with-floor",
            "Lambda Managed Instances: functions run on EC2 instances billed while they exist",
            idle="instance",
            line=line_of(d.res.properties.get("CapacityProviderConfig")),
        )
    return assessed(d, "serverless", "Lambda: billed per request and duration, nothing while idle")


def lambda_provisioned_concurrency(d: DeciderInput) -> Assessment | None:
    config = d.res.properties.get("ProvisionedConcurrencyConfig")
    if not isinstance(config, Mapping):
        return None
    count = as_int(d.ctx.resolve(d.stack, config.get("ProvisionedConcurrentExecutions")))
    if count is None or count <= 0:
        return None
    return assessed(
        d,
        "serverless-with-floor",
        f"{count} provisioned concurrent executions are billed every hour, used or not",
        idle="provisioned-concurrency",
        line=line_of(config),
        properties={"provisioned_concurrency": count},
    )


def autoscaling_group(d: DeciderInput) -> Assessment | None:
    size = d.ctx.text(d.stack, d.res.properties.get("MinSize"))
    if (d.stack, d.res.logical_id) in d.facts.ecs.capacity_groups:
        # ECS capacity is judged through the services that run on it: accepted when some
        # service on EC2 capacity is (autoscaled, fed by events, ecs_on_ec2: warn).
        if _accepted_ecs_on_ec2(d):
            return None
        return assessed(
            d,
            "not-serverless",
            f"EC2 instances that run ECS tasks: servers you run (MinSize {size}), and no "
            "autoscaled, event-fed ECS service on them is accepted by this definition",
            idle="ecs-on-ec2",
            ecs_on_ec2=True,
        )
    if (d.stack, d.res.logical_id) in d.facts.ecs.eks_workers:
        return assessed(
            d,
            "not-serverless",
            f"self-managed EKS worker nodes: EC2 servers you run (MinSize {size})",
            idle="instance",
        )
    return assessed(
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
        a = ecs_service(DeciderInput(d.ctx, d.facts, d.topology, d.profile, stack, svc, base))
        if a.ecs_on_ec2 and a.level == "serverless-with-floor":
            return True
    return False


def eks_cluster(d: DeciderInput) -> Assessment:
    me = d.res.logical_id

    def uses(*rtypes: str) -> bool:
        return any(
            any(r.logical_id == me for r in d.ctx.refs(s, eks_cluster_name(res.properties)))
            for s, res in d.ctx.resources(*rtypes)
        )

    config = d.res.properties.get("Config")  # the CDK aws-eks custom resource's properties
    compute = d.ctx.resolve(
        d.stack,
        d.res.properties.get("ComputeConfig")
        or (config.get("computeConfig") if isinstance(config, Mapping) else None),
    )
    enabled = (
        compute.get("Enabled", compute.get("enabled")) if isinstance(compute, Mapping) else None
    )
    if str(enabled).lower() == "true":
        return assessed(
            d,
            "not-serverless",
            "EKS Auto Mode: EC2 managed instances in your account",
            idle="instance",
        )
    if uses("AWS::EKS::Nodegroup"):
        return assessed(
            d, "not-serverless", "EKS with node groups: EC2 servers you run", idle="instance"
        )
    if uses(*sorted(EKS_FARGATE_PROFILES)):
        return assessed(
            d,
            "serverless-with-floor",
            "EKS pods only on Fargate profiles, but the control plane is billed hourly",
            idle="managed-floor",
        )
    return assessed(
        d, "serverless-with-floor", "EKS control plane is billed hourly", idle="managed-floor"
    )


def batch_compute_environment(d: DeciderInput) -> Assessment:
    resources = d.res.properties.get("ComputeResources")
    kind = known_text(d, resources.get("Type")) if isinstance(resources, Mapping) else None
    if kind is None and not isinstance(resources, Mapping):
        return assessed(
            d,
            "not-serverless",
            "unmanaged Batch compute environment: instances you run",
            idle="instance",
        )
    if kind is None:
        return assessed(
            d,
            "indeterminate",
            "ComputeResources.Type is unknown",
            best="serverless",
            worst="not-serverless",
            missing=f"ComputeResources.Type of {d.res.logical_id}",
        )
    if kind.upper().startswith("FARGATE"):
        return assessed(d, "serverless", f"Batch on {kind}: billed per job")
    return assessed(
        d, "not-serverless", f"Batch on {kind} instances: hosts you run", idle="instance"
    )


_ENDPOINT_CONFIG = "AWS::SageMaker::EndpointConfig"


def _endpoint_config(d: DeciderInput, stack: str, value: Any) -> tuple[str, Resource] | None:
    """The endpoint config an endpoint's ``EndpointConfigName`` names: by reference, else by
    the literal name a config in scope is given."""
    for ref in d.ctx.refs(stack, value):
        config = d.ctx.resource((ref.stack, ref.logical_id))
        if config is not None and config.type == _ENDPOINT_CONFIG:
            return ref.stack, config
    name = d.ctx.resolve(stack, value)
    if not isinstance(name, str) or not name:
        return None
    for config_stack, config in d.ctx.resources(_ENDPOINT_CONFIG):
        if d.ctx.resolve(config_stack, config.properties.get("EndpointConfigName")) == name:
            return config_stack, config
    return None


def sagemaker_endpoint(d: DeciderInput) -> Assessment:
    """An endpoint costs what its endpoint config's variants cost (instances billed hourly,
    serverless inference per request)."""
    found = _endpoint_config(d, d.stack, d.res.properties.get("EndpointConfigName"))
    if found is not None:
        config_stack, config = found
        template = d.ctx.templates.get(config_stack)
        base = {**d.base, "file": template.file if template is not None else d.base["file"]}
        rated = evaluate_rules(
            type_info(config.type), config, lambda v, s=config_stack: d.ctx.resolve(s, v), base
        )
        why = f"endpoint config {config.logical_id}: {rated.why}"
        return replace(rated, type=d.res.type, why=why)
    name = display(d.ctx.resolve(d.stack, d.res.properties.get("EndpointConfigName")))
    return assessed(
        d,
        "indeterminate",
        f"its endpoint config ({name}) is not in scope: instance variants are billed every hour, "
        "serverless ones per request",
        best="serverless",
        worst="not-serverless",
        missing=f"the endpoint config of {d.res.logical_id} ({name})",
    )


def sagemaker_endpoint_config(d: DeciderInput) -> Assessment | None:
    """A config an endpoint in scope uses is judged through that endpoint. One no endpoint in
    scope uses runs nothing by itself, but an endpoint made from it elsewhere (another stack, a
    pipeline's CreateEndpoint) costs what its variants cost: undecided unless it is serverless
    either way."""
    me = (d.stack, d.res.logical_id)
    for stack, endpoint in d.ctx.resources("AWS::SageMaker::Endpoint"):
        found = _endpoint_config(d, stack, endpoint.properties.get("EndpointConfigName"))
        if found is not None and (found[0], found[1].logical_id) == me:
            return None
    rated = evaluate_rules(
        type_info(d.res.type), d.res, lambda v: d.ctx.resolve(d.stack, v), d.base
    )
    if rated.level == "serverless":
        return None
    return replace(
        rated,
        level="indeterminate",
        idle_kind=None,
        why=f"no endpoint in scope uses it; one made from it elsewhere: {rated.why}",
        best="serverless",
        worst=rated.level if rated.level != "indeterminate" else rated.worst,
        missing=f"the endpoint that uses {d.res.logical_id}, if any (none in scope)",
    )


DECIDERS: dict[str, Decider] = {
    "ecs-service": ecs_service,
    "ecs-task-definition": ecs_task_definition,
    "lambda-function": lambda_function,
    "lambda-provisioned-concurrency": lambda_provisioned_concurrency,
    "autoscaling-group": autoscaling_group,
    "eks-cluster": eks_cluster,
    "batch-compute-environment": batch_compute_environment,
    "sagemaker-endpoint": sagemaker_endpoint,
    "sagemaker-endpoint-config": sagemaker_endpoint_config,
}

__all__ = ["DECIDERS", "DeciderInput", "display"]
