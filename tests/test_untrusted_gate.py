"""The gate belongs to the base branch: a pull request cannot switch it off with its own
configuration, and the Action does not run a fork's CDK app. Hostile configuration files are
usage errors (exit 2) naming the file, never a crash."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from test_github import REPO, FakeGitHub, _run_action, github  # noqa: F401 (fixture)
from untrusted_helpers import GOOD, ROOT, cdk_app, iacscan

TEMPLATES = ROOT / "fixtures" / "templates"
CLEAN = TEMPLATES / "extract-sns-subscriptions.yaml"  # serverless, no warning
WARNS = GOOD  # prime-video-before: three warning findings
WARNING_RULES = ["sfn-standard-per-item", "fan-out-re-reads", "s3-intermediate-bus"]
NOT_SERVERLESS = TEMPLATES / "ecs-ec2-fixed-count.yaml"


def _git(repo: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout.strip()


def _repo(
    tmp_path: Path, base: dict[str, str | Path], head: dict[str, str | Path]
) -> tuple[Path, str]:
    """A repository whose HEAD commit changes ``base`` files into ``head`` ones (text or a
    file to copy); returns it and the base commit."""
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")

    def put(files: dict[str, str | Path]) -> None:
        for rel, content in files.items():
            target = repo / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, Path):
                shutil.copy(content, target)
            else:
                target.write_text(content)

    put(base)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    sha = _git(repo, "rev-parse", "HEAD")
    put(head)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "head")
    return repo, sha


def test_a_pr_cannot_ignore_the_rules_it_breaks(tmp_path: Path) -> None:
    ignore_all = "ignore: [" + ", ".join(WARNING_RULES) + "]\n"
    repo, base = _repo(
        tmp_path,
        {"infra/monitor.yaml": CLEAN},
        {"infra/monitor.yaml": WARNS, ".iacscan.yaml": ignore_all},
    )
    result = iacscan(
        "diff", "--base-ref", base, "infra", "--fail-on", "warning", "--format", "json",
        cwd=repo,
    )  # fmt: skip
    assert result.code == 1, result.stderr
    assert {f["rule"] for f in result.report["changes"]["findings"]["new"]} == set(WARNING_RULES)
    assert "changes the iacscan configuration (ignore)" in result.stderr
    assert any("ignore" in n for n in result.report["after"]["notes"])


def test_a_pr_cannot_turn_its_own_gate_off(tmp_path: Path) -> None:
    repo, base = _repo(
        tmp_path,
        {"infra/monitor.yaml": CLEAN, ".iacscan.yaml": "fail-on: not-serverless\n"},
        {"infra/monitor.yaml": NOT_SERVERLESS, ".iacscan.yaml": "fail-on: never\n"},
    )
    result = iacscan("diff", "--base-ref", base, "infra", "--format", "json", cwd=repo)
    assert result.code == 1, result.stderr
    assert result.report["after"]["verdict"]["serverless"] is False
    assert "(fail-on)" in result.stderr


def test_a_pr_cannot_rewrite_the_definition_file_the_base_names(tmp_path: Path) -> None:
    builtin = ROOT / "src" / "iacscan" / "classify" / "profiles" / "johnston-2023.yaml"
    strict = builtin.read_text().replace("id: johnston-2023", "id: ours", 1)
    repo, base = _repo(
        tmp_path,
        {
            "infra/monitor.yaml": CLEAN,
            "defs/ours.yaml": strict,
            ".iacscan.yaml": "definition: defs/ours.yaml\nfail-on: not-serverless\n",
        },
        {"infra/monitor.yaml": NOT_SERVERLESS, "defs/ours.yaml": "not: a definition\n"},
    )
    result = iacscan("diff", "--base-ref", base, "infra", "--format", "json", cwd=repo)
    assert result.code == 1, result.stderr  # the base's definition file, as it was, decided
    assert result.report["after"]["verdict"]["serverless"] is False


def test_config_ref_makes_scan_use_the_base_configuration(tmp_path: Path) -> None:
    ignore_all = "ignore: [" + ", ".join(WARNING_RULES) + "]\n"
    repo, base = _repo(tmp_path, {"infra/monitor.yaml": WARNS}, {".iacscan.yaml": ignore_all})
    own = iacscan("scan", "infra", "--fail-on", "warning", "--format", "json", cwd=repo)
    assert own.code == 0  # without --config-ref the work tree's configuration applies
    based = iacscan(
        "scan", "infra", "--fail-on", "warning", "--format", "json", "--config-ref", base,
        cwd=repo,
    )  # fmt: skip
    assert based.code == 1, based.stderr
    assert {f["rule"] for f in based.report["findings"]} >= set(WARNING_RULES)


def test_the_action_gate_and_sarif_use_the_base_configuration(
    tmp_path: Path,
    github: FakeGitHub,  # noqa: F811
) -> None:
    ignore_all = "ignore: [" + ", ".join(WARNING_RULES) + "]\n"
    repo, base = _repo(
        tmp_path,
        {"infra/monitor.yaml": CLEAN},
        {"infra/monitor.yaml": WARNS, ".iacscan.yaml": ignore_all},
    )
    proc, _, summary = _run_action(tmp_path, repo, base, github, fail_on="warning")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "--config-ref " + base in proc.stdout
    # The comment says the change was seen and not obeyed.
    assert "changes the iacscan configuration (ignore)" in summary.read_text()
    rules = {r["ruleId"] for run in json.loads((repo / "iacscan.sarif").read_text())["runs"]
             for r in run["results"]}  # fmt: skip
    assert set(WARNING_RULES) <= rules


@pytest.mark.parametrize(
    ("head_repo", "synthesized"),
    [pytest.param("someone/fork", False, id="fork"), pytest.param(REPO, True, id="same-repo")],
)
def test_the_action_does_not_run_a_forks_cdk_app(
    tmp_path: Path,
    github: FakeGitHub,  # noqa: F811
    head_repo: str,
    synthesized: bool,
) -> None:
    repo = tmp_path / "repo"
    ran = repo / "infra" / "app" / "ran"  # in the app folder: the sandbox lets it write there
    # Unique, so that no cached synthesis of an earlier run stands in for running it.
    unique = f"# {uuid.uuid4().hex}\n"
    cdk_app(repo / "infra" / "app", unique + "open('ran', 'a').close()\nsynth()\n")
    shutil.copy(CLEAN, repo / "infra" / "monitor.yaml")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    base = _git(repo, "rev-parse", "HEAD")
    (repo / "infra" / "app" / "app.py").write_text(
        (repo / "infra" / "app" / "app.py").read_text() + "\n# changed\n"
    )
    _git(repo, "commit", "-q", "-am", "head")
    proc, _, summary = _run_action(
        tmp_path, repo, base, github, head_repo=head_repo, sarif_file="",
        paths="infra/app infra/monitor.yaml",
    )  # fmt: skip
    assert ran.exists() is synthesized, proc.stdout + proc.stderr
    if synthesized:
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "--no-synth" not in proc.stdout
    else:
        assert "--no-synth" in proc.stdout and "fork" in proc.stdout
        assert proc.returncode == 3  # the app without a cdk.out is reported, not run
        assert "--no-synth" in summary.read_text()


def test_the_action_refuses_a_bad_synth_input(
    tmp_path: Path,
    github: FakeGitHub,  # noqa: F811
) -> None:
    repo, base = _repo(tmp_path, {"infra/monitor.yaml": CLEAN}, {"infra/monitor.yaml": WARNS})
    proc, outputs, summary = _run_action(tmp_path, repo, base, github, synth="maybe")
    assert proc.returncode == 2
    assert "synth must be auto, true or false" in proc.stdout
    # every documented output and the summary are written on this path too
    assert outputs["outcome"] == "usage-error" and outputs["level"] == "unknown"
    assert "action input synth" in summary.read_text()


BAD_CONFIGS = {
    # Valid keys only: 120 aliases that expand to 10**12 values if anything walks them.
    "alias-bomb": "ignore: &l0 [x, x, x, x, x, x, x, x, x, x]\npaths:\n"
    + "".join(f"  - &l{n} [{', '.join([f'*l{n - 1}'] * 10)}]\n" for n in range(1, 13)),
    "ignore-not-strings": "ignore: [1, {a: b}]\n",
    "ignore-a-string": "ignore: lambda-calls-lambda\n",
    "definition-a-number": "definition: 12\n",
    "definition-a-list": "definition: [a, b]\n",
    "fail-on-a-list": "fail-on: [never]\n",
    "key-a-number": "12: x\n",
    "not-utf8": b"ignore: [\xff\xfe]\n",
    "yaml-error": "ignore: [a\n  b: c\n",
}


@pytest.mark.parametrize("name", sorted(BAD_CONFIGS))
def test_a_hostile_configuration_is_a_usage_error(tmp_path: Path, name: str) -> None:
    content = BAD_CONFIGS[name]
    config = tmp_path / ".iacscan.yaml"
    if isinstance(content, bytes):
        config.write_bytes(content)
    else:
        config.write_text(content)
    (tmp_path / ".git").mkdir()  # the search stops at the repository root
    shutil.copy(GOOD, tmp_path / "good.yaml")
    result = iacscan("good.yaml", "--format", "json", cwd=tmp_path)
    assert result.code == 2, result.stdout[:300] + result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert ".iacscan.yaml" in result.stderr
    if name == "alias-bomb":
        assert "aliases" in result.stderr


def test_a_fifo_named_like_the_configuration_is_not_read(tmp_path: Path) -> None:
    import os

    (tmp_path / ".git").mkdir()
    os.mkfifo(tmp_path / ".iacscan.yaml")
    shutil.copy(GOOD, tmp_path / "good.yaml")
    result = iacscan("good.yaml", "--format", "json", cwd=tmp_path)
    assert result.code == 0, result.stderr
    assert "MonitorStateMachine" in result.nodes()
