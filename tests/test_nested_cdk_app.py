"""A CDK app (a folder with cdk.json) inside a scanned folder is not synthesized: running code
found anywhere below a folder would widen what a scan executes beyond what was named (docs/
security.md). It is never skipped in silence either (truth4 cdk-app-in-subfolder-silent:
'skipped 3 file(s)', exit 0): it is an input not analysed, named with what to do, an unknown
``ext:`` node that weakens the verdict, and exit 3."""

from __future__ import annotations

import json
from pathlib import Path

from iacscan.load.discover import SynthOptions, load_paths
from scan_helpers import run_cli, scan

TEMPLATE = """AWSTemplateFormatVersion: '2010-09-09'
Resources:
  ProvisionFn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: arn:aws:iam::123456789012:role/x
      Code: {ZipFile: "def handler(e, c): pass"}
"""


def layout(root: Path) -> Path:
    (root / "template.yaml").write_text(TEMPLATE)
    app = root / "pipeline"
    (app / "bin").mkdir(parents=True)
    (app / "cdk.json").write_text('{"app": "npx ts-node bin/pipeline.ts"}')
    (app / "bin" / "pipeline.ts").write_text("// new PipelineStack(app, 'Pipeline')\n")
    return app


def test_a_cdk_app_in_a_subfolder_is_named_and_weakens_the_verdict(tmp_path: Path) -> None:
    app = layout(tmp_path)
    a = scan([tmp_path])
    assert [(e.file, e.kind) for e in a.errors] == [(str(app), "unsupported")]
    assert "a CDK app in a subfolder" in a.errors[0].message
    assert f"scan its folder ({app})" in (a.errors[0].hint or "")
    unseen = {n.id for n in a.topology.nodes if n.properties.get("may_hide_compute")}
    assert unseen == {f"ext:{app}"}
    # ProvisionFn alone was "serverless": the app may deploy anything
    assert a.verdict.level == "indeterminate"
    assert (a.verdict.architecture, a.verdict.monolith) == ("single-service", False)


def test_the_cli_says_so_and_exits_3(tmp_path: Path) -> None:
    app = layout(tmp_path)
    r = run_cli(str(tmp_path), "--format", "json", "--no-cache")
    assert r.returncode == 3, r.stderr
    report = json.loads(r.stdout)
    assert [e["file"] for e in report["errors"]] == [str(app)]
    text = run_cli(".", "--no-cache", cwd=tmp_path)  # the kind and the path apart
    assert "unsupported pipeline  a CDK app in a subfolder" in text.stdout


def test_an_app_also_named_on_the_command_line_is_not_flagged_again(tmp_path: Path) -> None:
    """``iacscan . pipeline/``: the app is an input of its own (here unreadable without
    synthesis, its own error); the folder scan does not add a second one."""
    app = layout(tmp_path)
    loaded = load_paths([str(tmp_path), str(app)], synth=SynthOptions(synth=False))
    assert len(loaded.errors) == 1
    assert "a CDK app in a subfolder" not in loaded.errors[0].message
    assert loaded.errors[0].file == str(app)


def test_the_scanned_folder_itself_is_not_a_nested_app(tmp_path: Path) -> None:
    """The folder named is the app: read as one (its own error without synthesis), not as an
    app in a subfolder of itself."""
    app = layout(tmp_path)
    loaded = load_paths([str(app)], synth=SynthOptions(synth=False))
    assert len(loaded.errors) == 1
    assert "a CDK app in a subfolder" not in loaded.errors[0].message


def test_each_reports_the_nested_app(tmp_path: Path) -> None:
    app = layout(tmp_path)
    r = run_cli("--each", str(tmp_path), "--format", "json", "--no-cache")
    assert r.returncode == 3, r.stderr
    reports = json.loads(r.stdout)
    errors = [e["file"] for rep in reports for e in rep["errors"]]
    assert errors == [str(app)]


def test_a_cdk_app_among_tests_or_fixtures_is_test_data(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    for where in ("tests/fixtures/sample-app", "spec/app", "testdata/cdk"):
        (tmp_path / where).mkdir(parents=True)
        (tmp_path / where / "cdk.json").write_text('{"app": "npx ts-node bin/app.ts"}')
    a = scan([tmp_path])
    assert a.errors == ()
    assert a.verdict.level == "serverless"
