"""Reads stay inside the repository; special files are never opened; a marker file never hides
templates. Each attack is scanned by the real CLI (time- and memory-capped), beside a good
template whose report must stay complete; the outside file holds a resource whose name must
never reach the report."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from scan_helpers import sibling_definition
from untrusted_helpers import GOOD, Result, iacscan

OUTSIDE = """\
Resources:
  StolenSecretQueue:
    Type: AWS::SQS::Queue
"""
STOLEN = "StolenSecretQueue"


def _repo(tmp_path: Path) -> tuple[Path, Path]:
    """A repository (a .git folder marks its top) with the good template, and a folder outside
    it holding a template with a secret name."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    shutil.copy(GOOD, repo / "good.yaml")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text(OUTSIDE)
    return repo, outside


def _no_leak(result: Result) -> None:
    assert STOLEN not in result.stdout + result.stderr
    nodes = result.nodes()
    assert "MonitorStateMachine" in nodes or "good/MonitorStateMachine" in nodes


def _error_naming(result: Result, text: str) -> dict[str, object]:
    errors = result.report["errors"]
    assert any(text in e["file"] or text in e["message"] for e in errors), errors
    return next(e for e in errors if text in e["file"] or text in e["message"])


def test_a_symlink_to_a_folder_outside_is_not_followed(tmp_path: Path) -> None:
    repo, outside = _repo(tmp_path)
    (repo / "infra").symlink_to(outside, target_is_directory=True)
    result = iacscan(".", "--format", "json", cwd=repo)
    assert result.code == 3
    error = _error_naming(result, "infra")
    assert "outside the repository" in str(error["message"])
    _no_leak(result)


def test_a_symlink_to_the_root_folder_does_not_hang(tmp_path: Path) -> None:
    repo, _ = _repo(tmp_path)
    (repo / "everything").symlink_to("/", target_is_directory=True)
    result = iacscan(".", "--format", "json", cwd=repo)
    assert result.code == 3
    _error_naming(result, "everything")
    _no_leak(result)


def test_a_symlinked_template_outside_is_refused(tmp_path: Path) -> None:
    repo, outside = _repo(tmp_path)
    (repo / "secret.yaml").symlink_to(outside / "secret.yaml")
    result = iacscan(".", "--format", "json", cwd=repo)
    assert result.code == 3
    _error_naming(result, "secret.yaml")
    _no_leak(result)


@pytest.mark.parametrize("through_symlink", [False, True], ids=["direct", "via-symlink"])
def test_a_nested_template_url_outside_is_refused(tmp_path: Path, through_symlink: bool) -> None:
    repo, outside = _repo(tmp_path)
    if through_symlink:
        (repo / "shared").symlink_to(outside, target_is_directory=True)
        url = "shared/secret.yaml"
    else:
        url = "../outside/secret.yaml"
    (repo / "parent.yaml").write_text(
        f"Resources:\n  Child:\n    Type: AWS::CloudFormation::Stack\n"
        f"    Properties:\n      TemplateURL: {url}\n"
    )
    result = iacscan("parent.yaml", "good.yaml", "--format", "json", cwd=repo)
    assert result.code == 3
    error = _error_naming(result, "outside the repository")
    assert error["line"] == 3 and str(error["file"]).endswith("parent.yaml")
    _no_leak(result)


SAM_INCLUDE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: a.b
      InlineCode: x
      Fn::Transform:
        Name: AWS::Include
        Parameters:
          Location: {where}
"""
SAM_DEFINITION = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: {where}
"""
STOLEN_ASL = json.dumps({"StartAt": STOLEN, "States": {STOLEN: {"Type": "Pass", "End": True}}})


@pytest.mark.parametrize("shape", ["include", "definition-uri"])
@pytest.mark.parametrize("where", ["relative", "absolute", "proc"])
def test_sam_local_files_outside_are_refused(tmp_path: Path, shape: str, where: str) -> None:
    repo, outside = _repo(tmp_path)
    (outside / "asl.json").write_text(STOLEN_ASL)
    (outside / "snippet.yaml").write_text(f"Description: {STOLEN}\n")
    name = "asl.json" if shape == "definition-uri" else "snippet.yaml"
    location = {
        "relative": f"../outside/{name}",
        "absolute": str(outside / name),
        "proc": "/proc/self/environ",
    }[where]
    body = SAM_DEFINITION if shape == "definition-uri" else SAM_INCLUDE
    (repo / "sam.yaml").write_text(body.format(where=location))
    result = iacscan("sam.yaml", "good.yaml", "--format", "json", cwd=repo)
    assert result.code == 3, result.stderr
    _error_naming(result, "outside the repository")
    _no_leak(result)


def test_a_fifo_in_a_folder_does_not_hang(tmp_path: Path) -> None:
    repo, _ = _repo(tmp_path)
    os.mkfifo(repo / "pipe.yaml")
    result = iacscan(".", "--format", "json", cwd=repo)
    assert result.code == 3
    error = _error_naming(result, "pipe.yaml")
    assert "FIFO" in str(error["message"])
    _no_leak(result)


@pytest.mark.parametrize("special", ["/dev/zero", "/dev/stdin", "/proc/self/environ"])
def test_special_files_are_never_read_as_templates(tmp_path: Path, special: str) -> None:
    repo, _ = _repo(tmp_path)
    result = iacscan(special, "good.yaml", "--format", "json", cwd=repo)
    assert result.code == 3
    error = _error_naming(result, special)
    assert "not a template" in str(error["message"])
    _no_leak(result)


def test_a_symlink_to_a_device_in_a_folder_is_not_read(tmp_path: Path) -> None:
    repo, _ = _repo(tmp_path)
    (repo / "zero.yaml").symlink_to("/dev/zero")
    result = iacscan(".", "--format", "json", cwd=repo)
    assert result.code == 3
    _error_naming(result, "zero.yaml")
    _no_leak(result)


# ----------------------------------------------------------------- marker files hide nothing


@pytest.mark.parametrize("synth", [True, False], ids=["synth", "no-synth"])
def test_a_stray_cdk_json_does_not_hide_the_templates(tmp_path: Path, synth: bool) -> None:
    repo, _ = _repo(tmp_path)
    (repo / "cdk.json").write_text("{}")  # no app
    (repo / "cdk.out").mkdir()  # empty
    args = [".", "--format", "json"] + ([] if synth else ["--no-synth"])
    result = iacscan(*args, cwd=repo)
    assert result.code == 3  # the CDK app cannot be analysed: said, not hidden
    _no_leak(result)  # and the template beside it is scanned


def test_a_manifest_dropped_into_a_folder_does_not_hide_the_templates(tmp_path: Path) -> None:
    repo, _ = _repo(tmp_path)
    (repo / "manifest.json").write_text(json.dumps({"version": "36.0.0", "artifacts": {}}))
    result = iacscan(".", "--format", "json", cwd=repo)
    assert result.code == 3
    error = _error_naming(result, "no stacks")
    assert "nothing to analyse" in str(error["message"])
    _no_leak(result)


def test_an_empty_cloud_assembly_is_not_analysed(tmp_path: Path) -> None:
    repo, _ = _repo(tmp_path)
    out = repo / "cdk.out"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"version": "36.0.0", "artifacts": {}}))
    result = iacscan("cdk.out", "good.yaml", "--format", "json", cwd=repo)
    assert result.code == 3
    _error_naming(result, "no stacks")
    _no_leak(result)


@pytest.mark.parametrize("output", ["../outside", "/etc", "link"])
def test_cdk_json_output_outside_the_app_is_refused(tmp_path: Path, output: str) -> None:
    repo, outside = _repo(tmp_path)
    (outside / "manifest.json").write_text(
        json.dumps(
            {
                "version": "36.0.0",
                "artifacts": {
                    "S": {
                        "type": "aws:cloudformation:stack",
                        "properties": {"templateFile": "secret.yaml"},
                    }
                },
            }
        )
    )
    app = repo / "app"
    app.mkdir()
    if output == "link":
        (app / "link").symlink_to(outside, target_is_directory=True)
    (app / "cdk.json").write_text(json.dumps({"app": "true", "output": output}))
    result = iacscan("app", "good.yaml", "--format", "json", "--no-synth", cwd=repo)
    assert result.code == 3
    error = _error_naming(result, "points outside the app folder")
    assert "output" in str(error["message"])
    _no_leak(result)


@pytest.mark.parametrize("how", ["dotdot", "absolute", "symlink"])
def test_a_manifest_template_path_out_of_the_assembly_is_refused(tmp_path: Path, how: str) -> None:
    repo, outside = _repo(tmp_path)
    out = repo / "cdk.out"
    out.mkdir()
    template = {
        "dotdot": "../../outside/secret.yaml",
        "absolute": str(outside / "secret.yaml"),
        "symlink": "linked.yaml",
    }[how]
    if how == "symlink":
        (out / "linked.yaml").symlink_to(outside / "secret.yaml")
    (out / "manifest.json").write_text(
        json.dumps(
            {
                "version": "36.0.0",
                "artifacts": {
                    "S": {
                        "type": "aws:cloudformation:stack",
                        "properties": {"templateFile": template},
                    }
                },
            }
        )
    )
    result = iacscan("cdk.out", "good.yaml", "--format", "json", cwd=repo)
    assert result.code == 3
    _error_naming(result, "outside the cloud assembly")
    _no_leak(result)


def test_a_diff_whose_base_has_a_symlink_out_is_an_input_error(tmp_path: Path) -> None:
    repo, outside = _repo(tmp_path)
    shutil.rmtree(repo / ".git")

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
            cwd=repo, capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip

    git("init", "-q")
    (repo / "infra").mkdir()
    shutil.copy(GOOD, repo / "infra" / "good.yaml")
    (repo / "infra" / "secret.yaml").symlink_to(outside / "secret.yaml")
    git("add", "-A")
    git("commit", "-qm", "base")
    base = git("rev-parse", "HEAD")
    (repo / "infra" / "secret.yaml").unlink()
    git("commit", "-qam", "head")
    result = iacscan("diff", "--base-ref", base, "infra", "--format", "json", cwd=repo)
    assert result.code == 3, result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    assert STOLEN not in result.stdout + result.stderr
    assert "secret.yaml" in result.stdout + result.stderr


def _copy_without_git(tmp_path: Path) -> Path:
    """A checkout copied without .git (a tarball, a container build): the template in
    ``infra/`` names a state machine definition in the sibling folder ``definitions/``."""
    return sibling_definition(tmp_path / "copy")


@pytest.mark.parametrize("each", [False, True], ids=["scan", "each"])
def test_a_folder_named_on_the_command_line_holds_the_files_its_templates_name(
    tmp_path: Path, each: bool
) -> None:
    top = _copy_without_git(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = iacscan(*(["--each"] if each else []), str(top), "--format", "json", cwd=elsewhere)
    assert result.code == 0, result.stderr
    reports = json.loads(result.stdout) if each else [result.report]  # --each: a list
    assert len(reports) == 1
    assert reports[0]["errors"] == []
    topology = reports[0]["topology"]
    assert {n["id"] for n in topology["nodes"]} == {"Machine", "Topic", "Queue"}
    # the definition was read: the state machine publishes to the topic
    assert {(e["source"], e["target"]) for e in topology["edges"]} == {("Machine", "Topic")}


def test_without_a_named_folder_the_template_folder_still_bounds_its_reads(
    tmp_path: Path,
) -> None:
    top = _copy_without_git(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for named in (top / "infra" / "sam.yaml", top / "infra"):  # the file, or its own folder
        result = iacscan(str(named), str(GOOD), "--format", "json", cwd=elsewhere)
        assert result.code == 3, result.stderr
        error = _error_naming(result, "outside the repository")
        assert str(error["file"]).endswith("sam.yaml")
