"""Where a task started per event runs: RequiresCompatibilities, else what its starters ask for
(RunTask's LaunchType or CapacityProviderStrategy in a rule target, a schedule, a pipe or a
state machine). A function's code decides for itself: unknown."""

from __future__ import annotations

from pathlib import Path

import pytest

from iacscan.model import Analysis
from scan_helpers import scan

BASE = """
Resources:
  Cluster: {Type: AWS::ECS::Cluster}
  Task:
    Type: AWS::ECS::TaskDefinition
    Properties:
      NetworkMode: awsvpc
      Cpu: "256"
      Memory: "512"
      ContainerDefinitions: [{Name: w, Image: "w:1"}]COMPAT
STARTERS"""

RULE = """
  Nightly:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 day)
      Targets:
        - Id: t
          Arn: !GetAtt Cluster.Arn
          RoleArn: arn:aws:iam::1:role/events
          EcsParameters: {TaskDefinitionArn: !Ref Task, TaskCount: 1PARAMS}
"""

MACHINE = """
  Flow:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      RoleArn: arn:aws:iam::1:role/sfn
      Definition:
        StartAt: Run
        States:
          Run:
            Type: Task
            Resource: arn:aws:states:::ecs:runTask.sync
            Parameters: {Cluster: !GetAtt Cluster.Arn, TaskDefinition: !Ref TaskPARAMS}
            End: true
"""

LAUNCHER = """
  Launcher:
    Type: AWS::Lambda::Function
    Properties: {Handler: i.h, Runtime: python3.12, Role: !GetAtt LauncherRole.Arn, Code: {ZipFile: x}}
  LauncherRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]}
      Policies:
        - PolicyName: run
          PolicyDocument: {Statement: [{Effect: Allow, Action: ecs:RunTask, Resource: !Ref Task}]}
  Url:
    Type: AWS::Lambda::Url
    Properties: {AuthType: NONE, TargetFunctionArn: !GetAtt Launcher.Arn}
"""


def _scan(tmp_path: Path, compat: str, *starters: str) -> Analysis:
    path = tmp_path / "t.yaml"
    text = BASE.replace("COMPAT", compat).replace("STARTERS", "".join(starters))
    path.write_text(text)
    return scan([str(path)])


def _task(a: Analysis) -> tuple[str, object]:
    node = a.topology.node("Task")
    assert node is not None
    return a.verdict.level, node.properties.get("launch_type")


FARGATE_BOTH = "\n      RequiresCompatibilities: [EC2, FARGATE]"


@pytest.mark.parametrize("compat", ["", FARGATE_BOTH])
@pytest.mark.parametrize(
    "starter",
    [
        RULE.replace("PARAMS", ", LaunchType: FARGATE"),
        RULE.replace(
            "PARAMS", ", CapacityProviderStrategy: [{CapacityProvider: FARGATE_SPOT, Weight: 1}]"
        ),
        MACHINE.replace("PARAMS", ", LaunchType: FARGATE"),
    ],
)
def test_a_starter_that_asks_for_fargate_decides(tmp_path: Path, compat: str, starter: str) -> None:
    a = _scan(tmp_path, compat, starter)
    assert _task(a) == ("serverless", "FARGATE")


def test_a_starter_that_asks_for_ec2_runs_it_on_ec2(tmp_path: Path) -> None:
    a = _scan(tmp_path, FARGATE_BOTH, RULE.replace("PARAMS", ", LaunchType: EC2"))
    assert _task(a) == ("serverless-with-floor", "EC2")
    assert {(c.node, c.kind) for c in a.verdict.idle_costs} == {("Task", "ecs-on-ec2")}
    [cost] = a.verdict.idle_costs
    assert "Nightly" in cost.why and "asks for EC2" in cost.why
    # the evidence is where the starter asks for it, not the task definition
    lines = (tmp_path / "t.yaml").read_text().splitlines()
    asks = next(n for n, text in enumerate(lines, 1) if "LaunchType: EC2" in text)
    evidence = {
        (e.file, e.line) for c in a.verdict.criteria for e in c.evidence if e.node == "Task"
    }
    assert evidence == {(str(tmp_path / "t.yaml"), asks)}


@pytest.mark.parametrize(
    "starters",
    [
        (LAUNCHER,),  # a function's code decides
        (RULE.replace("PARAMS", ", LaunchType: FARGATE"), LAUNCHER),  # one starter unknown
        (MACHINE.replace("PARAMS", ', "LaunchType.$": "$.where"'),),  # chosen at run time
        (RULE.replace("PARAMS", ""),),  # none given: the cluster's default decides
    ],
)
def test_a_task_that_may_run_either_way_is_undecided_unless_every_starter_says(
    tmp_path: Path, starters: tuple[str, ...]
) -> None:
    """RequiresCompatibilities [EC2, FARGATE] was read as EC2 (a confident not-serverless under
    strict profiles): the starters decide, and when one does not say, nobody knows."""
    a = _scan(tmp_path, FARGATE_BOTH, *starters)
    assert _task(a) == ("indeterminate", None)
    assert a.verdict.cases is not None
    assert (a.verdict.cases.best, a.verdict.cases.worst) == ("serverless", "serverless-with-floor")


OUTSIDE = """
Parameters:
  TaskArn: {Type: String}
Resources:
  Cluster: {Type: AWS::ECS::Cluster}
  Nightly:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 day)
      Targets:
        - Id: t
          Arn: !GetAtt Cluster.Arn
          RoleArn: arn:aws:iam::1:role/events
          EcsParameters: {TaskDefinitionArn: !Ref TaskArn, TaskCount: 1PARAMS}
"""


@pytest.mark.parametrize(
    ("params", "level"),
    [
        (", LaunchType: FARGATE", "serverless"),
        (", CapacityProviderStrategy: [{CapacityProvider: FARGATE, Weight: 1}]", "serverless"),
        ("", "indeterminate"),
        (", LaunchType: EC2", "indeterminate"),
    ],
)
def test_a_task_definition_from_outside_runs_where_its_starter_asks(
    tmp_path: Path, params: str, level: str
) -> None:
    """What the task definition holds is not seen, but a Fargate task started per event costs
    nothing between events whatever it holds."""
    path = tmp_path / "t.yaml"
    path.write_text(OUTSIDE.replace("PARAMS", params))
    a = scan([str(path)])
    assert "Nightly -triggers-> ext:parameter TaskArn" in {
        f"{e.source} -{e.kind}-> {e.target}" for e in a.topology.edges
    }
    assert a.verdict.level == level


MIXED = Path(__file__).resolve().parent / "data" / "task_started_by_rule_and_state_machine.yaml"


@pytest.mark.parametrize(
    ("task", "level"),
    [
        # the state machine names the task by its family and asks for EC2
        ("jobs, LaunchType: EC2", "not-serverless"),
        ('"jobs", LaunchType: FARGATE', "serverless"),
        # chosen at run time: the state machine starts it through its role, asking nothing known
        ('"jobs", "LaunchType.$": "$.where"', "indeterminate"),
    ],
)
def test_every_starter_of_a_task_is_heard_before_it_is_called_fargate(
    tmp_path: Path, task: str, level: str
) -> None:
    """A rule asks for FARGATE; a state machine starts the same task too. It was called
    serverless from the rule alone, even when the state machine asked for EC2."""
    path = tmp_path / "t.yaml"
    path.write_text(MIXED.read_text().replace("LAUNCH", task))
    a = scan([str(path)], definition="aws")
    assert a.verdict.level == level


def test_a_task_chosen_at_run_time_by_a_state_machine_is_undecided(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        MIXED.read_text().replace("TaskDefinition: LAUNCH", '"TaskDefinition.$": "$.td"')
    )
    a = scan([str(path)], definition="aws")
    assert "SM -invokes-> TD" in {f"{e.source} -{e.kind}-> {e.target}" for e in a.topology.edges}
    assert a.verdict.level == "indeterminate"
