"""CloudFormation macros iacscan does not run (every Transform but AWS::Serverless and
AWS::LanguageExtensions, a Fn::Transform under Resources, an AWS::Include not read) rewrite the
template at deploy time: what they add is unseen, so it is shown and weakens the verdict."""

from __future__ import annotations

from pathlib import Path

from scan_helpers import edge_set, node_roles, scan

SAM_WITH_MACROS = """
AWSTemplateFormatVersion: '2010-09-09'
Transform: [AWS::Serverless-2016-10-31, DatadogServerless, ExpandToFleet]
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      InlineCode: "def handler(e,c): pass"
      Events:
        Api: {Type: HttpApi}
"""

FUNCTION = """
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: a.h
      Role: arn:aws:iam::123456789012:role/x
      Code: {ZipFile: x}
"""


def _macro_note(file: Path, name: str, line: int) -> str:
    return (
        f"{file.name} is processed by macro {name} at deploy time ({file}:{line}): CloudFormation "
        "deploys what the macro returns, which iacscan does not run or see; scan the deployed "
        "stack (stack:NAME reads its processed template) to see what it adds or changes"
    )


def test_macros_of_a_sam_template_are_unseen_and_undecide_the_level(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(SAM_WITH_MACROS)
    a = scan([path])
    assert node_roles(a) == {
        "Fn": "compute",
        "ServerlessHttpApi": "ingress",
        "ext:macro DatadogServerless": "external",
        "ext:macro ExpandToFleet": "external",
    }
    assert edge_set(a) == {"ServerlessHttpApi -triggers-> Fn"}
    notes = {n.id: n.properties["note"] for n in a.topology.nodes if n.id.startswith("ext:")}
    assert notes == {
        "ext:macro DatadogServerless": _macro_note(path, "DatadogServerless", 3),
        "ext:macro ExpandToFleet": _macro_note(path, "ExpandToFleet", 3),
    }
    assert a.verdict.level == "indeterminate"
    assert a.verdict.serverless is None
    assert a.verdict.cases is not None
    assert (a.verdict.cases.best, a.verdict.cases.worst) == ("serverless", "not-serverless")
    assert set(a.verdict.cases.missing) == {
        f"what macro DatadogServerless adds to or changes in {path.name}: not in scope",
        f"what macro ExpandToFleet adds to or changes in {path.name}: not in scope",
    }
    assert [w for w in a.verdict.warnings if "macro" in w] == [
        f"{path}: macros DatadogServerless, ExpandToFleet rewrite the template at deploy time; "
        "iacscan does not run them, so whatever they add or change (servers included) is not "
        "in this report"
    ]


def test_a_macro_may_create_what_the_template_references(tmp_path: Path) -> None:
    """A review repro (undef/macro2.yaml): the topic the subscription names may be the macro's."""
    path = tmp_path / "macro2.yaml"
    path.write_text(
        "AWSTemplateFormatVersion: '2010-09-09'\nTransform: [MyOrgMacro]\nResources:\n"
        "  Sub:\n    Type: AWS::SNS::Subscription\n    Properties:\n"
        "      TopicArn: !Ref MacroMadeTopic\n      Protocol: lambda\n"
        "      Endpoint: !GetAtt Fn.Arn\n" + FUNCTION
    )
    a = scan([path])
    assert node_roles(a) == {"Fn": "compute", "ext:macro MyOrgMacro": "external"}
    assert a.verdict.warnings == (
        f"{path}: macro MyOrgMacro rewrites the template at deploy time; iacscan does not run "
        "it, so whatever it adds or changes (servers included) is not in this report",
        f"{path}: Ref MacroMadeTopic names nothing the template defines (no resource or "
        "parameter of that name); macro MyOrgMacro may create it at deploy time; iacscan "
        "read that value as unknown",
    )
    assert not any("rejects" in w for w in a.verdict.warnings)
    assert a.verdict.level == "indeterminate"
    assert a.verdict.cases is not None
    assert (a.verdict.cases.best, a.verdict.cases.worst) == ("serverless", "not-serverless")


def test_an_include_under_resources_is_unseen_not_a_resource_without_type(tmp_path: Path) -> None:
    """A review repro (undef/macro.yaml): CloudFormation inserts the snippet's resources."""
    path = tmp_path / "macro.yaml"
    path.write_text(
        "Resources:\n" + FUNCTION + "  Fn::Transform:\n    Name: AWS::Include\n"
        "    Parameters: {Location: s3://bucket/snippet.yaml}\n"
    )
    a = scan([path])
    assert a.errors == ()
    assert node_roles(a) == {
        "Fn": "compute",
        "ext:include s3://bucket/snippet.yaml": "external",
    }
    assert a.verdict.level == "indeterminate"
    assert a.verdict.cases is not None
    assert (a.verdict.cases.best, a.verdict.cases.worst) == ("serverless", "not-serverless")


def test_a_storage_only_template_with_a_macro_may_still_hold_servers(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("Transform: Count\nResources:\n  Q: {Type: AWS::SQS::Queue}\n")
    a = scan([path])
    assert a.verdict.level == "indeterminate"
    assert a.verdict.cases is not None
    assert (a.verdict.cases.best, a.verdict.cases.worst) == ("no-compute", "not-serverless")


def test_a_macro_on_a_value_is_a_warning_and_an_unknown_value(tmp_path: Path) -> None:
    """A Fn::Transform inside a resource replaces only that value (CloudFormation hands the
    macro the mapping it sits in): it adds no resource, so the level stands; the value is
    unknown, and the report says why."""
    path = tmp_path / "t.yaml"
    path.write_text(
        "Resources:\n" + FUNCTION + "      Environment:\n        Variables:\n          Upper:\n"
        "            Fn::Transform: {Name: String, Parameters: {InputString: a, Operation: Upper}}\n"
    )
    a = scan([path])
    assert node_roles(a) == {"Fn": "compute"}
    assert a.verdict.level == "serverless"
    assert a.verdict.warnings == (
        f"{path}: Fn::Transform runs macro String at deploy time on values of Fn ({path}:13); "
        "iacscan does not run it and reads those values as unknown",
    )


def test_serverless_and_language_extensions_are_applied_not_warned(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        SAM_WITH_MACROS.replace("DatadogServerless, ExpandToFleet", "AWS::LanguageExtensions")
    )
    a = scan([path])
    assert a.verdict.level == "serverless"
    assert a.verdict.warnings == ()
    assert not any(n.id.startswith("ext:") for n in a.topology.nodes)


def test_a_macro_computing_a_resources_properties_undecides_its_level(tmp_path: Path) -> None:
    """BillingMode may come from the include: the CloudFormation default (provisioned) is not
    what is deployed for sure."""
    path = tmp_path / "t.yaml"
    path.write_text(
        """
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      Fn::Transform: {Name: AWS::Include, Parameters: {Location: s3://b/billing.yaml}}
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Code: {ZipFile: x}
      Role: arn:aws:iam::123456789012:role/r
""",
        encoding="utf-8",
    )
    a = scan([str(path)])
    assert a.verdict.level == "indeterminate"
    assert a.verdict.cases is not None
    assert (a.verdict.cases.best, a.verdict.cases.worst) == ("serverless", "serverless-with-floor")
    assert a.verdict.cases.missing == (
        "Table: its values after AWS::Include of s3://b/billing.yaml runs",
    )
    assert not a.verdict.idle_costs  # no "PROVISIONED, the CloudFormation default"


def test_transforms_aws_hosts_with_a_known_output_do_not_undecide(tmp_path: Path) -> None:
    """AWS::SecretsManager-2020-07-23 adds a rotation function: shown, no servers."""
    path = tmp_path / "t.yaml"
    path.write_text(
        "Transform: AWS::SecretsManager-2020-07-23\nResources:\n"
        "  Secret:\n    Type: AWS::SecretsManager::Secret\n"
        "    Properties: {GenerateSecretString: {}}\n" + FUNCTION
    )
    a = scan([path])
    assert a.verdict.level == "serverless"
    node = next(n for n in a.topology.nodes if n.id.startswith("ext:macro"))
    assert node.properties.get("unknown") is True and not node.properties.get("may_hide_compute")
    assert "adds a secret rotation function" in str(node.properties.get("note"))
    assert [w for w in a.verdict.warnings if "SecretsManager" in w] == [
        f"{path}: transform AWS::SecretsManager-2020-07-23 adds a secret rotation function (an "
        "AWS Lambda function, billed per invocation) at deploy time; iacscan does not run it "
        "(no servers: see 'Not in scope')"
    ]
