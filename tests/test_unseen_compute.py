"""Compute the system starts but that is defined outside the scan (a task definition, a service
or a Batch job queue from a parameter without a default or an import not in scope) is an
unknown ext: node that makes the level indeterminate, as a task definition in scope without a
launch type does (definitions.md, levels). A Lambda function, a state machine, a queue, a
bucket or a table from outside does not: whatever they are, they do not decide the level."""

from __future__ import annotations

from pathlib import Path

import pytest

from iacscan.model import Analysis
from scan_helpers import edge_set, scan

SFN = """\
Parameters: PARAMS
Resources:
  Pipeline:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      RoleArn: arn:aws:iam::123456789012:role/sfn
      DefinitionString: !Sub '{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::INTEGRATION","Parameters":ARGS,"End":true}}}'
"""

FUNCTION = """\
Parameters: PARAMS
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Code: {ZipFile: "def handler(e, c): pass"}
      Role: !GetAtt FnRole.Arn
  FnRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
STATEMENTS"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(text)
    return path


def _sfn(tmp_path: Path, params: str, integration: str, args: str) -> Analysis:
    text = SFN.replace("PARAMS", params).replace("INTEGRATION", integration)
    return scan([_write(tmp_path, text.replace("ARGS", args))])


def _function(tmp_path: Path, params: str, *statements: str) -> Analysis:
    body = "".join(f"              - {s}\n" for s in statements)
    text = FUNCTION.replace("PARAMS", params).replace("STATEMENTS", body)
    return scan([_write(tmp_path, text)])


def _types(a: Analysis) -> dict[str, str]:
    return {n.id: n.type for n in a.topology.nodes}


def _undecided(a: Analysis, node: str) -> None:
    """Indeterminate between serverless and servers, naming the node and how to see it."""
    v = a.verdict
    assert v.level == "indeterminate"
    assert v.serverless is None and v.scales_to_zero is None
    assert v.cases is not None
    assert (v.cases.best, v.cases.worst) == ("serverless", "not-serverless")
    assert any(node in m for m in v.cases.missing), v.cases.missing
    assert node in v.summary
    assert "no business compute." not in v.summary
    c2 = {c.id: c for c in v.criteria}["no-idle-cost"]
    assert c2.status == "unknown"
    assert node in {e.node for e in c2.evidence}


def test_a_state_machine_running_a_task_definition_from_a_parameter(tmp_path: Path) -> None:
    a = _sfn(
        tmp_path,
        "{TaskDefinitionArn: {Type: String}, ClusterArn: {Type: String}}",
        "ecs:runTask.sync",
        '{"Cluster":"${ClusterArn}","TaskDefinition":"${TaskDefinitionArn}"}',
    )
    # The cluster is where the task runs, not a task definition the machine starts.
    assert _types(a) == {
        "Pipeline": "AWS::StepFunctions::StateMachine",
        "ext:parameter TaskDefinitionArn": "AWS::ECS::TaskDefinition",
    }
    assert edge_set(a) == {"Pipeline -invokes-> ext:parameter TaskDefinitionArn"}
    _undecided(a, "ext:parameter TaskDefinitionArn")
    (missing,) = a.verdict.cases.missing  # type: ignore[union-attr]
    assert "launch type" in missing and "give the parameter a default" in missing


def test_a_state_machine_submitting_to_a_job_queue_from_a_parameter(tmp_path: Path) -> None:
    a = _sfn(
        tmp_path,
        "{JobQueueArn: {Type: String}}",
        "batch:submitJob.sync",
        '{"JobName":"a","JobQueue":"${JobQueueArn}","JobDefinition":"jd"}',
    )
    assert _types(a) == {
        "Pipeline": "AWS::StepFunctions::StateMachine",
        "ext:parameter JobQueueArn": "AWS::Batch::JobQueue",
    }
    _undecided(a, "ext:parameter JobQueueArn")
    assert "compute environment" in " ".join(a.verdict.cases.missing)  # type: ignore[union-attr]


def test_each_batch_parameter_is_typed_by_its_key(tmp_path: Path) -> None:
    a = _sfn(
        tmp_path,
        "{Q: {Type: String}, D: {Type: String}}",
        "batch:submitJob",
        '{"JobName":"a","JobQueue":"${Q}","JobDefinition":"${D}"}',
    )
    assert _types(a) == {
        "Pipeline": "AWS::StepFunctions::StateMachine",
        "ext:parameter Q": "AWS::Batch::JobQueue",
        "ext:parameter D": "AWS::Batch::JobDefinition",
    }
    assert edge_set(a) == {
        "Pipeline -invokes-> ext:parameter Q",
        "Pipeline -invokes-> ext:parameter D",
    }
    _undecided(a, "ext:parameter Q")
    assert not any("ext:parameter D" in m for m in a.verdict.cases.missing)  # type: ignore[union-attr]


def test_a_job_definition_from_outside_with_a_queue_in_scope_decides_nothing(
    tmp_path: Path,
) -> None:
    text = SFN.replace("PARAMS", "{D: {Type: String}}").replace("INTEGRATION", "batch:submitJob")
    text = text.replace("ARGS", '{"JobName":"a","JobQueue":"${Queue}","JobDefinition":"${D}"}')
    text += """\
  Queue:
    Type: AWS::Batch::JobQueue
    Properties:
      Priority: 1
      ComputeEnvironmentOrder: [{Order: 1, ComputeEnvironment: !Ref Env}]
  Env:
    Type: AWS::Batch::ComputeEnvironment
    Properties:
      Type: MANAGED
      ComputeResources: {Type: FARGATE, MaxvCpus: 4, Subnets: [subnet-1], SecurityGroupIds: [sg-1]}
"""
    a = scan([_write(tmp_path, text)])
    assert "Pipeline -invokes-> Queue" in edge_set(a)
    assert _types(a)["ext:parameter D"] == "AWS::Batch::JobDefinition"
    assert a.verdict.level == "serverless"
    assert a.verdict.cases is None


def test_a_function_running_a_task_definition_from_a_parameter(tmp_path: Path) -> None:
    a = _function(
        tmp_path,
        "{TaskDefinitionArn: {Type: String}}",
        "{Effect: Allow, Action: ecs:RunTask, Resource: !Ref TaskDefinitionArn}",
    )
    assert edge_set(a) == {"Fn -invokes-> ext:parameter TaskDefinitionArn"}
    _undecided(a, "ext:parameter TaskDefinitionArn")


def test_a_function_running_an_imported_task_definition(tmp_path: Path) -> None:
    a = _function(
        tmp_path,
        "{}",
        "{Effect: Allow, Action: ecs:RunTask, Resource: !ImportValue shared-task-def}",
    )
    assert edge_set(a) == {"Fn -invokes-> ext:import shared-task-def"}
    _undecided(a, "ext:import shared-task-def")
    assert "add the exporting stack" in " ".join(a.verdict.cases.missing)  # type: ignore[union-attr]


def test_batch_submit_job_resources_are_typed_by_arn_or_name(tmp_path: Path) -> None:
    a = _function(
        tmp_path,
        "{JobQueueArn: {Type: String}, JobDefinitionArn: {Type: String}, Def: {Type: String}}",
        "{Effect: Allow, Action: batch:SubmitJob, Resource: [!Ref JobQueueArn, "
        "!Ref JobDefinitionArn, !Sub 'arn:aws:batch:${AWS::Region}:${AWS::AccountId}:"
        "job-definition/${Def}']}",
    )
    types = _types(a)
    assert types["ext:parameter JobQueueArn"] == "AWS::Batch::JobQueue"
    assert types["ext:parameter JobDefinitionArn"] == "AWS::Batch::JobDefinition"
    defs = [n for n, t in types.items() if "job-definition/${Def}" in n]
    assert len(defs) == 1 and types[defs[0]] == "AWS::Batch::JobDefinition"
    _undecided(a, "ext:parameter JobQueueArn")
    missing = " ".join(a.verdict.cases.missing)  # type: ignore[union-attr]
    assert "JobDefinitionArn" not in missing and "${Def}" not in missing


def test_a_rule_running_a_task_definition_from_a_parameter(tmp_path: Path) -> None:
    text = """\
Parameters: {TaskDefinitionArn: {Type: String}, ClusterArn: {Type: String}}
Resources:
  Rule:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 hour)
      Targets:
        - Id: t
          Arn: !Ref ClusterArn
          RoleArn: arn:aws:iam::123456789012:role/ev
          EcsParameters: {TaskDefinitionArn: !Ref TaskDefinitionArn}
"""
    a = scan([_write(tmp_path, text)])
    assert edge_set(a) == {"Rule -triggers-> ext:parameter TaskDefinitionArn"}
    _undecided(a, "ext:parameter TaskDefinitionArn")


def test_a_rule_submitting_to_a_job_queue_from_a_parameter(tmp_path: Path) -> None:
    text = """\
Parameters: {JobQueueArn: {Type: String}}
Resources:
  Rule:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 hour)
      Targets:
        - Id: t
          Arn: !Ref JobQueueArn
          RoleArn: arn:aws:iam::123456789012:role/ev
          BatchParameters: {JobDefinition: jd, JobName: j}
"""
    a = scan([_write(tmp_path, text)])
    assert _types(a)["ext:parameter JobQueueArn"] == "AWS::Batch::JobQueue"
    _undecided(a, "ext:parameter JobQueueArn")


def test_a_pipe_to_a_cluster_from_a_parameter_runs_the_task_definition_in_scope(
    tmp_path: Path,
) -> None:
    text = """\
Parameters: {ClusterArn: {Type: String}}
Resources:
  Queue: {Type: AWS::SQS::Queue}
  Pipe:
    Type: AWS::Pipes::Pipe
    Properties:
      RoleArn: arn:aws:iam::123456789012:role/p
      Source: !GetAtt Queue.Arn
      Target: !Ref ClusterArn
      TargetParameters:
        EcsTaskParameters: {TaskDefinitionArn: !Ref Task, LaunchType: FARGATE}
  Task:
    Type: AWS::ECS::TaskDefinition
    Properties:
      RequiresCompatibilities: [FARGATE]
      Cpu: "256"
      Memory: "512"
      NetworkMode: awsvpc
      ContainerDefinitions: [{Name: app, Image: app:1}]
"""
    a = scan([_write(tmp_path, text)])
    assert edge_set(a) == {"Queue -triggers-> Task"}
    assert a.verdict.level == "serverless"


def test_a_parameter_in_task_overrides_is_no_task_definition(tmp_path: Path) -> None:
    a = _sfn(
        tmp_path,
        "{BucketName: {Type: String}}",
        "ecs:runTask.sync",
        '{"TaskDefinition":"my-family:3","Overrides":{"ContainerOverrides":[{"Name":"app",'
        '"Environment":[{"Name":"BUCKET","Value":"${BucketName}"}]}]}}',
    )
    assert "ext:parameter BucketName" not in _types(a)


@pytest.mark.parametrize(
    ("integration", "args"),
    [
        ("lambda:invoke", '{"FunctionName":"${Arn}"}'),
        ("states:startExecution.sync", '{"StateMachineArn":"${Arn}"}'),
        ("sqs:sendMessage", '{"QueueUrl":"${Arn}","MessageBody":"x"}'),
        ("sns:publish", '{"TopicArn":"${Arn}","Message":"x"}'),
        ("dynamodb:putItem", '{"TableName":"${Arn}","Item":{}}'),
    ],
)
def test_serverless_or_storage_from_outside_decides_nothing(
    tmp_path: Path, integration: str, args: str
) -> None:
    a = _sfn(tmp_path, "{Arn: {Type: String}}", integration, args)
    assert {n.id for n in a.topology.nodes} == {"Pipeline", "ext:parameter Arn"}
    assert a.verdict.level == "serverless"
    assert a.verdict.cases is None


def test_a_function_writing_to_outside_stores_stays_serverless(tmp_path: Path) -> None:
    a = _function(
        tmp_path,
        "{QueueArn: {Type: String}, BucketName: {Type: String}, FunctionArn: {Type: String}}",
        "{Effect: Allow, Action: sqs:SendMessage, Resource: !Ref QueueArn}",
        "{Effect: Allow, Action: s3:PutObject, Resource: !Sub 'arn:aws:s3:::${BucketName}/*'}",
        "{Effect: Allow, Action: lambda:InvokeFunction, Resource: !Ref FunctionArn}",
    )
    assert edge_set(a) == {
        "Fn -writes-> ext:parameter QueueArn",
        "Fn -writes-> ext:arn:aws:s3:::${BucketName}",
        "Fn -invokes-> ext:parameter FunctionArn",
    }
    assert a.verdict.level == "serverless"
    assert a.verdict.cases is None


@pytest.mark.parametrize("definition", ["johnston-2017", "aws", "cncf"])
def test_every_profile_leaves_it_undecided(tmp_path: Path, definition: str) -> None:
    text = FUNCTION.replace("PARAMS", "{T: {Type: String}}").replace(
        "STATEMENTS", "              - {Effect: Allow, Action: ecs:RunTask, Resource: !Ref T}\n"
    )
    a = scan([_write(tmp_path, text)], definition)
    _undecided(a, "ext:parameter T")


def test_compute_named_by_a_literal_arn_of_another_stack(tmp_path: Path) -> None:
    task = "arn:aws:ecs:us-east-1:123456789012:task-definition/report:3"
    queue = "arn:aws:batch:us-east-1:123456789012:job-queue/q"
    text = f"""\
Resources:
  Rule:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 hour)
      Targets:
        - Id: t
          Arn: arn:aws:ecs:us-east-1:123456789012:cluster/shared
          RoleArn: arn:aws:iam::123456789012:role/ev
          EcsParameters: {{TaskDefinitionArn: {task}}}
  Pipeline:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      RoleArn: arn:aws:iam::123456789012:role/sfn
      DefinitionString: '{{"StartAt":"A","States":{{"A":{{"Type":"Task","Resource":"arn:aws:states:::batch:submitJob.sync","Parameters":{{"JobName":"a","JobQueue":"{queue}","JobDefinition":"jd"}},"End":true}}}}}}'
"""
    a = scan([_write(tmp_path, text)])
    assert _types(a) == {
        "Rule": "AWS::Events::Rule",
        "Pipeline": "AWS::StepFunctions::StateMachine",
        f"ext:{task}": "AWS::ECS::TaskDefinition",
        f"ext:{queue}": "AWS::Batch::JobQueue",
    }
    assert edge_set(a) == {f"Rule -triggers-> ext:{task}", f"Pipeline -invokes-> ext:{queue}"}
    _undecided(a, f"ext:{task}")
    _undecided(a, f"ext:{queue}")
    assert "scan the stack that creates it" in " ".join(a.verdict.cases.missing)  # type: ignore[union-attr]


def test_a_job_queue_read_from_ssm_at_deploy_time_is_unseen_compute() -> None:
    """``{{resolve:ssm:...}}`` that no stack in scope sets is a value only known at deploy time,
    not a literal name: the job queue is an ``ext:`` node, and the level is undecided (it was a
    confident "serverless" with no edge)."""
    path = Path(__file__).resolve().parent / "data" / "sfn_batch_queue_from_ssm.yaml"
    a = scan([str(path)])
    queue = "ext:ssm /gwfcore/job-queue/default"
    assert f"Pipeline -invokes-> {queue}" in {
        f"{e.source} -{e.kind}-> {e.target}" for e in a.topology.edges
    }
    node = a.topology.node(queue)
    assert node is not None and node.type == "AWS::Batch::JobQueue"
    assert a.verdict.level == "indeterminate"
    assert a.verdict.cases is not None
    assert any("SSM parameter /gwfcore/job-queue/default" in m for m in a.verdict.cases.missing)
