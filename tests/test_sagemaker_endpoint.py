"""A SageMaker endpoint costs what its endpoint config's variants cost; a config no endpoint in
scope uses runs nothing by itself, but one made from it elsewhere would: undecided unless its
variants are serverless."""

from __future__ import annotations

from pathlib import Path

import pytest

from scan_helpers import scan

TEMPLATE = """
Parameters:
  ConfigName: {Type: String}
Resources:
  Model:
    Type: AWS::SageMaker::Model
    Properties:
      ExecutionRoleArn: arn:aws:iam::123456789012:role/sm
      PrimaryContainer: {Image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1}
  Cfg:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      EndpointConfigName: big-config
      ProductionVariants:
        - VariantName: v
          ModelName: !GetAtt Model.ModelName
VARIANT
ENDPOINT
"""

INSTANCES = """          InstanceType: ml.m5.large
          InitialInstanceCount: 1"""
SERVERLESS = """          ServerlessConfig: {MemorySizeInMB: 2048, MaxConcurrency: 5}"""
PROVISIONED = """          ServerlessConfig: {MemorySizeInMB: 2048, MaxConcurrency: 5, ProvisionedConcurrency: 2}"""
ENDPOINT = """  Ep:
    Type: AWS::SageMaker::Endpoint
    Properties: {EndpointConfigName: NAME}"""


@pytest.mark.parametrize(
    ("variant", "endpoint", "level", "idle"),
    [
        (INSTANCES, "!GetAtt Cfg.EndpointConfigName", "not-serverless", ("Ep", "instance")),
        (
            PROVISIONED,
            "!GetAtt Cfg.EndpointConfigName",
            "serverless-with-floor",
            ("Ep", "provisioned-concurrency"),
        ),
        (SERVERLESS, "!GetAtt Cfg.EndpointConfigName", "serverless", None),
        (INSTANCES, None, "indeterminate", None),  # a config alone: an endpoint elsewhere?
        (SERVERLESS, None, "no-compute", None),  # serverless either way
        (SERVERLESS, "!Ref ConfigName", "indeterminate", None),  # its config is not in scope
        (INSTANCES, "big-config", "not-serverless", ("Ep", "instance")),  # the config's name
    ],
)
def test_endpoint_is_judged_by_its_config(
    tmp_path: Path, variant: str, endpoint: str | None, level: str, idle: tuple[str, str] | None
) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        TEMPLATE.replace("VARIANT", variant).replace(
            "ENDPOINT", ENDPOINT.replace("NAME", endpoint) if endpoint else ""
        )
    )
    a = scan([path])
    assert a.verdict.level == level
    assert [(c.node, c.kind) for c in a.verdict.idle_costs] == ([idle] if idle else [])
    if idle:
        evidence = [e for c in a.verdict.criteria if c.id == "no-idle-cost" for e in c.evidence]
        assert [(e.node, e.line) for e in evidence] == [("Ep", 11)]  # at the config
    if level == "indeterminate":
        assert a.verdict.cases is not None
        # a config alone: at best nothing runs; an endpoint from outside: at best serverless
        best = "no-compute" if endpoint is None else "serverless"
        assert (a.verdict.cases.best, a.verdict.cases.worst) == (best, "not-serverless")
