"""Monorepos: templates that nothing links are separate systems, each with its own verdict."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from iacscan.action_runner import systems_changed
from iacscan.diff import diff_analyses
from iacscan.render.json_report import analysis_to_dict, diff_to_dict
from scan_helpers import edge_set, run_cli, scan

ROOT = Path(__file__).resolve().parent.parent
T = ROOT / "fixtures" / "templates"

WILDCARD_CALLER = """
Resources:
  CallerFunction:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: !GetAtt CallerRole.Arn
      Code: {ZipFile: "def handler(e, c): pass"}
  CallerRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Version: "2012-10-17", Statement: []}
      Policies:
        - PolicyName: all
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - {Effect: Allow, Action: ["lambda:InvokeFunction", "sqs:SendMessage"], Resource: "*"}
  Api:
    Type: AWS::Lambda::Url
    Properties: {AuthType: NONE, TargetFunctionArn: !GetAtt CallerFunction.Arn}
"""

OTHER_APP = """
Resources:
  Jobs:
    Type: AWS::SQS::Queue
  WorkerFunction:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: arn:aws:iam::123456789012:role/worker
      Code: {ZipFile: "def handler(e, c): pass"}
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties: {EventSourceArn: !GetAtt Jobs.Arn, FunctionName: !Ref WorkerFunction}
"""


def _repo(tmp_path: Path) -> Path:
    (tmp_path / "caller").mkdir(parents=True)
    (tmp_path / "caller" / "template.yaml").write_text(WILDCARD_CALLER)
    (tmp_path / "worker").mkdir()
    (tmp_path / "worker" / "template.yaml").write_text(OTHER_APP)
    shutil.copy(T / "ec2-asg-behind-alb.yaml", tmp_path / "web.yaml")
    return tmp_path


def test_unlinked_templates_are_separate_systems(tmp_path: Path) -> None:
    a = scan([str(_repo(tmp_path))])
    names = {s.name: s for s in a.systems}
    assert set(names) == {"caller/template", "web", "worker/template"}
    assert {n: s.verdict.level for n, s in names.items()} == {
        "caller/template": "serverless",
        "worker/template": "serverless",
        "web": "not-serverless",
    }
    assert set(names["worker/template"].nodes) == {
        "worker/template/Jobs",
        "worker/template/WorkerFunction",
    }
    # the summary verdict is the worst system's, and says so
    assert a.verdict.level == "not-serverless" and a.verdict.serverless is False
    assert a.verdict.monolith is None and a.verdict.architecture == "distributed"
    assert a.verdict.summary.startswith("3 unlinked systems by johnston-2023")
    data = analysis_to_dict(a)
    assert [s["name"] for s in data["systems"]] == ["caller/template", "web", "worker/template"]
    assert data["systems"][1]["verdict"]["level"] == "not-serverless"


def test_wildcard_iam_never_joins_two_systems(tmp_path: Path) -> None:
    a = scan([str(_repo(tmp_path))])
    edges = edge_set(a)
    assert "caller/template/CallerFunction -invokes-> worker/template/WorkerFunction" not in edges
    assert "caller/template/CallerFunction -writes-> worker/template/Jobs" not in edges
    assert not any(f.rule == "lambda-calls-lambda" for f in a.findings)
    # the same two templates configured as one system: the wildcard reaches across again
    joined = scan_grouped(_repo(tmp_path / "joined"), [["caller/*", "worker/*"]])
    assert "caller/template/CallerFunction -invokes-> worker/template/WorkerFunction" in edge_set(
        joined
    )
    assert {s.name for s in joined.systems} == {"caller/template (+1 linked)", "web"}


def scan_grouped(folder: Path, systems: list[list[str]]) -> object:
    import os

    from iacscan.analysis import analyze
    from iacscan.classify.profile import load_profile
    from iacscan.load.discover import load_paths
    from iacscan.load.iam_actions import action_table

    here = Path.cwd()
    os.chdir(folder)
    try:
        loaded = load_paths(["."])
        return analyze(
            loaded.templates,
            profile=load_profile("johnston-2023"),
            actions=action_table(),
            inputs=loaded.inputs,
            errors=loaded.errors,
            systems=systems,
        )
    finally:
        os.chdir(here)


def test_linked_templates_stay_one_system() -> None:
    for folder in ("cross-stack", "ssm-wiring", "nested"):
        a = scan([str(ROOT / "fixtures" / "multi" / folder)])
        assert a.systems == (), folder
        assert "systems" not in analysis_to_dict(a)


def test_the_gate_trips_when_any_system_trips(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    run = run_cli("scan", str(repo), "--fail-on", "not-serverless", "--format", "json")
    assert run.returncode == 1, run.stderr
    assert {s["verdict"]["serverless"] for s in json.loads(run.stdout)["systems"]} == {
        True,
        False,
    }


def test_a_diff_names_the_system_whose_level_moved(tmp_path: Path) -> None:
    base = _repo(tmp_path / "base")
    head = _repo(tmp_path / "head")
    shutil.copy(T / "ecs-ec2-fixed-count.yaml", head / "worker" / "template.yaml")
    before, after = scan([str(base)]), scan([str(head)])
    d = diff_analyses(before, after)
    assert any(
        s.startswith("System worker/template: serverless -> not-serverless") for s in d.summary
    ), d.summary
    assert not any(s.startswith("System caller/template") for s in d.summary)
    assert [c.name for c in d.systems_changed] == ["worker/template"]
    changes = diff_to_dict(d)["changes"]
    assert systems_changed(changes) == ["worker/template"]  # the Action's output


def test_a_pull_request_adding_an_unlinked_template_leaves_the_first_system_as_it_was(
    tmp_path: Path,
) -> None:
    """Base has one template (one system: no ``systems`` list, its stack named ``template``);
    head adds an unlinked one with the same file name in another folder. The first system
    continues, under the same node ids: only the new one is added, nothing is removed."""
    sides = {
        "base": [("worker", OTHER_APP)],
        "head": [("worker", OTHER_APP), ("caller", WILDCARD_CALLER)],
    }
    for side, folders in sides.items():
        for folder, text in folders:
            (tmp_path / side / folder).mkdir(parents=True)
            (tmp_path / side / folder / "template.yaml").write_text(text)
    for base, head, added, removed in (
        ("base", "head", "after", "before"),
        ("head", "base", "before", "after"),
    ):
        run = run_cli("diff", str(tmp_path / base), str(tmp_path / head), "--format", "json")
        assert run.returncode == 0, run.stderr
        changes = json.loads(run.stdout)["changes"]
        assert [(s["name"], s[removed], bool(s[added])) for s in changes["systems"]] == [
            ("caller/template", None, True)
        ]
        nodes = changes["nodes"]
        moved = set(nodes["added"]) | set(nodes["removed"])
        assert moved == {"caller/template/CallerFunction", "caller/template/Api"}, nodes


def test_configured_paths_are_scanned_when_none_are_given(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / ".iacscan.yaml").write_text("paths: [worker]\n")
    run = run_cli("scan", "--format", "json", cwd=repo)
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert {n["id"] for n in data["topology"]["nodes"]} == {"Jobs", "WorkerFunction"}


def test_the_pull_request_comment_has_a_row_per_system_that_moved(tmp_path: Path) -> None:
    from iacscan.render.markdown import render_diff_markdown

    base = _repo(tmp_path / "base")
    head = _repo(tmp_path / "head")
    shutil.copy(T / "ecs-ec2-fixed-count.yaml", head / "worker" / "template.yaml")
    text = render_diff_markdown(diff_analyses(scan([str(base)]), scan([str(head)])))
    section = text.split("#### Systems this change moves", 1)[1].split("####", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| worker")]
    assert len(rows) == 1 and "serverless | not-serverless" in rows[0], section
    assert "caller/template" not in section and "| web" not in section


CDK_LIKE = """
Resources:
  Q1: {Type: AWS::SQS::Queue, Metadata: {aws:cdk:path: Shop/Orders/Queue/Resource}}
  F1:
    Type: AWS::Lambda::Function
    Metadata: {aws:cdk:path: Shop/Orders/Handler/Resource}
    Properties: {Handler: index.handler, Runtime: nodejs18.x, Role: arn:aws:iam::1:role/r, Code: {ZipFile: x}}
  M1:
    Type: AWS::Lambda::EventSourceMapping
    Properties: {EventSourceArn: !GetAtt Q1.Arn, FunctionName: !Ref F1}
"""


def test_labels_are_unique_across_systems(tmp_path: Path) -> None:
    """Two unlinked copies of one synthesized stack: each system labels its own nodes, but the
    report's labels must still tell the two apart."""
    for name in ("a", "b"):
        (tmp_path / f"{name}.yaml").write_text(CDK_LIKE)
    a = scan([str(tmp_path)])
    assert {s.name for s in a.systems} == {"a", "b"}
    labels = {n.id: n.label for n in a.topology.nodes}
    assert set(labels) == {"a/Q1", "a/F1", "b/Q1", "b/F1"}
    assert len(set(labels.values())) == 4, labels
    for system in a.systems:  # each system's own sentences use the same labels
        for reason in system.verdict.architecture_reasons:
            assert not any(
                other in reason for other in ("Shop/Orders/Handler ", "Shop/Orders/Handler;")
            ), reason


SSM_WRITER = """
Parameters:
  Env: {Type: String, Default: dev}
Resources:
  SharedBus:
    Type: AWS::Events::EventBus
    Properties: {Name: !Sub "shared-${Env}"}
  BusNameParam:
    Type: AWS::SSM::Parameter
    Properties: {Name: !Sub "/${Env}/shared/event-bus-name", Type: String, Value: !Ref SharedBus}
"""


@pytest.mark.parametrize(
    "bus_name",
    [
        '!Sub "{{resolve:ssm:/${Env}/shared/event-bus-name:1}}"',
        '!Sub "{{resolve:ssm:/${Env}/shared/event-bus-name}}"',
        '!Join ["", ["{{resolve:ssm:/", !Ref Env, "/shared/event-bus-name}}"]]',
        '"{{resolve:ssm:/dev/shared/event-bus-name}}"',  # literal: linked before too
    ],
)
def test_an_ssm_reference_built_with_sub_links_the_stack_that_sets_it(
    tmp_path: Path, bus_name: str
) -> None:
    """DataDog/serverless-sample-app: every service reads the shared bus name with
    ``!Sub "{{resolve:ssm:/${Env}/shared/event-bus-name:1}}"``; the name is known once ${Env}
    is, so the reader and the stack that sets the parameter are one system."""
    (tmp_path / "platform").mkdir()
    (tmp_path / "service").mkdir()
    (tmp_path / "platform" / "template.yaml").write_text(SSM_WRITER)
    (tmp_path / "service" / "template.yaml").write_text(
        "Parameters:\n  Env: {Type: String, Default: dev}\nResources:\n"
        "  Queue: {Type: AWS::SQS::Queue}\n"
        "  Rule:\n    Type: AWS::Events::Rule\n    Properties:\n"
        f"      EventBusName: {bus_name}\n"
        "      EventPattern: {source: [orders]}\n"
        "      Targets: [{Arn: !GetAtt Queue.Arn, Id: q}]\n"
    )
    a = scan([tmp_path])
    assert a.systems == ()  # one system: no per-system split
    assert edge_set(a) == {
        "platform/template/SharedBus -triggers-> service/template/Rule",
        "service/template/Rule -triggers-> service/template/Queue",
    }
