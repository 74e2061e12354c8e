"""A reference to a name the template does not define (CloudFormation rejects such a
template) is read as unknown, and the report says so instead of staying silent."""

from __future__ import annotations

from pathlib import Path

from scan_helpers import edge_set, scan

TEMPLATE = """
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Code: {ZipFile: "def handler(e, c): pass"}
      Role: !GetAtt MissingRole.Arn
  Subscription:
    Type: AWS::SNS::Subscription
    Properties: {TopicArn: !Ref MissingTopic, Protocol: lambda, Endpoint: !GetAtt Fn.Arn}
"""


def test_undefined_references_are_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(TEMPLATE)
    a = scan([path])
    assert [w for w in a.verdict.warnings if "name nothing" in w] == [
        f"{path}: Fn::GetAtt MissingRole.Arn, Ref MissingTopic name nothing the template "
        "defines (no resource or parameter of that name): CloudFormation rejects it; iacscan "
        "read those values as unknown"
    ]
    # no topic to draw: the warning is what says why the function has no trigger
    assert edge_set(a) == set()


def test_defined_references_give_no_warning(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        TEMPLATE.replace("!GetAtt MissingRole.Arn", "arn:aws:iam::123456789012:role/r").replace(
            "!Ref MissingTopic", "!Ref Topic"
        )
        + "  Topic:\n    Type: AWS::SNS::Topic\n"
    )
    a = scan([path])
    assert not [w for w in a.verdict.warnings if "name nothing" in w]
    assert edge_set(a) == {"Topic -triggers-> Fn"}


def test_a_resource_without_type_names_the_likely_type_and_no_empty_place(tmp_path: Path) -> None:
    """A chalice fragment (resources without Type) beside a template: the hint guesses the type
    from the id and says what a fragment is; evidence with no place prints no "()"."""
    from scan_helpers import run_cli

    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "t.yaml").write_text(
        TEMPLATE.replace("!GetAtt MissingRole.Arn", "arn:aws:iam::123456789012:role/r").replace(
            "!Ref MissingTopic", "arn:aws:sns:us-east-1:123456789012:t"
        )
    )
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "fragment.json").write_text(
        '{"Resources": {"ApiHandlerRole": {"Properties": {"RoleName": "x"}}}}'
    )
    p = run_cli(str(tmp_path))
    assert p.returncode == 3
    assert (
        "hint: add its Type (AWS::IAM::Role?); if the file is a fragment another tool merges "
        "into a template, scan the template it makes instead"
    ) in p.stderr
    assert "()" not in p.stdout


def test_one_undefined_reference_is_said_in_the_singular(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(TEMPLATE.replace("!GetAtt MissingRole.Arn", "arn:aws:iam::123456789012:role/r"))
    a = scan([path])
    assert [w for w in a.verdict.warnings if "nothing the template" in w] == [
        f"{path}: Ref MissingTopic names nothing the template defines (no resource or parameter "
        "of that name): CloudFormation rejects it; iacscan read that value as unknown"
    ]
