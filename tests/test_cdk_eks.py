"""The CDK aws-eks module's cluster and Fargate profile are custom resources
(``Custom::AWSCDK-EKS-Cluster``, ``Custom::AWSCDK-EKS-FargateProfile``): they are judged as the
EKS cluster and profile they create, not as deploy-time helpers ("no compute")."""

from __future__ import annotations

from pathlib import Path

import pytest

from scan_helpers import edge_set, scan

CLUSTER = """
Resources:
  ProviderFn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Code: {ZipFile: "def handler(e, c): pass"}
      Role: arn:aws:iam::123456789012:role/provider
  Cluster:
    Type: Custom::AWSCDK-EKS-Cluster
    Properties:
      ServiceToken: !GetAtt ProviderFn.Arn
      Config:
        version: "1.29"
        roleArn: arn:aws:iam::123456789012:role/cluster
        resourcesVpcConfig: {subnetIds: [subnet-1, subnet-2]}
COMPUTE
  Manifest:
    Type: Custom::AWSCDK-EKS-KubernetesResource
    Properties:
      ServiceToken: !GetAtt ProviderFn.Arn
      ClusterName: !Ref Cluster
      Manifest: '[{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"}}]'
CAPACITY
"""

FARGATE = """
  Profile:
    Type: Custom::AWSCDK-EKS-FargateProfile
    Properties:
      ServiceToken: !GetAtt ProviderFn.Arn
      Config:
        clusterName: !Ref Cluster
        podExecutionRoleArn: arn:aws:iam::123456789012:role/pods
        selectors: [{namespace: default}]
"""

NODEGROUP = """
  Nodes:
    Type: AWS::EKS::Nodegroup
    Properties:
      ClusterName: !Ref Cluster
      NodeRole: arn:aws:iam::123456789012:role/nodes
      Subnets: [subnet-1]
      ScalingConfig: {MinSize: 2, MaxSize: 2, DesiredSize: 2}
"""

AUTO_MODE = """        computeConfig: {enabled: true, nodePools: [general-purpose]}"""


@pytest.mark.parametrize(
    ("compute", "capacity", "level", "runs_on"),
    [
        ("", FARGATE, "serverless-with-floor", "Profile"),
        ("", NODEGROUP, "not-serverless", "Nodes"),
        (AUTO_MODE, "", "not-serverless", None),
        ("", "", "serverless-with-floor", None),  # the control plane alone: its hourly fee
    ],
)
def test_cdk_eks_cluster_is_an_eks_cluster(
    tmp_path: Path, compute: str, capacity: str, level: str, runs_on: str | None
) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(CLUSTER.replace("COMPUTE", compute).replace("CAPACITY", capacity))
    a = scan([path])
    assert a.verdict.level == level
    assert "Cluster" in {c.node for c in a.verdict.idle_costs}
    nodes = {n.id: n for n in a.topology.nodes}
    assert not nodes["Cluster"].deploy_time and nodes["ProviderFn"].deploy_time
    assert nodes["Cluster"].properties.get("runs_on") == runs_on  # the dotted "runs on" link
    assert {e for e in edge_set(a) if "ProviderFn" not in e} == set()
