"""Resources named by a literal name or ARN rather than by reference: a rule's ``EventBusName``,
IAM grants and Step Functions tasks on named buses, topics, queues and tables."""

from __future__ import annotations

from pathlib import Path

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
