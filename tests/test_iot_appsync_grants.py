"""Grants that move data into IoT and AppSync: ``iot:Publish`` reaches the topic rules whose
filter matches the topic (or goes to the devices subscribed to it, outside the scan);
``appsync:GraphQL`` writes to an API for a mutation and reads from it for a query."""

from __future__ import annotations

from pathlib import Path

import pytest

from iacscan.topology.iot_topics import published_topic, reaches, topic_filter
from scan_helpers import edge_set, scan

TEMPLATE = """
Resources:
  Publisher:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Code: {ZipFile: "def handler(e, c): pass"}
      Role: !GetAtt PublisherRole.Arn
  PublisherRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: iot:Publish
                Resource: !Sub "arn:${AWS::Partition}:iot:${AWS::Region}:${AWS::AccountId}:topic/sensors/room1/temp"
              - Effect: Allow
                Action: iot:Publish
                Resource: !Sub "arn:${AWS::Partition}:iot:${AWS::Region}:${AWS::AccountId}:topic/commands/device42"
              - Effect: Allow
                Action: iot:Publish
                Resource: !Sub "arn:${AWS::Partition}:iot:${AWS::Region}:${AWS::AccountId}:topic/ops/*"
              - Effect: Allow
                Action: appsync:GraphQL
                Resource: !Sub "${Api.Arn}/types/Mutation/*"
              - Effect: Allow
                Action: appsync:GraphQL
                Resource: !Sub "${Reports.Arn}/types/Query/fields/report"
  Api:
    Type: AWS::AppSync::GraphQLApi
    Properties: {Name: a, AuthenticationType: AWS_IAM}
  Reports:
    Type: AWS::AppSync::GraphQLApi
    Properties: {Name: r, AuthenticationType: AWS_IAM}
  TempRule:
    Type: AWS::IoT::TopicRule
    Properties:
      TopicRulePayload:
        Sql: "SELECT * FROM 'sensors/+/temp'"
        Actions: [{Lambda: {FunctionArn: !GetAtt Consumer.Arn}}]
  OpsRule:
    Type: AWS::IoT::TopicRule
    Properties:
      TopicRulePayload:
        Sql: "SELECT * FROM 'ops/#' WHERE level > 3"
        Actions: [{Lambda: {FunctionArn: !GetAtt Consumer.Arn}}]
  AlertRule:
    Type: AWS::IoT::TopicRule
    Properties:
      TopicRulePayload:
        Sql: "SELECT * FROM 'alerts/#'"
        Actions: [{Lambda: {FunctionArn: !GetAtt Consumer.Arn}}]
  Consumer:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Code: {ZipFile: "def handler(e, c): pass"}
      Role: arn:aws:iam::123456789012:role/consumer
"""


def test_publish_reaches_matching_rules_and_graphql_follows_the_operation(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(TEMPLATE)
    a = scan([path])
    assert edge_set(a) == {
        "Publisher -writes-> TempRule",  # sensors/room1/temp matches sensors/+/temp
        "Publisher -writes-> OpsRule",  # ops/* may match ops/#: weak
        "Publisher -writes-> ext:iot-topic commands/device42",  # no rule: devices
        "Publisher -writes-> Api",  # a mutation
        "Reports -reads-> Publisher",  # a query
        "TempRule -triggers-> Consumer",
        "OpsRule -triggers-> Consumer",
        "AlertRule -triggers-> Consumer",
    }
    weak = {(e.source, e.target) for e in a.topology.edges if all(v.weak for v in e.via)}
    assert weak == {("Publisher", "OpsRule")}
    temp = next(e for e in a.topology.edges if e.target == "TempRule" and e.kind == "writes")
    assert temp.via[0].what.startswith("IAM iot:Publish") and temp.via[0].line == 19
    assert "ext:iot-topic commands/device42" in a.boundary.egress


@pytest.mark.parametrize(
    ("topic", "filter_", "known", "expected"),
    [
        ("sensors/room1/temp", "sensors/+/temp", True, "strong"),
        ("sensors/room1/temp", "sensors/#", True, "strong"),
        ("sensors", "sensors/#", True, "strong"),  # '#' also matches the parent level
        ("sensors/room1/temp", "sensors/+", True, None),
        ("sensors/room1", "sensors/+/temp", True, None),
        ("alerts/x", "sensors/#", True, None),
        ("sensors/*", "sensors/+/temp", True, "weak"),  # an IAM wildcard spans levels
        ("sens*", "sensors/a", True, "weak"),
        ("ops/*", "alerts/#", True, None),
        ("*", "anything/at/all", True, "weak"),
        ("sensors/room1/temp", "sensors/+/temp", False, "weak"),  # part known at deploy time
        ("sensors/*/temp", "sensors/room1/humidity", True, None),  # the suffix must fit too
        ("sensors/*/temp", "sensors/+/temp", True, "weak"),
        ("sensors/*/temp", "sensors/#", True, "weak"),
        ("a/*", "a", True, None),  # "a/" and more, never "a" itself
        ("a?", "a/b", True, None),  # "?" is one character, never a level separator for "+"...
        ("a?b", "a/b", True, "weak"),  # ...but it may be "/" itself
        ("$aws/rules/ingest", "#", True, None),  # Basic Ingest goes to a rule by its name
        ("a*" * 200, "a/" * 100 + "a", True, "weak"),  # longer than any MQTT topic: not searched
        ("a*" * 60 + "b", "a/" * 60 + "a", True, None),  # searched within the bound: no "b"
        ("a*" * 60 + "a", "a/" * 60 + "a", True, "weak"),
    ],
)
def test_topic_reaches_filter(topic: str, filter_: str, known: bool, expected: str | None) -> None:
    assert reaches(topic, filter_, known) == expected


def test_topics_and_filters_from_arns_and_sql() -> None:
    assert published_topic("arn:aws:iot:eu-west-1:123456789012:topic/a/b") == "a/b"
    assert published_topic("*") == "*"
    assert published_topic("arn:aws:sqs:eu-west-1:123456789012:q") is None
    # an IoT policy variable is only known when a device connects
    assert published_topic("arn:aws:iot:r:1:topic/things/${iot:ClientId}/out") == "things/*/out"
    assert topic_filter("select * from 'a/+/c' where x = 1") == ("a/+/c", True)
    assert topic_filter("SELECT 1") is None


RULES = """
Parameters:
  HookUrl: {Type: String}
  HookHost: {Type: String}
Resources:
  Stream:
    Type: AWS::Kinesis::Stream
    Properties: {Name: alleycat, StreamModeDetails: {StreamMode: ON_DEMAND}}
  Ingest:
    Type: AWS::IoT::TopicRule
    Properties:
      TopicRulePayload:
        Sql: "SELECT * FROM 'devices/+/data'"
        Actions:
          - Kinesis: {StreamName: alleycat, RoleArn: arn:aws:iam::123456789012:role/iot}
          - Firehose: {DeliveryStreamName: archive, RoleArn: arn:aws:iam::123456789012:role/iot}
          - Republish: {Topic: "alerts/${topic(2)}", RoleArn: arn:aws:iam::123456789012:role/iot}
          - Republish: {Topic: "echo/out", RoleArn: arn:aws:iam::123456789012:role/iot}
          - Http: {Url: "https://hooks.example.com/iot"}
          - Http: {Url: !Ref HookUrl}  # from a parameter: an unknown node
          - Http: {Url: !Sub "https://${HookHost}/ingest"}
  Alerts:
    Type: AWS::IoT::TopicRule
    Properties:
      TopicRulePayload:
        Sql: "SELECT * FROM 'alerts/#'"
        Actions:
          - Lambda: {FunctionArn: !GetAtt Alerter.Arn}
  Alerter:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Code: {ZipFile: "def handler(e, c): pass"}
      Role: arn:aws:iam::123456789012:role/fn
"""


def test_iot_rule_actions_name_their_targets(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(RULES)
    a = scan([path])
    assert edge_set(a) == {
        "Ingest -triggers-> Stream",  # by its plain name, the only form a Kinesis action takes
        "Ingest -triggers-> ext:arn:${AWS::Partition}:firehose:${AWS::Region}:${AWS::AccountId}:deliverystream/archive",
        "Ingest -triggers-> Alerts",  # republished to alerts/...: the rule listening there
        "Ingest -triggers-> ext:iot-topic echo/out",  # republished to devices
        "Ingest -triggers-> ext:https://hooks.example.com/iot",
        "Ingest -triggers-> ext:parameter HookUrl",
        "Ingest -triggers-> ext:https://${?}/ingest",
        "Alerts -triggers-> Alerter",
    }
    weak = {(e.source, e.target) for e in a.topology.edges if all(v.weak for v in e.via)}
    assert weak == {("Ingest", "Alerts")}  # ${topic(2)} is known only when a message comes
    # devices publish to every rule's topic, whatever else in scope republishes there
    assert set(a.boundary.ingress) == {"Ingest", "Alerts"}


INGEST = """
Resources:
  Sink:
    Type: AWS::SQS::Queue
  Direct:
    Type: AWS::IoT::TopicRule
    Properties:
      RuleName: direct_rule
      TopicRulePayload:
        Sql: "SELECT * FROM 'unused/topic'"
        RuleDisabled: "false"
        Actions: [{Sqs: {QueueUrl: !Ref Sink, RoleArn: arn:aws:iam::123456789012:role/iot}}]
  Disabled:
    Type: AWS::IoT::TopicRule
    Properties:
      TopicRulePayload:
        Sql: "SELECT * FROM 'metrics/#'"
        RuleDisabled: "true"
        Actions: [{Sqs: {QueueUrl: !Ref Sink, RoleArn: arn:aws:iam::123456789012:role/iot}}]
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
              - {Effect: Allow, Action: iot:Publish, Resource: "arn:aws:iot:us-east-1:123456789012:topic/$aws/rules/direct_rule"}
              - {Effect: Allow, Action: iot:Publish, Resource: "arn:aws:iot:us-east-1:123456789012:topic/metrics/cpu"}
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Code: {ZipFile: "def handler(e, c): pass"}
      Role: !GetAtt Role.Arn
"""


def test_basic_ingest_and_disabled_rules(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(INGEST)
    a = scan([path])
    assert edge_set(a) == {
        "Fn -writes-> Direct",  # $aws/rules/direct_rule: the rule by its name
        "Fn -writes-> ext:iot-topic metrics/cpu",  # the only rule there is disabled ("true")
        "Direct -triggers-> Sink",
        "Disabled -triggers-> Sink",
    }


APPSYNC = """
Parameters:
  BackendUrl: {Type: String}
  CreateOrderArn: {Type: String}
  OrdersTableName: {Type: String}
Resources:
  AuthFn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Code: {ZipFile: "def handler(e, c): pass"}
      Role: arn:aws:iam::123456789012:role/fn
  Api:
    Type: AWS::AppSync::GraphQLApi
    Properties:
      Name: api
      AuthenticationType: AWS_IAM
      AdditionalAuthenticationProviders:
        - AuthenticationType: AWS_LAMBDA
          LambdaAuthorizerConfig: {AuthorizerUri: !GetAtt AuthFn.Arn}
  Weather:
    Type: AWS::AppSync::DataSource
    Properties:
      ApiId: !GetAtt Api.ApiId
      Name: Weather
      Type: HTTP
      HttpConfig: {Endpoint: "https://api.open-meteo.com/"}
  Backend:
    Type: AWS::AppSync::DataSource
    Properties:
      ApiId: !GetAtt Api.ApiId
      Name: Backend
      Type: HTTP
      HttpConfig: {Endpoint: !Ref BackendUrl}
  Orders:
    Type: AWS::AppSync::DataSource
    Properties:
      ApiId: !GetAtt Api.ApiId
      Name: Orders
      Type: AMAZON_DYNAMODB
      DynamoDBConfig: {TableName: !Ref OrdersTableName, AwsRegion: !Ref AWS::Region}
  Create:
    Type: AWS::AppSync::DataSource
    Properties:
      ApiId: !GetAtt Api.ApiId
      Name: Create
      Type: AWS_LAMBDA
      LambdaConfig: {LambdaFunctionArn: !Ref CreateOrderArn}
"""


def test_appsync_authorizers_and_data_sources_outside_the_scan(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(APPSYNC)
    a = scan([path])
    assert edge_set(a) == {
        "Api -triggers-> AuthFn",
        "Api -triggers-> ext:https://api.open-meteo.com",
        "Api -triggers-> ext:parameter BackendUrl",
        "Api -triggers-> ext:parameter OrdersTableName",
        "Api -triggers-> ext:parameter CreateOrderArn",
    }
    assert {"ext:https://api.open-meteo.com", "ext:parameter CreateOrderArn"} <= set(
        a.boundary.egress
    )


WEBSOCKET = """
Resources:
  Ws:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: ws, ProtocolType: WEBSOCKET, RouteSelectionExpression: "$request.body.action"}
  Integ:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Ws
      IntegrationType: AWS_PROXY
      IntegrationUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Send.Arn}/invocations
  Route:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Ws, RouteKey: sendmessage, Target: !Sub "integrations/${Integ}"}
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
              - {Effect: Allow, Action: execute-api:ManageConnections, Resource: !Sub "arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${Ws}/*"}
  Send:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Code: {ZipFile: "def handler(e, c): pass"}
      Role: !GetAtt Role.Arn
"""


def test_websocket_replies_leave_by_the_api(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(WEBSOCKET)
    a = scan([path])
    assert edge_set(a) == {"Ws -triggers-> Send", "Send -writes-> Ws"}
    assert set(a.boundary.ingress) == {"Ws"} and set(a.boundary.egress) == {"Ws"}


@pytest.mark.parametrize(
    ("rule_name", "topic", "expected"),
    [
        ("direct_rule", "$aws/rules/direct_rule", ("Direct", False)),
        (None, "$aws/rules/direct_rule", ("Direct", True)),  # a name CloudFormation generates
        ("!Ref Name", "$aws/rules/direct_rule", ("Direct", True)),  # a name from a parameter
        ("direct_rule", "$aws/rules/*", ("Direct", True)),
        ("direct_rule", "$aws/*", ("Direct", True)),
        ("other_rule", "$aws/rules/direct_rule", ("ext:iot-topic $aws/rules/direct_rule", False)),
    ],
)
def test_basic_ingest_names_the_rule(
    tmp_path: Path, rule_name: str | None, topic: str, expected: tuple[str, bool]
) -> None:
    text = INGEST.replace(
        '"arn:aws:iot:us-east-1:123456789012:topic/$aws/rules/direct_rule"',
        f'"arn:aws:iot:us-east-1:123456789012:topic/{topic}"',
    )
    name_line = "      RuleName: direct_rule\n"
    text = text.replace(name_line, f"      RuleName: {rule_name}\n" if rule_name else "")
    text = "Parameters:\n  Name: {Type: String}\n" + text
    path = tmp_path / "t.yaml"
    path.write_text(text)
    a = scan([path])
    out = {
        (e.target, all(v.weak for v in e.via))
        for e in a.topology.edges
        if e.source == "Fn" and "metrics" not in e.target
    }
    assert out == {expected}
