"""Two units whose image URIs are unknown before deploy time are compared as written: images
from two repositories are two artifacts (not "copies of one"), two functions on the same image
parameter are copies."""

from __future__ import annotations

from pathlib import Path

import pytest

from scan_helpers import scan

TEMPLATE = """
Parameters:
  Image: {Type: String}
Resources:
  WebRepo: {Type: AWS::ECR::Repository}
  JobRepo: {Type: AWS::ECR::Repository}
  WebFn:
    Type: AWS::Lambda::Function
    Properties:
      PackageType: Image
      Role: arn:aws:iam::123456789012:role/r
      Code:
        ImageUri: WEB
  WebUrl:
    Type: AWS::Lambda::Url
    Properties: {AuthType: NONE, TargetFunctionArn: !GetAtt WebFn.Arn}
  JobFn:
    Type: AWS::Lambda::Function
    Properties:
      PackageType: Image
      Role: arn:aws:iam::123456789012:role/r
      Code:
        ImageUri: JOB
  Nightly:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 day)
      Targets: [{Id: j, Arn: !GetAtt JobFn.Arn}]
"""

# CDK's image from a repository of the stack: the tag comes from a custom resource's output
FROM_REPO = (
    '!Join ["", [!Select [4, !Split [":", !GetAtt {repo}.Arn]], ".dkr.ecr.", '
    '!Select [3, !Split [":", !GetAtt {repo}.Arn]], ".", !Ref AWS::URLSuffix, "/", '
    '!Ref {repo}, ":", !GetAtt Build.ImageTag]]'
)


@pytest.mark.parametrize(
    ("web", "job", "architecture"),
    [
        (FROM_REPO.format(repo="WebRepo"), FROM_REPO.format(repo="JobRepo"), "distributed"),
        ("!Ref Image", "!Ref Image", "monolith-candidate"),  # one image: one unit behind the URL
    ],
)
def test_unknown_images_compared_as_written(
    tmp_path: Path, web: str, job: str, architecture: str
) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        TEMPLATE.replace("WEB", web).replace("JOB", job)
        + "  Build:\n    Type: Custom::ImageBuild\n"
        "    Properties: {ServiceToken: arn:aws:lambda:us-east-1:123456789012:function:b}\n"
    )
    a = scan([path])
    assert a.verdict.architecture == architecture
    assert a.verdict.monolith is (architecture == "monolith-candidate")


SHARDS = '{\n "Parameters": {\n  "ImageUri": {\n   "Type": "String"\n  }\n },\n "Resources": {\n  "Cluster": {\n   "Type": "AWS::ECS::Cluster"\n  },\n  "Td1": {\n   "Type": "AWS::ECS::TaskDefinition",\n   "Properties": {\n    "RequiresCompatibilities": [\n     "FARGATE"\n    ],\n    "NetworkMode": "awsvpc",\n    "Cpu": "256",\n    "Memory": "512",\n    "ContainerDefinitions": [\n     {\n      "Name": "detector",\n      "Image": {\n       "Ref": "ImageUri"\n      },\n      "Environment": [\n       {\n        "Name": "SHARD",\n        "Value": "1"\n       }\n      ]\n     }\n    ]\n   }\n  },\n  "Svc1": {\n   "Type": "AWS::ECS::Service",\n   "Properties": {\n    "Cluster": {\n     "Ref": "Cluster"\n    },\n    "LaunchType": "FARGATE",\n    "DesiredCount": 1,\n    "TaskDefinition": {\n     "Ref": "Td1"\n    },\n    "NetworkConfiguration": {\n     "AwsvpcConfiguration": {\n      "Subnets": [\n       "subnet-1"\n      ]\n     }\n    }\n   }\n  },\n  "Td2": {\n   "Type": "AWS::ECS::TaskDefinition",\n   "Properties": {\n    "RequiresCompatibilities": [\n     "FARGATE"\n    ],\n    "NetworkMode": "awsvpc",\n    "Cpu": "256",\n    "Memory": "512",\n    "ContainerDefinitions": [\n     {\n      "Name": "detector",\n      "Image": {\n       "Ref": "ImageUri"\n      },\n      "Environment": [\n       {\n        "Name": "SHARD",\n        "Value": "2"\n       }\n      ]\n     }\n    ]\n   }\n  },\n  "Svc2": {\n   "Type": "AWS::ECS::Service",\n   "Properties": {\n    "Cluster": {\n     "Ref": "Cluster"\n    },\n    "LaunchType": "FARGATE",\n    "DesiredCount": 1,\n    "TaskDefinition": {\n     "Ref": "Td2"\n    },\n    "NetworkConfiguration": {\n     "AwsvpcConfiguration": {\n      "Subnets": [\n       "subnet-1"\n      ]\n     }\n    }\n   }\n  }\n }\n}'


def test_container_shards_on_an_unknown_image_are_copies(tmp_path: Path) -> None:
    """Two task definitions on the same image parameter, differing in an environment variable
    (the shard): one artifact, sharded."""
    path = tmp_path / "t.json"
    path.write_text(SHARDS)
    a = scan([path])
    assert a.verdict.architecture == "single-service"
    assert any("copies of one artifact" in r for r in a.verdict.architecture_reasons)
