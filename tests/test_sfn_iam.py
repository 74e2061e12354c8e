"""A state machine calls only what its definition's Task states name: its role's wildcard grants
for other services are no edges (tests the IAM extractor's use of the definition's shape)."""

from __future__ import annotations

from pathlib import Path

from scan_helpers import edge_set, scan

BASE = """
Parameters:
  Target: {Type: String}
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Handler: i.h, Runtime: python3.12, Role: arn:aws:iam::1:role/r, Code: {ZipFile: x}}
  Jobs: {Type: AWS::SQS::Queue}
  Act: {Type: AWS::StepFunctions::Activity, Properties: {Name: a}}
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: states.amazonaws.com}, Action: sts:AssumeRole}]}
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement: [GRANTS]
  Machine:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      RoleArn: !GetAtt Role.Arn
      Definition:
        StartAt: A
        States:
          A: STATE
"""

WILDCARD = '{Effect: Allow, Action: ["states:StartExecution", "lambda:InvokeFunction", "sqs:SendMessage"], Resource: "*"}'


def _edges(tmp_path: Path, grants: str, state: str) -> set[str]:
    path = tmp_path / "t.yaml"
    path.write_text(BASE.replace("GRANTS", grants).replace("STATE", state))
    return {e for e in edge_set(scan([str(path)])) if e.startswith("Machine ")}


def test_a_workflow_of_activities_calls_no_service_whatever_its_role_allows(
    tmp_path: Path,
) -> None:
    state = "{Type: Task, Resource: !Ref Act, End: true}"
    # before: Machine -invokes-> Machine (states:StartExecution on *), -invokes-> Fn, -writes-> Jobs
    assert _edges(tmp_path, WILDCARD, state) == set()


def test_grants_for_a_service_the_definition_calls_stay_edges(tmp_path: Path) -> None:
    """A target chosen at run time (FunctionName.$) is bounded by the role: that grant is the
    evidence of what it may call."""
    state = (
        '{Type: Task, Resource: "arn:aws:states:::lambda:invoke", '
        'Parameters: {"FunctionName.$": "$.fn"}, End: true}'
    )
    assert _edges(tmp_path, WILDCARD, state) == {"Machine -invokes-> Fn"}


def test_a_grant_naming_a_resource_stays_an_edge_even_for_a_service_never_called(
    tmp_path: Path,
) -> None:
    """A grant that names the function shows what the role is for (a definition may be a
    placeholder); only wildcard grants are read through the definition."""
    grants = (
        "{Effect: Allow, Action: lambda:InvokeFunction, Resource: !GetAtt Fn.Arn}, "
        "{Effect: Allow, Action: sqs:SendMessage, Resource: !GetAtt Jobs.Arn}"
    )
    state = (
        '{Type: Task, Resource: "arn:aws:states:::sqs:sendMessage", '
        "Parameters: {QueueUrl: !Ref Jobs, MessageBody: x}, End: true}"
    )
    assert _edges(tmp_path, grants, state) == {"Machine -writes-> Jobs", "Machine -invokes-> Fn"}


def test_action_star_is_read_as_the_services_the_definition_calls(tmp_path: Path) -> None:
    state = (
        '{Type: Task, Resource: "arn:aws:states:::sqs:sendMessage", '
        'Parameters: {"QueueUrl.$": "$.queue", MessageBody: x}, End: true}'
    )
    grants = '{Effect: Allow, Action: "*", Resource: "*"}'
    assert _edges(tmp_path, grants, state) == {"Machine -writes-> Jobs"}


def test_a_task_whose_resource_is_unknown_leaves_the_grants_as_they_are(tmp_path: Path) -> None:
    state = "{Type: Task, Resource: !Ref Target, End: true}"
    edges = _edges(tmp_path, WILDCARD, state)
    assert {"Machine -invokes-> Fn", "Machine -writes-> Jobs"} <= edges
    assert "Machine -invokes-> Machine" not in edges  # a wildcard never makes a self-loop


def test_a_definition_without_tasks_is_a_placeholder_and_keeps_the_grants(tmp_path: Path) -> None:
    """A single Pass state (a workshop's starting point, replaced later): the role's grants are
    the only evidence of what the state machine is for, kept as weak edges."""
    edges = _edges(tmp_path, WILDCARD, "{Type: Pass, End: true}")
    assert edges == {"Machine -invokes-> Fn", "Machine -writes-> Jobs"}


def test_integrations_built_with_the_partition_reference_are_read() -> None:
    """CDK builds a definition with Fn::Join, the partition as ``!Ref AWS::Partition`` inside
    each ``arn:...:states:::`` integration: it was read as no integration at all (no edge)."""
    path = Path(__file__).resolve().parent / "data" / "sfn_definition_joined_with_partition.yaml"
    assert {e for e in edge_set(scan([str(path)])) if e.startswith("SM ")} == {
        "SM -invokes-> Fn",
        "SM -writes-> Q",
    }
