"""An API in front of an internal load balancer (a VPC link) is one request path: the service
behind both is the sole target of the request ingress, and the load balancer is a hop inside the
black box, not a second way in."""

from __future__ import annotations

from pathlib import Path

from iacscan.model import Analysis
from scan_helpers import edge_set, scan

TEMPLATE = """
Resources:
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: web, ProtocolType: HTTP}
  Link:
    Type: AWS::ApiGatewayV2::VpcLink
    Properties: {Name: l, SubnetIds: [subnet-1, subnet-2]}
  Integration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: HTTP_PROXY
      IntegrationMethod: ANY
      ConnectionType: VPC_LINK
      ConnectionId: !Ref Link
      IntegrationUri: !Ref Listener
      PayloadFormatVersion: "1.0"
  Alb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties: {Scheme: SCHEME, Subnets: [subnet-1, subnet-2]}
  Listener:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      LoadBalancerArn: !Ref Alb
      Port: 80
      Protocol: HTTP
      DefaultActions: [{Type: forward, TargetGroupArn: !Ref Group}]
  Group:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties: {VpcId: vpc-1, Port: 80, Protocol: HTTP, TargetType: ip}
  Task:
    Type: AWS::ECS::TaskDefinition
    Properties:
      RequiresCompatibilities: [FARGATE]
      NetworkMode: awsvpc
      Cpu: "256"
      Memory: "512"
      ContainerDefinitions: [{Name: app, Image: public.ecr.aws/example/app:1}]
  Service:
    Type: AWS::ECS::Service
    Properties:
      LaunchType: FARGATE
      DesiredCount: 1
      TaskDefinition: !Ref Task
      LoadBalancers: [{ContainerName: app, ContainerPort: 80, TargetGroupArn: !Ref Group}]
"""


def _scan(tmp_path: Path, scheme: str) -> Analysis:
    path = tmp_path / "web.yaml"
    path.write_text(TEMPLATE.replace("SCHEME", scheme))
    return scan([path])


def test_internal_alb_behind_an_api(tmp_path: Path) -> None:
    a = _scan(tmp_path, "internal")
    assert edge_set(a) == {"Api -triggers-> Alb", "Alb -triggers-> Service"}
    assert set(a.boundary.ingress) == {"Api"}
    assert (a.verdict.architecture, a.verdict.monolith) == ("monolith-candidate", True)


def test_internet_facing_alb_is_still_a_way_in(tmp_path: Path) -> None:
    a = _scan(tmp_path, "internet-facing")
    assert set(a.boundary.ingress) == {"Api", "Alb"}
    assert a.verdict.architecture == "monolith-candidate"
