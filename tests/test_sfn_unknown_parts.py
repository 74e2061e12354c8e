"""A state machine definition built with Fn::Join where one part is known only at deploy time
(a Wait's seconds from a parameter without a default) is still read: the rest of the workflow
has its edges and findings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scan_helpers import edge_set, scan

TEMPLATE = '{\n "Parameters": {\n  "waitTime": {\n   "Type": "Number"\n  }\n },\n "Resources": {\n  "Fn": {\n   "Type": "AWS::Lambda::Function",\n   "Properties": {\n    "Handler": "index.handler",\n    "Runtime": "python3.12",\n    "Role": "arn:aws:iam::123456789012:role/r",\n    "Code": {\n     "ZipFile": "def handler(e,c): return {\'budgetMet\':\'NO\'}"\n    }\n   }\n  },\n  "SM": {\n   "Type": "AWS::StepFunctions::StateMachine",\n   "Properties": {\n    "RoleArn": "arn:aws:iam::123456789012:role/sm",\n    "DefinitionString": {\n     "Fn::Join": [\n      "",\n      [\n       "{\\"StartAt\\":\\"check\\",\\"States\\":{\\"check\\":{\\"Type\\":\\"Task\\",\\"Resource\\":\\"arn:aws:states:::lambda:invoke\\",\\"Parameters\\":{\\"FunctionName\\":\\"",\n       {\n        "Fn::GetAtt": [\n         "Fn",\n         "Arn"\n        ]\n       },\n       "\\",\\"Payload.$\\":\\"$\\"},\\"OutputPath\\":\\"$.Payload\\",\\"Next\\":\\"choice\\"},\\"choice\\":{\\"Type\\":\\"Choice\\",\\"Choices\\":[{\\"Variable\\":\\"$.budgetMet\\",\\"StringMatches\\":\\"NO\\",\\"Next\\":\\"Wait\\"}],\\"Default\\":\\"done\\"},\\"Wait\\":{\\"Type\\":\\"Wait\\",\\"Seconds\\":",\n       {\n        "Ref": "waitTime"\n       },\n       ",\\"Next\\":\\"check\\"},\\"done\\":{\\"Type\\":\\"Succeed\\"}}}"\n      ]\n     ]\n    }\n   }\n  }\n }\n}'


@pytest.mark.parametrize("default", [None, 60])
def test_a_workflow_with_an_unknown_number_is_read(tmp_path: Path, default: int | None) -> None:
    data = json.loads(TEMPLATE)
    if default is not None:
        data["Parameters"]["waitTime"]["Default"] = default
    path = tmp_path / "t.json"
    path.write_text(json.dumps(data))
    a = scan([path])
    assert edge_set(a) == {"SM -invokes-> Fn"}
    assert [f.rule for f in a.findings] == ["sfn-standard-per-item"]
    assert not [n for n in a.notes if "not readable before deployment" in n]


SUB_DEFINITION = """
Parameters:
  Stage: {Type: String}
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Code: {ZipFile: "def handler(e, c): pass"}
      Role: arn:aws:iam::123456789012:role/fn
  Machine:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      RoleArn: arn:aws:iam::123456789012:role/sm
      DefinitionString: !Sub |
        {"Comment": "stage: ${Stage}, region: ${AWS::Region}",
         "StartAt": "Work",
         "States": {"Work": {"Type": "Task", "Resource": "${Fn.Arn}", "End": true}}}
"""


def test_a_deploy_time_value_inside_a_json_string_is_left_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(SUB_DEFINITION)
    a = scan([path])
    assert edge_set(a) == {"Machine -invokes-> Fn"}
