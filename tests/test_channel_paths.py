"""A channel between compute units may pass through several channel nodes (topic -> queue,
bus -> rule, stream -> delivery stream): it is still a channel between them, so the app is not a
monolith-candidate. A path back into the unit it left is a loop inside one unit, not a channel
between units, whatever carries it (definitions.md, architecture label)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace

import pytest

from iacscan.classify.channels import channel_paths
from iacscan.model import Analysis
from scan_helpers import edge_set, scan

HEAD = """\
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {Runtime: python3.12, Handler: app.handler, CodeUri: src/}
Resources:
"""

# Web (behind an HTTP API) and Worker are two functions of one artifact: one group of copies.
WEB = """\
  Web:
    Type: AWS::Serverless::Function
    Properties:
      Policies: [POLICY]
      Events: {Get: {Type: HttpApi}}
"""

BETWEEN = {
    "topic-queue": (
        """\
  Topic: {Type: AWS::SNS::Topic}
  Jobs: {Type: AWS::SQS::Queue}
  JobsSub:
    Type: AWS::SNS::Subscription
    Properties: {TopicArn: !Ref Topic, Protocol: sqs, Endpoint: !GetAtt Jobs.Arn}
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Events: {Work: {Type: SQS, Properties: {Queue: !GetAtt Jobs.Arn}}}
""",
        "{SNSPublishMessagePolicy: {TopicName: !GetAtt Topic.TopicName}}",
        "Web -> Topic -> Jobs -> Worker",
    ),
    "bus-rule": (
        """\
  Bus: {Type: AWS::Events::EventBus, Properties: {Name: app}}
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Work:
          Type: EventBridgeRule
          Properties: {EventBusName: !Ref Bus, Pattern: {source: [app]}}
""",
        "{EventBridgePutEventsPolicy: {EventBusName: !Ref Bus}}",
        "Web -> Bus -> WorkerWork -> Worker",
    ),
    "default-bus-rule": (
        """\
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Events: {Work: {Type: EventBridgeRule, Properties: {Pattern: {source: [app]}}}}
""",
        "{EventBridgePutEventsPolicy: {EventBusName: default}}",
        "Web -> ext:default-event-bus -> WorkerWork -> Worker",
    ),
    "bus-rule-queue": (
        """\
  Bus: {Type: AWS::Events::EventBus, Properties: {Name: app}}
  Jobs: {Type: AWS::SQS::Queue}
  ToJobs:
    Type: AWS::Events::Rule
    Properties:
      EventBusName: !Ref Bus
      EventPattern: {source: [app]}
      Targets: [{Id: jobs, Arn: !GetAtt Jobs.Arn}]
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Events: {Work: {Type: SQS, Properties: {Queue: !GetAtt Jobs.Arn}}}
""",
        "{EventBridgePutEventsPolicy: {EventBusName: !Ref Bus}}",
        "Web -> Bus -> ToJobs -> Jobs -> Worker",
    ),
    "stream-firehose": (
        """\
  Stream: {Type: AWS::Kinesis::Stream, Properties: {ShardCount: 1}}
  Archive: {Type: AWS::S3::Bucket}
  Delivery:
    Type: AWS::KinesisFirehose::DeliveryStream
    Properties:
      DeliveryStreamType: KinesisStreamAsSource
      KinesisStreamSourceConfiguration:
        KinesisStreamARN: !GetAtt Stream.Arn
        RoleARN: arn:aws:iam::111122223333:role/firehose
      ExtendedS3DestinationConfiguration:
        BucketARN: !GetAtt Archive.Arn
        RoleARN: arn:aws:iam::111122223333:role/firehose
        ProcessingConfiguration:
          Enabled: true
          Processors:
            - Type: Lambda
              Parameters:
                - {ParameterName: LambdaArn, ParameterValue: !GetAtt Worker.Arn}
  Worker:
    Type: AWS::Serverless::Function
""",
        "{KinesisCrudPolicy: {StreamName: !Ref Stream}}",
        "Web -> Stream -> Delivery -> Worker",
    ),
}

LOOPS = {
    "queue": (
        "  Jobs: {Type: AWS::SQS::Queue}\n",
        "{SQSSendMessagePolicy: {QueueName: !GetAtt Jobs.QueueName}}",
        "{Type: SQS, Properties: {Queue: !GetAtt Jobs.Arn}}",
        "Web -> Jobs -> Web",
    ),
    "topic": (
        "  Topic: {Type: AWS::SNS::Topic}\n",
        "{SNSPublishMessagePolicy: {TopicName: !GetAtt Topic.TopicName}}",
        "{Type: SNS, Properties: {Topic: !Ref Topic}}",
        "Web -> Topic -> Web",
    ),
    "bus": (
        "  Bus: {Type: AWS::Events::EventBus, Properties: {Name: app}}\n",
        "{EventBridgePutEventsPolicy: {EventBusName: !Ref Bus}}",
        "{Type: EventBridgeRule, Properties: {EventBusName: !Ref Bus, Pattern: {source: [a]}}}",
        "Web -> Bus -> WebWork -> Web",
    ),
}


def _scan(tmp_path: Path, resources: str) -> Analysis:
    (tmp_path / "src").mkdir(exist_ok=True)
    (tmp_path / "src" / "app.py").write_text("def handler(event, context):\n    pass\n")
    path = tmp_path / "template.yaml"
    path.write_text(HEAD + resources)
    return scan([path])


@pytest.mark.parametrize("case", sorted(BETWEEN))
def test_a_channel_of_several_hops_is_a_channel_between_units(tmp_path: Path, case: str) -> None:
    rest, policy, path = BETWEEN[case]
    a = _scan(tmp_path, WEB.replace("POLICY", policy) + rest)
    hops = path.split(" -> ")
    assert set(zip(hops, hops[1:], strict=False)) <= {
        (e.source, e.target) for e in a.topology.edges
    }
    assert (a.verdict.architecture, a.verdict.monolith) == ("single-service", False)
    assert f"connected through {path}" in a.verdict.architecture_reasons
    assert not any("no queue, topic" in r for r in a.verdict.architecture_reasons)


@pytest.mark.parametrize("case", sorted(LOOPS))
def test_a_unit_looping_through_a_channel_is_one_unit(tmp_path: Path, case: str) -> None:
    """The same for a queue, a topic and a bus: work a unit hands to itself is not a channel
    between compute units, and the reasons show the loop."""
    channel, policy, event, path = LOOPS[case]
    web = (
        "  Web:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        f"      Policies: [{policy}]\n"
        f"      Events: {{Get: {{Type: HttpApi}}, Work: {event}}}\n"
    )
    a = _scan(tmp_path, channel + web)
    assert (a.verdict.architecture, a.verdict.monolith) == ("monolith-candidate", True)
    assert any(r.startswith(f"{path}: ") and "loop" in r for r in a.verdict.architecture_reasons)


def test_invokers_are_triggers_and_invokes_only(tmp_path: Path) -> None:
    """A table the function reads does not invoke it, and says nothing about a monolith."""
    a = _scan(
        tmp_path,
        """\
  Jobs: {Type: AWS::SQS::Queue}
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Policies: [{DynamoDBReadPolicy: {TableName: !Ref Table}}]
      Events: {Work: {Type: SQS, Properties: {Queue: !GetAtt Jobs.Arn}}}
""",
    )
    assert {"Jobs -triggers-> Worker", "Table -reads-> Worker"} <= edge_set(a)
    assert a.verdict.architecture == "single-service"
    assert "not a monolith: invoked by Jobs" in a.verdict.architecture_reasons
    assert not any("Table" in r for r in a.verdict.architecture_reasons)


def test_a_polled_queue_is_read_from_not_an_invoker() -> None:
    a = scan(["fixtures/templates/ecs-ec2-fixed-count.yaml"])
    assert "JobsQueue -reads-> WorkerService" in edge_set(a)
    assert "not a monolith: reads from JobsQueue" in a.verdict.architecture_reasons
    assert not any("invoked by" in r for r in a.verdict.architecture_reasons)


def _graph(
    edges: list[tuple[str, str]], units: set[str]
) -> tuple[dict[str, SimpleNamespace], dict[str, list[SimpleNamespace]]]:
    nodes = {}
    out: dict[str, list[SimpleNamespace]] = defaultdict(list)
    for s, t in edges:
        for n in (s, t):
            role = "compute" if n in units else "router" if n.startswith("rule") else "channel"
            nodes[n] = SimpleNamespace(id=n, role=role, type="")
        out[s].append(SimpleNamespace(source=s, target=t, kind="triggers"))
    return nodes, out


def test_a_large_fan_in_and_fan_out_is_searched_once() -> None:
    """2,000 units writing one bus whose 2,000 rules each start one of them: a search from each
    unit would walk 4 million steps; the one search keeps two starting units per node, enough to
    tell that every unit is reached from another one."""
    n = 2000
    units = {f"u{i:04}" for i in range(n)}
    edges = [(u, "bus") for u in sorted(units)]
    edges += [("bus", f"rule{i:04}") for i in range(n)]
    edges += [(f"rule{i:04}", f"u{i:04}") for i in range(n)]
    nodes, out = _graph(edges, units)
    found = channel_paths(units, nodes, out)
    # each rule keeps the first two units that reached it: u0000 and u0001
    assert found.between[:2] == (("u0000", "bus", "rule0001", "u0001"),) + (
        ("u0000", "bus", "rule0002", "u0002"),
    )
    assert found.between_total == 2 * n - 2  # u0000 and u0001 reach all others
    assert found.loops_total == 0


def test_a_long_chain_and_a_loop() -> None:
    """A chain of 3,000 queues between two units, and a unit looping through a topic."""
    chain = [f"q{i:04}" for i in range(3000)]
    edges = [("a", chain[0]), *zip(chain, chain[1:], strict=False), (chain[-1], "b")]
    edges += [("c", "topic"), ("topic", "c")]
    nodes, out = _graph(edges, {"a", "b", "c"})
    found = channel_paths({"a", "b", "c"}, nodes, out)
    assert found.between == (("a", *chain, "b"),)
    assert found.loops == (("c", "topic", "c"),)
