"""P4 (lambda-calls-lambda) needs a grant that names the called function: a role allowed to
invoke every function says what it may do, not what it calls."""

from __future__ import annotations

from pathlib import Path

import pytest

from scan_helpers import edge_set, scan

TEMPLATE = """
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement: [{Effect: Allow, Action: lambda:InvokeFunction, Resource: RESOURCE}]
  A:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Code: {ZipFile: "def handler(e, c): pass"}
      Role: !GetAtt Role.Arn
  B:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Code: {ZipFile: "def handler(e, c): pass"}
      Role: arn:aws:iam::123456789012:role/b
"""


@pytest.mark.parametrize(
    ("resource", "findings"),
    [
        ("!GetAtt B.Arn", {("A", "B")}),
        ('"*"', set()),  # the edge stays, weak; no finding
    ],
)
def test_finding_only_for_a_named_function(
    tmp_path: Path, resource: str, findings: set[tuple[str, str]]
) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(TEMPLATE.replace("RESOURCE", resource))
    a = scan([path])
    assert "A -invokes-> B" in edge_set(a)
    found = {f.resources for f in a.findings if f.rule == "lambda-calls-lambda"}
    assert found == findings
