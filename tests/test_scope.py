"""Issue 13, points 1 and 2: what the scan cannot see is shown; capacity is drawn, not counted."""

from __future__ import annotations

from pathlib import Path

import pytest

from iacscan.load.cfn import decode_text
from iacscan.load.nested_match import file_name
from iacscan.model import Template
from iacscan.render.dot import render_dot
from iacscan.render.markdown import render_markdown
from iacscan.render.mermaid import render_mermaid
from iacscan.render.text import render_text
from iacscan.resolve import Unknown, pseudo_token, unknown_token
from iacscan.topology.unseen import outside_values
from scan_helpers import node_roles, scan

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "fixtures" / "templates"


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ({"Fn::Sub": "${TemplatesBucketUrl}/01-vpc.yaml"}, "01-vpc.yaml"),
        ({"Fn::Sub": ["${Bucket}/nested/app.template", {"Bucket": "x"}]}, "app.template"),
        ({"Fn::Join": ["/", [{"Ref": "Url"}, "02-app.yml"]]}, "02-app.yml"),
        ("https://s3.amazonaws.com/bucket/path/db.json?versionId=3", "db.json"),
        ({"Fn::Sub": "${Url}/${Name}.yaml"}, None),  # the file name itself is computed
        ("sar://arn:aws:serverlessrepo:us-east-1:1:applications/x@1.0", None),
        ("https://example.com/templates/", None),
        ({"Fn::Join": ["", [{"Ref": "Url"}, {"Ref": "Name"}]]}, None),
    ],
)
def test_the_file_name_of_a_remote_template_url(url: object, name: str | None) -> None:
    assert file_name(url) == name


def test_a_template_nested_by_another_is_not_analysed_again_as_a_root() -> None:
    a = scan([ROOT / "fixtures" / "multi" / "nested"])
    assert node_roles(a) == {
        "EventsTopic": "channel",
        "parent/Workers/ArchiveQueue": "channel",
        "parent/Workers/WorkerFunction": "compute",
    }
    assert any("child.yaml is included as a nested stack" in n for n in a.notes), a.notes


def test_a_nested_template_is_found_by_file_name_in_the_scanned_folder(tmp_path: Path) -> None:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "root.yaml").write_text(
        "Parameters:\n  Url: {Type: String}\nResources:\n  App:\n"
        "    Type: AWS::CloudFormation::Stack\n"
        '    Properties: {TemplateURL: !Sub "${Url}/app.yaml"}\n'
    )
    (tmp_path / "stacks" / "app.yaml").write_text(
        "Resources:\n  Web:\n    Type: AWS::EC2::Instance\n    Properties: {ImageId: ami-1}\n"
    )
    alone = scan([tmp_path / "root.yaml"])  # not beside it, and no folder scanned
    assert node_roles(alone) == {"ext:${Url}/app.yaml": "external"}
    assert alone.verdict.level == "indeterminate"  # the unseen app.yaml may hold servers
    assert alone.verdict.cases is not None
    assert (alone.verdict.cases.best, alone.verdict.cases.worst) == ("no-compute", "not-serverless")
    assert "${Url}/app.yaml" in alone.verdict.summary
    folder = scan([tmp_path])
    assert node_roles(folder) == {"root/App/Web": "compute"}
    assert folder.verdict.level == "not-serverless"
    assert any("(in the scanned folder) has the same file name" in n for n in folder.notes)


def test_several_templates_of_that_name_are_not_guessed_between(tmp_path: Path) -> None:
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "app.yaml").write_text("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n")
    (tmp_path / "root.yaml").write_text(
        "Parameters:\n  Url: {Type: String}\nResources:\n  App:\n"
        "    Type: AWS::CloudFormation::Stack\n"
        '    Properties: {TemplateURL: !Sub "${Url}/app.yaml"}\n'
    )
    a = scan([tmp_path])
    assert "ext:${Url}/app.yaml" in node_roles(a)
    assert not any(n.startswith("root/App/") for n in node_roles(a))


def test_repeated_keys_keep_the_last_value_only_when_asked() -> None:
    text = "Parameters:\n  P:\n    Type: String\n    Type: Number\nResources: {}\n"
    warnings: list[str] = []
    data = decode_text(text, "t.yaml", warnings=warnings)
    assert data["Parameters"]["P"]["Type"] == "Number"
    assert warnings == [
        "t.yaml:4: key 'Type' repeats the one at line 3; analysed with the last value, as "
        "CloudFormation deploys it (cfn-lint and some AWS CLI versions reject the template: "
        "remove one of them)"
    ]
    from iacscan.errors import InputParseError

    with pytest.raises(InputParseError):
        decode_text(text, "t.yaml")


def test_text_and_markdown_list_what_is_not_in_scope() -> None:
    a = scan([TEMPLATES / "scope-outside-targets.yaml"])
    text = render_text(a, color=False, width=200)
    section = text.split("Not in scope (4)", 1)[1].split("Findings", 1)[0]
    assert "- ext:parameter OrdersBusArn: comes from parameter OrdersBusArn" in section
    assert "- ext:import shipping-ShipmentsQueueArn: imported as shipping-ShipmentsQueueArn" in (
        section
    )
    markdown = render_markdown(a).split("#### Not in scope", 1)[1].split("####", 1)[0]
    assert "- ext:parameter OrdersBusArn: comes from parameter OrdersBusArn" in markdown


def test_diagrams_draw_capacity_as_running_what_it_runs() -> None:
    a = scan([TEMPLATES / "capacity-ecs-services.yaml"])
    ids = sorted(n.id for n in a.topology.nodes)
    alias = {node_id: f"n{i}" for i, node_id in enumerate(ids, start=1)}
    mermaid = render_mermaid(a.topology)
    assert f"    {alias['Hosts']} -. runs .-> {alias['Orders']}" in mermaid
    assert f"    {alias['HostCapacity']} -. runs .-> {alias['Orders']}" in mermaid
    assert f"-. runs .-> {alias['Reports']}" not in mermaid
    dot = render_dot(a.topology)
    assert (
        f'    {alias["Hosts"]} -> {alias["Orders"]} [label="runs", style="dotted", '
        'arrowhead="none"];'
    ) in dot


def test_values_from_outside_are_named_by_what_is_known() -> None:
    bucket = unknown_token("parameter Bucket has no default")
    partition = pseudo_token("AWS::Partition")
    objects = f"arn:{partition}:s3:::{bucket}/*"
    assert [w for w, _ in outside_values(objects)] == ["arn:${AWS::Partition}:s3:::${Bucket}"]
    fn = unknown_token("parameter FnArn has no default")
    uri = f"arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/{fn}/invocations"
    assert [w for w, _ in outside_values(uri)] == ["parameter FnArn"]
    imported = Unknown("import shared-bus is not exported by a stack in scope")
    assert [w for w, _ in outside_values([imported])] == ["import shared-bus"]
    # unknown for another reason (a condition, a computed name): not claimed to be outside
    assert list(outside_values(Unknown("condition is unknown"))) == []
    assert list(outside_values(unknown_token("Fn::GetAtt with a computed name") + "-x")) == []


def _if_root(tmp_path: Path, then: str, other: str, environment: str) -> Path:
    """eijikominami/aws-cloudformation-templates web-servers: the TemplateURL picks a bucket
    (or a template) by a condition."""
    (tmp_path / "root.yaml").write_text(
        f"Parameters:\n  Environment: {{Type: String{environment}}}\n"
        "Conditions:\n  Development: !Equals [!Ref Environment, development]\n"
        "Resources:\n  Child:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n"
        f"      TemplateURL: !If [Development, {then}, {other}]\n"
    )
    return tmp_path


BOX = "Resources:\n  Box:\n    Type: AWS::EC2::Instance\n    Properties: {ImageId: ami-1}\n"
QUEUE = "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n"


@pytest.mark.parametrize("environment", [", Default: production", ""])
def test_a_template_url_whose_branches_name_one_file_loads_it(
    tmp_path: Path, environment: str
) -> None:
    _if_root(
        tmp_path,
        "https://s3.amazonaws.com/my-test-bucket/web/child.yaml",
        "https://s3.amazonaws.com/my-bucket/web/child.yaml",
        environment,  # the condition known or not: both branches name child.yaml
    )
    (tmp_path / "child.yaml").write_text(BOX)
    a = scan([tmp_path])
    assert a.systems == ()
    assert node_roles(a) == {"root/Child/Box": "compute"}
    assert a.verdict.level == "not-serverless"
    assert [n for n in a.notes if "has the same file name" in n] == [
        "nested stack Child: its TemplateURL is remote or filled at deploy time; "
        f"{tmp_path / 'child.yaml'} (beside the including template) has the same file name, "
        f"child.yaml, and was loaded as its template ({tmp_path / 'root.yaml'}:7)"
    ]


def test_a_template_url_if_loads_the_branch_its_condition_selects(tmp_path: Path) -> None:
    _if_root(tmp_path, "https://b/dev.yaml", "https://b/prod.yaml", ", Default: production")
    (tmp_path / "dev.yaml").write_text(QUEUE)
    (tmp_path / "prod.yaml").write_text(BOX)
    a = scan([tmp_path / "root.yaml"])
    assert node_roles(a) == {"root/Child/Box": "compute"}
    assert a.verdict.level == "not-serverless"
    flipped = _if_root(
        tmp_path, "https://b/dev.yaml", "https://b/prod.yaml", ", Default: development"
    )
    assert node_roles(scan([flipped / "root.yaml"])) == {"root/Child/Q": "channel"}


def test_a_template_url_if_between_two_files_on_an_unknown_condition_is_unseen(
    tmp_path: Path,
) -> None:
    _if_root(tmp_path, "https://b/dev.yaml", "https://b/prod.yaml", "")  # no default
    (tmp_path / "dev.yaml").write_text(QUEUE)
    (tmp_path / "prod.yaml").write_text(BOX)
    a = scan([tmp_path / "root.yaml"])
    assert node_roles(a) == {"ext:nested stack Child": "external"}
    assert a.verdict.level == "indeterminate"
    node = next(n for n in a.topology.nodes if n.id == "ext:nested stack Child")
    assert node.properties["note"] == (
        "nested stack Child: its template (<computed TemplateURL>) is not in scope, so the "
        "resources it deploys are not analysed; its TemplateURL names dev.yaml or prod.yaml by "
        "condition Development, which is not known here (a parameter without a default, or a "
        "value known only at deploy time), and iacscan does not guess which one it deploys"
    )
    assert "put the template file beside" not in node.properties["note"]


def test_the_hint_for_an_unseen_nested_template_never_asks_for_a_file_already_there(
    tmp_path: Path,
) -> None:
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "app.yaml").write_text(QUEUE)
    (tmp_path / "root.yaml").write_text(
        "Parameters:\n  Url: {Type: String}\nResources:\n  App:\n"
        "    Type: AWS::CloudFormation::Stack\n"
        '    Properties: {TemplateURL: !Sub "${Url}/app.yaml"}\n'
    )
    a = scan([tmp_path])
    node = next(n for n in a.topology.nodes if n.id == "ext:${Url}/app.yaml")
    assert node.properties["note"] == (
        "nested stack App: its template (${Url}/app.yaml) is not in scope, so the resources it "
        "deploys are not analysed; there are several templates named app.yaml in the scanned "
        "folder, and iacscan does not guess which one it deploys"
    )


@pytest.mark.parametrize(
    ("expr", "value"),
    [
        ({"Fn::Equals": [{"Ref": "Env"}, "prod"]}, True),
        ({"Fn::Equals": [{"Ref": "Given"}, "x"]}, True),  # given by a parent: wins
        ({"Fn::Equals": [{"Ref": "Open"}, "x"]}, None),  # no default
        ({"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}, None),
        ({"Fn::Equals": [{"Ref": "Flag"}, "true"]}, True),  # YAML true is "true"
        ({"Fn::Not": [{"Condition": "IsProd"}]}, False),
        ({"Fn::And": [{"Condition": "IsProd"}, {"Fn::Equals": [{"Ref": "Open"}, "x"]}]}, None),
        ({"Fn::And": [{"Fn::Not": [{"Condition": "IsProd"}]}, {"Condition": "Open"}]}, False),
        ({"Fn::Or": [{"Condition": "IsProd"}, {"Condition": "Open"}]}, True),
        ({"Fn::Or": [{"Fn::Not": [{"Condition": "IsProd"}]}, {"Condition": "Open"}]}, None),
        ({"Condition": "Loop"}, None),  # a cycle: unknown, never a hang
    ],
)
def test_the_loader_reads_a_condition_only_from_literal_values(expr: object, value: object) -> None:
    from iacscan.load.nested_match import condition
    from iacscan.model import Template

    t = Template(
        "s",
        "s.yaml",
        "template",
        {},
        parameters={
            "Env": {"Type": "String", "Default": "prod"},
            "Open": {"Type": "String"},
            "Flag": {"Type": "String", "Default": True},
            "Given": {"Type": "String", "Default": "y"},
        },
        parameter_values={"Given": "x"},
        conditions={
            "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
            "Open": {"Fn::Equals": [{"Ref": "Open"}, "x"]},
            "Loop": {"Condition": "Loop"},
            "Tested": expr,
        },
    )
    assert condition("Tested", t) is value


def test_conditions_that_refer_to_each_other_are_worked_out_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """C_k is Fn::And of ten C_{k-1}: without remembering what is worked out, 10^k steps."""
    from iacscan.load import nested_match

    conditions: dict[str, object] = {"C0": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}}
    for k in range(1, 15):
        conditions[f"C{k}"] = {"Fn::And": [{"Condition": f"C{k - 1}"}] * 10}
    conditions["Loop"] = {"Fn::Not": [{"Condition": "Loop"}]}
    template = Template(
        "t",
        "t.yaml",
        "cloudformation",
        {},
        parameters={"Env": {"Type": "String", "Default": "prod"}},
        conditions=conditions,
    )
    calls = 0
    real = nested_match._condition

    def counted(*args: object) -> bool | None:
        nonlocal calls
        calls += 1
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(nested_match, "_condition", counted)
    assert nested_match.condition("C14", template) is True
    assert calls < 500, calls
    assert nested_match.condition("Loop", template) is None  # refers to itself: unknown
