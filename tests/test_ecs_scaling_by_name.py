"""A ScalableTarget names its ECS service by text (``service/CLUSTER/NAME``) as often as by
reference: the floor comes from it either way, and a fixed fleet is never invented."""

from __future__ import annotations

from pathlib import Path

import pytest

from scan_helpers import scan

SERVICE = """
Parameters:
  ClusterName: {Type: String, Default: jobs}
Resources:
  Jobs: {Type: AWS::SQS::Queue}
  Cluster:
    Type: AWS::ECS::Cluster
    Properties: {ClusterName: !Ref ClusterName}
  Other:
    Type: AWS::ECS::Cluster
    Properties: {ClusterName: other}
  Task:
    Type: AWS::ECS::TaskDefinition
    Properties:
      RequiresCompatibilities: [FARGATE]
      NetworkMode: awsvpc
      Cpu: "256"
      Memory: "512"
      ContainerDefinitions: [{Name: w, Image: "w:1"}]
  Worker:
    Type: AWS::ECS::Service
    Properties:
      ServiceName: !Sub "${AWS::StackName}-worker"
      Cluster: CLUSTER
      LaunchType: FARGATE
      DesiredCount: 1
      TaskDefinition: !Ref Task
  WorkerScaling:
    Type: AWS::ApplicationAutoScaling::ScalableTarget
    Properties:
      ServiceNamespace: ecs
      ScalableDimension: ecs:service:DesiredCount
      ResourceId: RESOURCE_ID
      MinCapacity: 0
      MaxCapacity: 10
  WorkerPolicy:
    Type: AWS::ApplicationAutoScaling::ScalingPolicy
    Properties:
      PolicyName: p
      PolicyType: StepScaling
      ScalingTargetId: !Ref WorkerScaling
      StepScalingPolicyConfiguration:
        AdjustmentType: ChangeInCapacity
        StepAdjustments: [{ScalingAdjustment: 1, MetricIntervalLowerBound: 0}]
"""


def _verdict(tmp_path: Path, cluster: str, resource_id: str) -> tuple[str, object, str]:
    path = tmp_path / "svc.yaml"
    path.write_text(SERVICE.replace("CLUSTER", cluster).replace("RESOURCE_ID", resource_id))
    a = scan([str(path)])
    worker = a.topology.node("Worker")
    assert worker is not None
    return a.verdict.level, worker.properties.get("floor"), str(worker.properties.get("autoscaled"))


@pytest.mark.parametrize(
    ("cluster", "resource_id"),
    [
        ("!Ref Cluster", '!Sub "service/${Cluster}/${AWS::StackName}-worker"'),
        ("!Ref Cluster", '!Sub "service/${ClusterName}/${AWS::StackName}-worker"'),
        ("!GetAtt Cluster.Arn", '!Sub "service/${Cluster}/${AWS::StackName}-worker"'),
        ("!Ref ClusterName", '!Sub "service/${ClusterName}/${AWS::StackName}-worker"'),
        ("jobs", '!Sub "service/jobs/${AWS::StackName}-worker"'),
        # by reference, as before
        ("!Ref Cluster", "!Join [/, [service, !Ref Cluster, !GetAtt Worker.Name]]"),
    ],
)
def test_a_scalable_target_naming_the_service_sets_its_floor(
    tmp_path: Path, cluster: str, resource_id: str
) -> None:
    assert _verdict(tmp_path, cluster, resource_id) == ("serverless", 0, "True")


@pytest.mark.parametrize(
    "resource_id",
    [
        '!Sub "service/other/${AWS::StackName}-worker"',  # another cluster's service of that name
        '!Sub "service/${Other}/${AWS::StackName}-worker"',
        '!Sub "service/${Cluster}/${AWS::StackName}-web"',  # another service
    ],
)
def test_a_scalable_target_naming_another_service_is_not_this_ones(
    tmp_path: Path, resource_id: str
) -> None:
    assert _verdict(tmp_path, "!Ref Cluster", resource_id) == ("not-serverless", 1, "False")
