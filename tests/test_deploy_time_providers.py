"""A CDK custom-resource ``Provider`` (aws-cdk-lib/custom-resources) with a completion checker
runs at deploy time only, whatever the id the user gave it: its framework functions, its waiter
state machine, and the handlers only they start. What runtime reaches stays runtime."""

from __future__ import annotations

from pathlib import Path

import pytest

from iacscan.model import Analysis
from scan_helpers import edge_set, scan

# The shape CDK synthesizes for Provider(on_event_handler, is_complete_handler): the framework's
# onEvent function (the custom resource's ServiceToken) starts the waiter state machine, which
# runs the isComplete function until it says done, and the onTimeout one when it never does.
PROVIDER = """
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: [lambda.amazonaws.com, states.amazonaws.com]}, Action: sts:AssumeRole}]
  UserOnEvent:
    Type: AWS::Lambda::Function
    Metadata: {aws:cdk:path: App/UserOnEvent/Resource}
    Properties: {Runtime: python3.12, Handler: a.handler, Role: !GetAtt Role.Arn, Code: {ZipFile: "def handler(e,c): pass"}}
  UserIsComplete:
    Type: AWS::Lambda::Function
    Metadata: {aws:cdk:path: App/UserIsComplete/Resource}
    Properties: {Runtime: python3.12, Handler: b.handler, Role: !GetAtt Role.Arn, Code: {ZipFile: "def handler(e,c): return 1"}}
  FrameworkOnEvent:
    Type: AWS::Lambda::Function
    Metadata: {aws:cdk:path: App/PROVIDER_ID/framework-onEvent/Resource}
    Properties: {Runtime: nodejs22.x, Handler: framework.onEvent, Role: !GetAtt OnEventRole.Arn, Code: {ZipFile: "x"}}
  FrameworkIsComplete:
    Type: AWS::Lambda::Function
    Metadata: {aws:cdk:path: App/PROVIDER_ID/framework-isComplete/Resource}
    Properties: {Runtime: nodejs22.x, Handler: framework.isComplete, Role: !GetAtt IsCompleteRole.Arn, Code: {ZipFile: "x"}}
  FrameworkOnTimeout:
    Type: AWS::Lambda::Function
    Metadata: {aws:cdk:path: App/PROVIDER_ID/framework-onTimeout/Resource}
    Properties: {Runtime: nodejs22.x, Handler: framework.onTimeout, Role: !GetAtt IsCompleteRole.Arn, Code: {ZipFile: "x"}}
  OnEventRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
              - {Effect: Allow, Action: lambda:InvokeFunction, Resource: [!GetAtt UserOnEvent.Arn, !GetAtt UserIsComplete.Arn]}
              - {Effect: Allow, Action: states:StartExecution, Resource: !Ref Waiter}
  IsCompleteRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
              - {Effect: Allow, Action: lambda:InvokeFunction, Resource: [!GetAtt UserOnEvent.Arn, !GetAtt UserIsComplete.Arn]}
  Waiter:
    Type: AWS::StepFunctions::StateMachine
    Metadata: {aws:cdk:path: App/PROVIDER_ID/waiter-state-machine/Resource}
    Properties:
      RoleArn: !GetAtt Role.Arn
      DefinitionString: !Sub |
        {"StartAt":"framework-isComplete-task","States":{
          "framework-isComplete-task":{"Type":"Task","Resource":"${FrameworkIsComplete.Arn}",
            "Retry":[{"ErrorEquals":["States.ALL"],"IntervalSeconds":5,"MaxAttempts":360,"BackoffRate":1}],
            "Catch":[{"ErrorEquals":["States.ALL"],"Next":"framework-onTimeout-task"}],"End":true},
          "framework-onTimeout-task":{"Type":"Task","Resource":"${FrameworkOnTimeout.Arn}","End":true}}}
  Custom:
    Type: AWS::CloudFormation::CustomResource
    Properties:
      ServiceToken: !GetAtt FrameworkOnEvent.Arn
"""

PROVIDER_NODES = {
    "FrameworkOnEvent",
    "FrameworkIsComplete",
    "FrameworkOnTimeout",
    "Waiter",
    "UserOnEvent",
    "UserIsComplete",
}

# What the framework's grants and the waiter's definition say it starts (the onTimeout role is
# the isComplete role, so it may invoke both handlers too).
FRAMEWORK_EDGES = {
    "FrameworkOnEvent -invokes-> UserOnEvent",
    "FrameworkOnEvent -invokes-> UserIsComplete",
    "FrameworkOnEvent -invokes-> Waiter",
    "FrameworkIsComplete -invokes-> UserOnEvent",
    "FrameworkIsComplete -invokes-> UserIsComplete",
    "FrameworkOnTimeout -invokes-> UserOnEvent",
    "FrameworkOnTimeout -invokes-> UserIsComplete",
    "Waiter -invokes-> FrameworkIsComplete",
    "Waiter -invokes-> FrameworkOnTimeout",
}

TABLE = """
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
"""

API_FN = """
  ApiFn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      InlineCode: "def handler(e,c): pass"
      Events:
        Any: {Type: HttpApi, Properties: {Path: "/{proxy+}", Method: ANY}}
"""

HEAD = 'AWSTemplateFormatVersion: "2010-09-09"\n'
SAM = HEAD + "Transform: AWS::Serverless-2016-10-31\n"


def run(tmp_path: Path, text: str, name: str = "t.yaml") -> Analysis:
    path = tmp_path / name
    path.write_text(text)
    return scan([path])


def deploy_time(a: Analysis) -> set[str]:
    return {n.id for n in a.topology.nodes if n.deploy_time}


def verdict(a: Analysis) -> tuple[object, ...]:
    v = a.verdict
    return (v.level, v.serverless, v.scales_to_zero, v.architecture, v.monolith)


@pytest.mark.parametrize("provider_id", ["MyProvider", "Provider", "Nested/Deep/Waiting"])
def test_a_provider_next_to_a_table_is_no_business_compute(
    tmp_path: Path, provider_id: str
) -> None:
    """cr-provider-waiter.yaml: was serverless, distributed (4 units), monolith false."""
    a = run(tmp_path, HEAD + "Resources:" + TABLE + PROVIDER.replace("PROVIDER_ID", provider_id))
    assert deploy_time(a) == PROVIDER_NODES
    v = a.verdict
    assert (v.level, v.architecture, v.monolith) == ("no-compute", "none", None)
    # the framework invoking the handlers is no finding: helpers are never one's source
    assert [f for f in a.findings if f.rule == "lambda-calls-lambda"] == []


def test_a_provider_beside_a_lambdalith_changes_nothing(tmp_path: Path) -> None:
    """cr-provider-waiter-lambdalith.yaml against control-lambdalith.yaml: the provider was
    counted as four more units (distributed, monolith false)."""
    with_provider = run(
        tmp_path,
        SAM + "Resources:" + API_FN + PROVIDER.replace("PROVIDER_ID", "MyProvider"),
        "with.yaml",
    )
    control = run(tmp_path, SAM + "Resources:" + API_FN, "control.yaml")
    assert verdict(control) == ("serverless", True, True, "monolith-candidate", True)
    assert verdict(with_provider) == verdict(control)
    assert with_provider.verdict.architecture_reasons == control.verdict.architecture_reasons
    assert deploy_time(with_provider) == PROVIDER_NODES
    assert with_provider.findings == control.findings


def test_without_construct_paths_the_graph_alone_tells(tmp_path: Path) -> None:
    """A template without CDK metadata: the ServiceToken names the onEvent function, which
    starts the waiter, which runs the checker and the timeout function."""
    plain = "\n".join(line for line in PROVIDER.splitlines() if "aws:cdk:path" not in line)
    a = run(tmp_path, HEAD + "Resources:" + TABLE + plain)
    assert deploy_time(a) == PROVIDER_NODES
    assert a.verdict.architecture == "none"


def test_a_handler_also_behind_an_api_stays_runtime(tmp_path: Path) -> None:
    """The function given as on_event_handler also serves an API: it runs at runtime, and so
    is a unit; the rest of the provider is deploy-time."""
    text = SAM + "Resources:" + PROVIDER.replace("PROVIDER_ID", "MyProvider")
    text = text.replace(
        '    Properties: {Runtime: python3.12, Handler: a.handler, Role: !GetAtt Role.Arn, Code: {ZipFile: "def handler(e,c): pass"}}',
        "    Properties:\n"
        "      Runtime: python3.12\n      Handler: a.handler\n      Role: !GetAtt Role.Arn\n"
        '      Code: {ZipFile: "def handler(e,c): pass"}\n'
        "  UserOnEventPermission:\n    Type: AWS::Lambda::Permission\n"
        "    Properties: {Action: lambda:InvokeFunction, FunctionName: !Ref UserOnEvent, "
        "Principal: apigateway.amazonaws.com}\n"
        "  HttpApi:\n    Type: AWS::ApiGatewayV2::Api\n"
        "    Properties: {Name: api, ProtocolType: HTTP}\n"
        "  Integration:\n    Type: AWS::ApiGatewayV2::Integration\n"
        "    Properties: {ApiId: !Ref HttpApi, IntegrationType: AWS_PROXY, "
        "IntegrationUri: !GetAtt UserOnEvent.Arn, PayloadFormatVersion: '2.0'}\n"
        "  Route:\n    Type: AWS::ApiGatewayV2::Route\n"
        "    Properties: {ApiId: !Ref HttpApi, RouteKey: ANY /, "
        "Target: !Sub 'integrations/${Integration}'}",
    )
    a = run(tmp_path, text)
    assert edge_set(a) == FRAMEWORK_EDGES | {"HttpApi -triggers-> UserOnEvent"}
    assert deploy_time(a) == PROVIDER_NODES - {"UserOnEvent"}
    assert a.verdict.architecture == "monolith-candidate"
    assert "UserOnEvent" in a.verdict.architecture_reasons[0]


QUEUED = """
  Queue:
    Type: AWS::SQS::Queue
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties: {EventSourceArn: !GetAtt Queue.Arn, FunctionName: !Ref UserIsComplete}
"""


def test_a_checker_also_fed_by_a_queue_stays_runtime(tmp_path: Path) -> None:
    text = HEAD + "Resources:" + QUEUED + PROVIDER.replace("PROVIDER_ID", "MyProvider")
    a = run(tmp_path, text)
    assert deploy_time(a) == PROVIDER_NODES - {"UserIsComplete"}
    assert a.verdict.architecture != "none"


CHAIN = """
  Rule:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 hour)
      Targets: [{Id: t, Arn: !GetAtt Worker.Arn}]
  Worker:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: w.handler, Role: !GetAtt WorkerRole.Arn, Code: {ZipFile: "x"}}
  WorkerRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement: [{Effect: Allow, Action: lambda:InvokeFunction, Resource: !GetAtt UserOnEvent.Arn}]
"""


def test_what_a_runtime_function_invokes_stays_runtime_through_the_chain(tmp_path: Path) -> None:
    """A scheduled function invokes the on_event handler at runtime too: the handler runs at
    runtime, and so do the functions it invokes (here its own completion checker, by the
    handler's role) even though the framework invokes them as well."""
    text = HEAD + "Resources:" + CHAIN + PROVIDER.replace("PROVIDER_ID", "MyProvider")
    text = text.replace(
        "Handler: a.handler, Role: !GetAtt Role.Arn", "Handler: a.handler, Role: !GetAtt HRole.Arn"
    ) + (
        "  HRole:\n    Type: AWS::IAM::Role\n    Properties:\n"
        "      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: "
        "lambda.amazonaws.com}, Action: sts:AssumeRole}]}\n"
        "      Policies:\n        - PolicyName: p\n          PolicyDocument:\n"
        "            Statement: [{Effect: Allow, Action: lambda:InvokeFunction, "
        "Resource: !GetAtt UserIsComplete.Arn}]\n"
    )
    a = run(tmp_path, text)
    assert edge_set(a) == FRAMEWORK_EDGES | {
        "Rule -triggers-> Worker",
        "Worker -invokes-> UserOnEvent",
        "UserOnEvent -invokes-> UserIsComplete",
    }
    assert deploy_time(a) == PROVIDER_NODES - {"UserOnEvent", "UserIsComplete"}


HELPER_GRANT_ALL = """
  Helper:
    Type: AWS::Lambda::Function
    Metadata: {aws:cdk:path: App/AWS679f53fac002430cb0da5b7982bd2287/Resource}
    Properties: {Runtime: nodejs22.x, Handler: index.handler, Role: !GetAtt HelperRole.Arn, Code: {ZipFile: "x"}}
  HelperRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement: [{Effect: Allow, Action: lambda:InvokeFunction, Resource: "*"}]
  Business:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: b.handler, Role: arn:aws:iam::123456789012:role/b, Code: {ZipFile: "x"}}
"""


def test_a_helper_granted_every_function_makes_none_deploy_time(tmp_path: Path) -> None:
    """An AwsCustomResource whose policy allows lambda:InvokeFunction on "*": a weak edge to
    every function, which says what the helper may call, not that it is all that calls it."""
    a = run(tmp_path, HEAD + "Resources:" + HELPER_GRANT_ALL)
    assert edge_set(a) == {"Helper -invokes-> Business"}
    assert deploy_time(a) == {"Helper"}


def test_a_construct_named_like_a_framework_part_alone_is_no_provider(tmp_path: Path) -> None:
    """``framework-isComplete`` without an onEvent sibling is a user's construct id."""
    text = HEAD + (
        "Resources:\n  Checker:\n    Type: AWS::Lambda::Function\n"
        "    Metadata: {aws:cdk:path: App/Jobs/framework-isComplete/Resource}\n"
        "    Properties: {Runtime: python3.12, Handler: c.handler, "
        'Role: arn:aws:iam::123456789012:role/c, Code: {ZipFile: "x"}}\n'
    )
    a = run(tmp_path, text)
    assert deploy_time(a) == set()
    assert a.verdict.architecture != "none"


def test_functions_that_only_invoke_each_other_are_not_deploy_time(tmp_path: Path) -> None:
    """A helper's weak grant reaches two functions that invoke each other: nothing firm says a
    helper starts them."""
    loop = (
        "  LoopRole:\n    Type: AWS::IAM::Role\n    Properties:\n"
        "      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: "
        "lambda.amazonaws.com}, Action: sts:AssumeRole}]}\n"
        "      Policies:\n        - PolicyName: p\n          PolicyDocument:\n"
        "            Statement: [{Effect: Allow, Action: lambda:InvokeFunction, "
        "Resource: [!GetAtt Business.Arn, !GetAtt Other.Arn]}]\n"
        "  Other:\n    Type: AWS::Lambda::Function\n"
        "    Properties: {Runtime: python3.12, Handler: o.handler, Role: !GetAtt LoopRole.Arn, "
        'Code: {ZipFile: "x"}}\n'
    )
    text = (
        HEAD
        + "Resources:"
        + HELPER_GRANT_ALL.replace(
            "Role: arn:aws:iam::123456789012:role/b", "Role: !GetAtt LoopRole.Arn"
        )
        + loop
    )
    a = run(tmp_path, text)
    edges = {(e.source, e.target) for e in a.topology.edges}
    assert edges == {
        ("Helper", "Business"),
        ("Helper", "Other"),
        ("Business", "Other"),
        ("Other", "Business"),
        ("Business", "Business"),  # the loop role's grant names the function's own ARN
        ("Other", "Other"),
    }
    assert deploy_time(a) == {"Helper"}


def test_a_handler_handed_to_an_unseen_stack_stays_runtime(tmp_path: Path) -> None:
    """A nested stack out of scope is handed the on_event handler as a parameter: it may start
    it at runtime (the edge is added after the extractors, and is counted all the same)."""
    text = (
        SAM
        + "Resources:"
        + PROVIDER.replace("PROVIDER_ID", "MyProvider")
        + (
            "  EventSourceApp:\n    Type: AWS::Serverless::Application\n    Properties:\n"
            "      Location:\n"
            "        ApplicationId: arn:aws:serverlessrepo:us-east-1:123456789012:applications/poller\n"
            "        SemanticVersion: 2.0.0\n"
            "      Parameters: {ProcessorFunctionName: !Ref UserOnEvent}\n"
        )
    )
    a = run(tmp_path, text)
    sar = "ext:sar://arn:aws:serverlessrepo:us-east-1:123456789012:applications/poller@2.0.0"
    assert edge_set(a) == FRAMEWORK_EDGES | {f"{sar} -invokes-> UserOnEvent"}
    assert deploy_time(a) == PROVIDER_NODES - {"UserOnEvent"}


def test_a_provider_whose_custom_resources_live_elsewhere_is_known_by_its_parts(
    tmp_path: Path,
) -> None:
    """The provider's stack exports its ServiceToken and the custom resources are in another
    stack, not scanned: no ServiceToken in scope names the onEvent function. The construct
    ids of its parts say what it is, under any provider id, and the handlers only they start
    follow."""
    text = PROVIDER.replace("PROVIDER_ID", "MyProvider").split("  Custom:")[0]
    text += "Outputs:\n  Token:\n    Value: !GetAtt FrameworkOnEvent.Arn\n"
    text += "    Export: {Name: provider-token}\n"
    a = run(tmp_path, HEAD + "Resources:" + TABLE + text)
    assert deploy_time(a) == PROVIDER_NODES
    assert a.verdict.architecture == "none"


def test_a_waiter_whose_definition_is_unknown_is_known_by_its_id(tmp_path: Path) -> None:
    """The waiter's definition comes from S3 (no task seen), its functions have no edge from
    it: the framework's construct ids still make them deploy-time."""
    text = PROVIDER.replace("PROVIDER_ID", "MyProvider")
    start = text.index("      DefinitionString:")
    end = text.index("  Custom:")
    text = text[:start] + "      DefinitionS3Location: {Bucket: b, Key: k}\n" + text[end:]
    a = run(tmp_path, HEAD + "Resources:" + TABLE + text)
    assert edge_set(a) == {e for e in FRAMEWORK_EDGES if not e.startswith("Waiter ")}
    assert deploy_time(a) == PROVIDER_NODES
    assert a.verdict.architecture == "none"


# An AwsCustomResource (aws-cdk-lib/custom-resources): one SDK call at deploy time, made by the
# CDK singleton function AWS679f53fac002430cb0da5b7982bd2287. Its role's grants say what that one
# call touches, never that nothing else starts it: here it starts the state machine (or invokes
# the function) a function with provisioned concurrency behind.
APP_WITH_FLOOR = """
  AppFnRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]}
  AppFn:
    Type: AWS::Lambda::Function
    Metadata: {aws:cdk:path: Stack/AppFn/Resource}
    Properties: {Runtime: python3.12, Handler: a.h, Role: !GetAtt AppFnRole.Arn, Code: {ZipFile: x}}
  Version:
    Type: AWS::Lambda::Version
    Properties: {FunctionName: !Ref AppFn}
  Live:
    Type: AWS::Lambda::Alias
    Properties:
      FunctionName: !Ref AppFn
      FunctionVersion: !GetAtt Version.Version
      Name: live
      ProvisionedConcurrencyConfig: {ProvisionedConcurrentExecutions: 5}
"""

MACHINE = """
  MachineRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: states.amazonaws.com}, Action: sts:AssumeRole}]}
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement: [{Effect: Allow, Action: lambda:InvokeFunction, Resource: !GetAtt AppFn.Arn}]
  Machine:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      RoleArn: !GetAtt MachineRole.Arn
      DefinitionString: !Sub '{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"${AppFn.Arn}","End":true}}}'
"""

SDK_CALL = """
  SdkRole:
    Type: AWS::IAM::Role
    Metadata: {aws:cdk:path: Stack/AWS679f53fac002430cb0da5b7982bd2287/ServiceRole/Resource}
    Properties:
      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]}
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement: [{Effect: Allow, Action: GRANT}]
  SdkFn:
    Type: AWS::Lambda::Function
    Metadata: {aws:cdk:path: Stack/AWS679f53fac002430cb0da5b7982bd2287/Resource}
    Properties: {Runtime: nodejs20.x, Handler: index.handler, Role: !GetAtt SdkRole.Arn, Code: {ZipFile: x}}
  Warm:
    Type: CR_TYPE
    Metadata: {aws:cdk:path: Stack/Warm/Resource/Default}
    Properties:
      ServiceToken: !GetAtt SdkFn.Arn
      Create: '{"service":"StepFunctions","action":"startExecution"}'
"""

FLOOR = (
    "serverless-with-floor",
    True,
    False,
)


def _sdk_call(
    grant: str, cr_type: str = "Custom::AWS", cdk: bool = True, machine: bool = True
) -> str:
    text = HEAD + "Resources:" + APP_WITH_FLOOR + (MACHINE if machine else "")
    text += SDK_CALL.replace("CR_TYPE", cr_type)
    text = text.replace("Action: GRANT}", grant + "}")
    if not cdk:
        text = "\n".join(line for line in text.splitlines() if "aws:cdk:path" not in line)
    return text


@pytest.mark.parametrize("cdk", [True, False])
def test_an_sdk_call_helper_starting_a_machine_makes_nothing_deploy_time(
    tmp_path: Path, cdk: bool
) -> None:
    """review/deploytime/sfn.yaml: the helper's states:StartExecution on Machine made Machine
    and AppFn deploy-time: 'No compute in scope', AppFn's provisioned concurrency gone. Without
    construct paths the custom resource's type (Custom::AWS) says the same."""
    a = run(tmp_path, _sdk_call("Action: states:StartExecution, Resource: !Ref Machine", cdk=cdk))
    assert edge_set(a) == {"SdkFn -invokes-> Machine", "Machine -invokes-> AppFn"}
    assert deploy_time(a) == {"SdkFn"}
    assert verdict(a)[:3] == FLOOR
    assert [(c.node, c.kind) for c in a.verdict.idle_costs] == [
        ("AppFn", "provisioned-concurrency")
    ]
    # the helper starts it once while deploying: at runtime its trigger is outside the scan
    assert a.started_outside() == ["Machine"]


def test_an_sdk_call_helper_invoking_a_function_makes_nothing_deploy_time(tmp_path: Path) -> None:
    """review/deploytime/nourl.yaml: the helper invokes AppFn once at deploy (to warm it)."""
    grant = "Action: lambda:InvokeFunction, Resource: !GetAtt AppFn.Arn"
    a = run(tmp_path, _sdk_call(grant, machine=False))
    assert edge_set(a) == {"SdkFn -invokes-> AppFn"}
    assert deploy_time(a) == {"SdkFn"}
    assert verdict(a)[:3] == FLOOR
    assert a.started_outside() == ["AppFn"]


def test_a_user_provider_still_makes_what_it_alone_starts_deploy_time(tmp_path: Path) -> None:
    """A ServiceToken target of the user's own custom resource (not Custom::AWS, no CDK helper
    path) is a provider: the machine it alone starts, and the function that machine alone
    runs, are its deploy-time chain."""
    text = _sdk_call(
        "Action: states:StartExecution, Resource: !Ref Machine", "Custom::Seed", cdk=False
    )
    a = run(tmp_path, text)
    assert deploy_time(a) == {"SdkFn", "Machine", "AppFn"}
    assert verdict(a)[0] == "no-compute"


# truth4 cr-provider-also-scheduled (aws-waf-security-automations ReputationListsParser): the
# function a custom resource runs once at deploy is also the hourly target of a rule.
SCHEDULED_PROVIDER = """
  Feed:
    Type: AWS::SQS::Queue
  ParserRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement: [{Effect: Allow, Action: sqs:SendMessage, Resource: !GetAtt Feed.Arn}]
  Parser:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: !GetAtt ParserRole.Arn
      Code: {ZipFile: "def handler(e, c): pass"}
  HourlyRule:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 hour)
      Targets: [{Arn: TARGET, Id: parser}]
  RunOnLoad:
    Type: Custom::RunOnLoad
    Properties:
      ServiceToken: !GetAtt Parser.Arn
"""

PARSER_FLOOR = """
  ParserVersion:
    Type: AWS::Lambda::Version
    Properties: {FunctionName: !Ref Parser}
  ParserAlias:
    Type: AWS::Lambda::Alias
    Properties:
      FunctionName: !Ref Parser
      FunctionVersion: !GetAtt ParserVersion.Version
      Name: live
      ProvisionedConcurrencyConfig: {ProvisionedConcurrentExecutions: 5}
"""


def test_a_provider_function_also_on_a_schedule_stays_runtime(tmp_path: Path) -> None:
    """Was: Parser deploy-time, 'no business compute', its edges hidden, egress none."""
    text = HEAD + "Resources:" + SCHEDULED_PROVIDER.replace("TARGET", "!GetAtt Parser.Arn")
    a = run(tmp_path, text)
    assert edge_set(a) == {"HourlyRule -triggers-> Parser", "Parser -writes-> Feed"}
    assert deploy_time(a) == set()
    assert a.verdict.architecture == "single-service"
    assert a.boundary.egress == ("Feed",)


def test_a_provider_function_on_a_schedule_keeps_its_idle_cost(tmp_path: Path) -> None:
    """with-provisioned.yaml: was level serverless, scales to zero, no idle cost; it must read
    as with-provisioned-no-cr.yaml does."""
    text = HEAD + "Resources:" + SCHEDULED_PROVIDER + PARSER_FLOOR
    with_cr = run(tmp_path, text.replace("TARGET", "!Ref ParserAlias"), "cr.yaml")
    control = run(
        tmp_path,
        text.replace("TARGET", "!Ref ParserAlias").split("  RunOnLoad:")[0] + PARSER_FLOOR,
        "control.yaml",
    )
    assert verdict(control)[:3] == FLOOR
    assert verdict(with_cr) == verdict(control)
    assert deploy_time(with_cr) == set()
    assert [(c.node, c.kind) for c in with_cr.verdict.idle_costs] == [
        ("Parser", "provisioned-concurrency")
    ]


def test_a_provider_function_only_a_wildcard_grant_reaches_stays_deploy_time(
    tmp_path: Path,
) -> None:
    """A runtime function allowed lambda:InvokeFunction on "*" is a weak edge to every function,
    the provider's included: no evidence that it calls the provider, which stays deploy-time."""
    text = (
        HEAD
        + "Resources:"
        + HELPER_GRANT_ALL.replace(
            "aws:cdk:path: App/AWS679f53fac002430cb0da5b7982bd2287/Resource",
            "aws:cdk:path: App/Caller",
        ).replace("Helper", "Caller")
    )
    text += (
        "  Provider:\n    Type: AWS::Lambda::Function\n"
        "    Properties: {Runtime: python3.12, Handler: p.handler, "
        'Role: arn:aws:iam::123456789012:role/p, Code: {ZipFile: "x"}}\n'
        "  Seed:\n    Type: Custom::Seed\n    Properties: {ServiceToken: !GetAtt Provider.Arn}\n"
    )
    a = run(tmp_path, text)
    assert edge_set(a) == {"Caller -invokes-> Business", "Caller -invokes-> Provider"}
    assert deploy_time(a) == {"Provider"}


def test_a_provider_function_reading_a_bucket_stays_deploy_time(tmp_path: Path) -> None:
    """The corpus' stepfunction-redshift-batchexecutestatement-sam MyDeletionLambda: a
    ServiceToken target whose own role reads and writes a bucket. The bucket's ``reads`` edge is
    data it pulls, not something that starts it."""
    text = HEAD + (
        "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n"
        "  CleanRole:\n    Type: AWS::IAM::Role\n    Properties:\n"
        "      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: "
        "lambda.amazonaws.com}, Action: sts:AssumeRole}]}\n"
        "      Policies:\n        - PolicyName: p\n          PolicyDocument:\n"
        "            Statement: [{Effect: Allow, Action: [s3:GetObject, s3:DeleteObject], "
        "Resource: !Sub '${Bucket.Arn}/*'}]\n"
        "  Clean:\n    Type: AWS::Lambda::Function\n"
        "    Properties: {Runtime: python3.12, Handler: c.handler, Role: !GetAtt CleanRole.Arn, "
        'Code: {ZipFile: "x"}}\n'
        "  Empty:\n    Type: Custom::EmptyBucket\n"
        "    Properties: {ServiceToken: !GetAtt Clean.Arn, Bucket: !Ref Bucket}\n"
    )
    a = run(tmp_path, text)
    assert edge_set(a) == {"Bucket -reads-> Clean", "Clean -writes-> Bucket"}
    assert deploy_time(a) == {"Clean"}
    assert a.verdict.architecture == "none"
