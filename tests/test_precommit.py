"""The pre-commit hook, run by the real ``pre-commit`` on a repository that holds templates and
YAML/JSON files that are not templates. The hook's definition is read from the project's
``.pre-commit-hooks.yaml``; only its entry points at this checkout's iacscan (a ``local`` hook),
so that the test needs no network to install the hook's environment."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "fixtures" / "templates"
PRE_COMMIT = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or shutil.which(
    "pre-commit"
)

pytestmark = pytest.mark.skipif(PRE_COMMIT is None, reason="pre-commit is not installed")


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def _repo(tmp_path: Path) -> Path:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    entry = f"{sys.executable} -m iacscan"
    local = {**hook, "entry": entry, "language": "system"}
    repo = tmp_path / "repo"
    (repo / "infra").mkdir(parents=True)
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".pre-commit-config.yaml").write_text(
        yaml.safe_dump({"repos": [{"repo": "local", "hooks": [local]}]}, sort_keys=False)
    )
    (repo / ".github" / "workflows" / "ci.yml").write_text(
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps: [{run: make}]\n"
    )
    (repo / "package.json").write_text('{"name": "app", "version": "1.0.0"}\n')
    (repo / "docker-compose.yaml").write_text("services:\n  web: {image: nginx}\n")
    (repo / "chart.yaml").write_text("kind: {{ .Values.kind }}\n  bad: [yaml\n")  # a Helm template
    shutil.copy(TEMPLATES / "prime-video-before.yaml", repo / "infra" / "monitor.yaml")
    # a template importing what another exports: analysed together, never half-resolved
    (repo / "infra" / "shared.yaml").write_text(
        "Resources:\n  Bus:\n    Type: AWS::SNS::Topic\n"
        "Outputs:\n  BusArn:\n    Value: !Ref Bus\n    Export: {Name: shared-bus}\n"
    )
    (repo / "infra" / "publisher.yaml").write_text(
        "Resources:\n  Pub:\n    Type: AWS::Lambda::Function\n    Properties:\n"
        "      Runtime: python3.12\n      Handler: index.handler\n"
        "      Code: {ZipFile: x}\n      Role: arn:aws:iam::123456789012:role/r\n"
        "      Environment: {Variables: {BUS: !ImportValue shared-bus}}\n"
    )
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    return repo


def _pre_commit(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRE_COMMIT")}
    env["PRE_COMMIT_HOME"] = str(repo.parent / "pre-commit-home")
    env["PYTHONPATH"] = str(ROOT / "src")
    assert PRE_COMMIT is not None
    return subprocess.run(
        [PRE_COMMIT, "run", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_the_hook_passes_on_templates_beside_files_that_are_not_templates(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    run = _pre_commit(repo, "--all-files")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "iacscan" in run.stdout and "Passed" in run.stdout
    assert "Serverless by johnston-2023" not in run.stdout  # pre-commit shows output on failure


def test_the_hook_gates_on_a_staged_template_that_is_not_serverless(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    shutil.copy(TEMPLATES / "ec2-asg-behind-alb.yaml", repo / "infra" / "web.yaml")
    _git(repo, "add", "infra/web.yaml")
    run = _pre_commit(repo)  # the staged files only, as on `git commit`
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Failed" in run.stdout and "Not serverless by johnston-2023" in run.stdout
    assert "ci.yml" not in run.stdout and "package.json" not in run.stdout


def test_the_hook_does_not_run_without_a_staged_yaml_or_json_file(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    _git(repo, "commit", "-qm", "base", "--no-verify")
    (repo / "README.md").write_text("# readme\n")
    _git(repo, "add", "README.md")
    run = _pre_commit(repo)
    assert run.returncode == 0 and "Skipped" in run.stdout, run.stdout
