"""Resources named by a literal name or ARN rather than by reference: a rule's ``EventBusName``,
IAM grants and Step Functions tasks on named buses, topics, queues and tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from iacscan.model import Analysis
from scan_helpers import edge_set, scan

RULE_ON_NAMED_BUS = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Bus: {Type: AWS::Events::EventBus, Properties: {Name: OrdersBus}}
  Producer:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      InlineCode: "def handler(e, c): pass"
      Events: {Get: {Type: HttpApi}}
      Policies: [{EventBridgePutEventsPolicy: {EventBusName: OrdersBus}}]
  Consumer:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: other.handler
      InlineCode: "def handler(e, c): print(e)"
      Events:
        OnOrder:
          Type: EventBridgeRule
          Properties: {EventBusName: BUS, Pattern: {source: [orders]}}
"""


def _write(tmp_path: Path, text: str) -> str:
    template = tmp_path / "template.yaml"
    template.write_text(text)
    return str(template)


def test_a_rule_on_a_bus_named_by_its_name_is_fed_by_that_bus(tmp_path: Path) -> None:
    a = scan([_write(tmp_path, RULE_ON_NAMED_BUS.replace("BUS", "OrdersBus"))])
    assert {
        "Producer -writes-> Bus",
        "Bus -triggers-> ConsumerOnOrder",
        "ConsumerOnOrder -triggers-> Consumer",
    } <= edge_set(a)
    assert set(a.boundary.ingress) == {"ServerlessHttpApi"}
    assert set(a.boundary.egress) == set()


def test_a_rule_on_a_bus_named_by_a_literal_arn_is_fed_by_that_bus(tmp_path: Path) -> None:
    arn = '"arn:aws:events:us-east-1:123456789012:event-bus/OrdersBus"'
    a = scan([_write(tmp_path, RULE_ON_NAMED_BUS.replace("BUS", arn))])
    assert "Bus -triggers-> ConsumerOnOrder" in edge_set(a)
    assert set(a.boundary.ingress) == {"ServerlessHttpApi"}


NAMED_OUTSIDE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      InlineCode: "def handler(e, c): pass"
      Events: {Get: {Type: HttpApi}}
      Policies:
        - EventBridgePutEventsPolicy: {EventBusName: OrdersBus}
        - SNSPublishMessagePolicy: {TopicName: alerts-topic}
        - DynamoDBReadPolicy: {TableName: config-table}
        - Statement:
            - {Effect: Allow, Action: sqs:SendMessage, Resource: arn:aws:sqs:us-east-1:123456789012:jobs}
            - Effect: Allow
              Action: dynamodb:PutItem
              Resource: !Sub "arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/Orders"
            - {Effect: Allow, Action: sqs:SendMessage, Resource: "arn:aws:sqs:*:*:*"}
            - {Effect: Allow, Action: dynamodb:PutItem, Resource: !Sub "arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/*"}
            - {Effect: Allow, Action: sns:Publish, Resource: "*"}
"""
_PLACE = "${AWS::Region}:${AWS::AccountId}"
BUS = "ext:arn:${AWS::Partition}:events:" + _PLACE + ":event-bus/OrdersBus"
TOPIC = "ext:arn:${AWS::Partition}:sns:" + _PLACE + ":alerts-topic"
CONFIG = "ext:arn:${AWS::Partition}:dynamodb:" + _PLACE + ":table/config-table"
QUEUE = "ext:arn:aws:sqs:us-east-1:123456789012:jobs"
ORDERS = "ext:arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/Orders"


def test_channels_and_stores_named_outside_the_scope_are_external_nodes(tmp_path: Path) -> None:
    a = scan([_write(tmp_path, NAMED_OUTSIDE)])
    assert edge_set(a) == {
        "ServerlessHttpApi -triggers-> Api",
        f"Api -writes-> {BUS}",
        f"Api -writes-> {TOPIC}",
        f"Api -writes-> {QUEUE}",
        f"Api -writes-> {ORDERS}",
        f"{CONFIG} -reads-> Api",  # read-only, drawn as an in-scope table's read is
    }
    nodes = {n.id: n for n in a.topology.nodes}
    assert {nodes[i].role for i in (BUS, TOPIC, QUEUE, ORDERS, CONFIG)} == {"external"}
    assert all(nodes[i].properties.get("unknown") is True for i in (BUS, TOPIC, QUEUE, ORDERS))
    assert "a queue named jobs" in str(nodes[QUEUE].properties.get("note"))
    assert set(a.boundary.egress) == {BUS, TOPIC, QUEUE, ORDERS}
    assert set(a.boundary.ingress) == {"ServerlessHttpApi", CONFIG}
    # outside channels and stores are not compute: the verdict stands
    assert (a.verdict.level, a.verdict.architecture) == ("serverless", "monolith-candidate")


def test_a_name_in_scope_links_to_the_resource_not_to_an_external(tmp_path: Path) -> None:
    text = NAMED_OUTSIDE + (
        "  Jobs: {Type: AWS::SQS::Queue, Properties: {QueueName: jobs}}\n"
        "  Alerts: {Type: AWS::SNS::Topic, Properties: {TopicName: alerts-topic}}\n"
    )
    a = scan([_write(tmp_path, text)])
    assert {"Api -writes-> Jobs", "Api -writes-> Alerts"} <= edge_set(a)
    assert not {QUEUE, TOPIC} & {n.id for n in a.topology.nodes}


def test_a_rule_on_a_bus_named_outside_the_scope_is_fed_by_an_external(tmp_path: Path) -> None:
    text = RULE_ON_NAMED_BUS.replace("BUS", "OrdersBus").replace(
        "  Bus: {Type: AWS::Events::EventBus, Properties: {Name: OrdersBus}}\n", ""
    )
    a = scan([_write(tmp_path, text)])
    assert {f"Producer -writes-> {BUS}", f"{BUS} -triggers-> ConsumerOnOrder"} <= edge_set(a)


STATE_MACHINE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      Type: EXPRESS
      Events: {Api: {Type: Api, Properties: {Path: /go, Method: post}}}
      Policies: []
      Definition:
        StartAt: Put
        States:
          Put:
            Type: Task
            Resource: arn:aws:states:::events:putEvents
            Parameters:
              Entries: [{EventBusName: OrdersBus, Source: orders, DetailType: x, Detail: {a: 1}}]
            Next: Send
          Send:
            Type: Task
            Resource: arn:aws:states:::sqs:sendMessage
            Parameters:
              QueueUrl: https://sqs.us-east-1.amazonaws.com/123456789012/jobs
              MessageBody: {a: 1}
            Next: Save
          Save:
            Type: Task
            Resource: arn:aws:states:::dynamodb:putItem
            Parameters: {TableName: Config, Item: {pk: {S: x}}}
            End: true
  Config:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: Config
      BillingMode: PAY_PER_REQUEST
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
"""


def test_step_functions_tasks_on_named_targets(tmp_path: Path) -> None:
    a = scan([_write(tmp_path, STATE_MACHINE)])
    url = "ext:https://sqs.us-east-1.amazonaws.com/123456789012/jobs"
    assert edge_set(a) == {
        "ServerlessRestApi -triggers-> Flow",
        f"Flow -writes-> {BUS}",
        f"Flow -writes-> {url}",
        "Flow -writes-> Config",
    }
    assert set(a.boundary.egress) == {BUS, url, "Config"}


API_TO_TABLE = """
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: config-table
      BillingMode: PAY_PER_REQUEST
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
  ApiRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Version: "2012-10-17", Statement: []}
      Policies:
        - PolicyName: ddb
          PolicyDocument:
            Statement: [{Effect: Allow, Action: dynamodb:UpdateItem, Resource: GRANTED}]
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Body:
        swagger: "2.0"
        info: {title: t}
        paths:
          /config:
            post:
              x-amazon-apigateway-integration:
                type: aws
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:dynamodb:action/UpdateItem
                credentials: !GetAtt ApiRole.Arn
                requestTemplates:
                  application/json: '{"TableName": "NAME", "Key": {"pk": {"S": "x"}}}'
"""


def _api(tmp_path: Path, name: str, granted: str) -> Analysis:
    return scan([_write(tmp_path, API_TO_TABLE.replace("NAME", name).replace("GRANTED", granted))])


def test_an_api_integration_names_its_table_literally(tmp_path: Path) -> None:
    a = _api(tmp_path, "config-table", '"arn:aws:s3:::x"')
    assert edge_set(a) == {"Api -triggers-> Table"}
    (edge,) = a.topology.edges
    assert not any(v.weak for v in edge.via)
    assert set(a.boundary.egress) == {"Table"}


def test_an_unmatched_api_integration_falls_back_to_its_role_grants(tmp_path: Path) -> None:
    a = _api(tmp_path, "unknown-table", "!GetAtt Table.Arn")
    assert edge_set(a) == {"Api -triggers-> Table"}
    (edge,) = a.topology.edges
    assert all(v.weak for v in edge.via)  # granted, not named


def test_an_api_integration_with_no_target_found_leaves_a_note(tmp_path: Path) -> None:
    a = _api(tmp_path, "unknown-table", '"arn:aws:s3:::x"')
    assert edge_set(a) == set()
    assert any("POST /config" in n and "not in the topology" in n for n in a.notes)


NAMED_COMPUTE = """
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]}
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
              - {Effect: Allow, Action: lambda:InvokeFunction, Resource: !Sub "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:billing"}
              - {Effect: Allow, Action: states:StartExecution, Resource: "arn:aws:states:us-east-1:123456789012:stateMachine:orders"}
              - {Effect: Allow, Action: states:StartExecution, Resource: !Sub "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:${AWS::AccountId}-flow"}
              - {Effect: Allow, Action: lambda:InvokeFunction, Resource: "arn:aws:lambda:*:*:function:*"}
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Handler: i.h, Runtime: python3.12, Role: !GetAtt Role.Arn, Code: {ZipFile: x}}
  Flow:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      StateMachineName: !Sub "${AWS::AccountId}-flow"
      RoleArn: arn:aws:iam::123456789012:role/sfn
      Definition: {StartAt: W, States: {W: {Type: Wait, Seconds: 1, End: true}}}
"""


def test_functions_and_state_machines_named_outside_the_scope_are_external_nodes(
    tmp_path: Path,
) -> None:
    """A function or state machine named by ARN and defined nowhere in scope is shown (it is
    serverless whatever it runs: the level stays); one whose name holds the account and
    region, with ``${AWS::Partition}`` in its ARN, is the one in scope."""
    a = scan([_write(tmp_path, NAMED_COMPUTE)])
    billing = "ext:arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:billing"
    orders = "ext:arn:aws:states:us-east-1:123456789012:stateMachine:orders"
    assert {e for e in edge_set(a) if e.startswith("Fn ")} == {
        f"Fn -invokes-> {billing}",
        f"Fn -invokes-> {orders}",
        "Fn -invokes-> Flow",
    }
    nodes = {n.id: n for n in a.topology.nodes}
    assert nodes[billing].type == "AWS::Lambda::Function" and nodes[billing].role == "external"
    assert nodes[orders].type == "AWS::StepFunctions::StateMachine"
    assert a.verdict.level == "serverless"


def test_rules_on_a_bus_from_outside_stay_ingress_when_the_system_also_writes_it() -> None:
    """Other stacks put events on a bus defined outside the scan whatever this one writes: its
    rules are ways in, as the default bus's are (they stopped being once a function here
    published to it)."""
    path = Path(__file__).resolve().parent / "data" / "shared_outside_bus.yaml"
    a = scan([str(path)])
    bus = "ext:arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/SharedBus"
    assert {f"Producer -writes-> {bus}", f"{bus} -triggers-> ConsumerOnOrder"} <= edge_set(a)
    assert set(a.boundary.ingress) == {"ConsumerOnOrder", "ServerlessHttpApi"}


def test_an_outside_functions_aliases_are_one_node_and_executions_none() -> None:
    """``function:pricing:prod`` and ``function:pricing`` are one function; an execution ARN
    names a run of a state machine, not a resource."""
    path = Path(__file__).resolve().parent / "data" / "outside_function_alias.yaml"
    a = scan([str(path)])
    assert edge_set(a) == {
        "Fn -invokes-> ext:arn:aws:lambda:us-east-1:1:function:pricing",
        "Fn -invokes-> ext:arn:aws:states:us-east-1:1:stateMachine:other-flow",
    }
    assert [f.rule for f in a.findings].count("lambda-calls-lambda") == 1


def test_a_launcher_of_an_outside_state_machine_says_the_work_runs_outside() -> None:
    """The only function starts a state machine defined elsewhere (a launcher, not a unit): the
    label is no "no business compute" without saying that the work runs outside the scan."""
    path = Path(__file__).resolve().parent / "data" / "launcher_of_outside_state_machine.yaml"
    a = scan([str(path)])
    assert a.verdict.architecture == "none"
    assert "it starts compute defined outside the scan" in a.verdict.summary
    assert any("outside the scan" in r for r in a.verdict.architecture_reasons)


CDK_IMPORTED_BUCKET = """
Resources:
  ProcessUploaded:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: nodejs22.x
      Handler: index.main
      Role: arn:aws:iam::123456789012:role/r
      Code: {ZipFile: "exports.main=async()=>{}"}
  Notifications:
    Type: Custom::S3BucketNotifications
    Properties:
      ServiceToken: arn:aws:lambda:us-east-1:123456789012:function:cdk-notifications-handler
      BucketName: BUCKET
      NotificationConfiguration:
        LambdaFunctionConfigurations:
          - Events: ["s3:ObjectCreated:*"]
            LambdaFunctionArn: !GetAtt ProcessUploaded.Arn
      Managed: false
"""


@pytest.mark.parametrize(
    ("bucket", "source"),
    [
        ("wisaw-img-test", "ext:arn:${AWS::Partition}:s3:::wisaw-img-test"),
        ("!Ref Imported", "ext:parameter Imported"),
    ],
)
def test_cdk_notifications_of_an_imported_bucket(tmp_path: Path, bucket: str, source: str) -> None:
    """CDK's notifications on a bucket the app imports (Bucket.fromBucketName): the bucket is
    outside the scan, its trigger is not (it had no edge at all)."""
    path = tmp_path / "t.yaml"
    text = CDK_IMPORTED_BUCKET.replace("BUCKET", bucket)
    if bucket.startswith("!Ref"):
        text = "Parameters:\n  Imported: {Type: String}\n" + text
    path.write_text(text)
    a = scan([path])
    assert edge_set(a) == {f"{source} -triggers-> ProcessUploaded"}
    assert set(a.boundary.ingress) == {source}
