"""Command-line conventions: standard input, quoted globs, `version`, completion, colours,
files that are not CloudFormation, suppression typos, help text and --each progress."""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from iacscan.cli.runner import use_color

ROOT = Path(__file__).resolve().parent.parent
T = ROOT / "fixtures" / "templates"
DATA = Path(__file__).resolve().parent / "data"


def _iacscan(
    *args: str, cwd: Path = ROOT, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    full["PYTHONPATH"] = str(ROOT / "src")
    full.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "iacscan", *args],
        cwd=cwd,
        input=stdin,
        env=full,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_a_dash_reads_the_template_from_standard_input() -> None:
    text = (T / "prime-video-before.yaml").read_text()
    run = _iacscan("-", "-f", "json", stdin=text)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["verdict"]["level"] == "serverless"
    assert {n["id"] for n in report["topology"]["nodes"]} >= {"MonitorStateMachine", "StartRule"}
    as_json = json.dumps({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}})
    run = _iacscan("scan", "-", "-f", "json", stdin=as_json)
    assert [n["id"] for n in json.loads(run.stdout)["topology"]["nodes"]] == ["Q"]


def test_quoted_globs_are_expanded(tmp_path: Path) -> None:
    for name in ("a.yaml", "b.yaml"):
        shutil.copy(T / "prime-video-before.yaml", tmp_path / name)
    run = _iacscan("*.yaml", "-f", "json", cwd=tmp_path)  # no shell: the pattern arrives quoted
    assert run.returncode == 0, run.stderr
    assert sorted(i["path"] for i in json.loads(run.stdout)["inputs"]) == ["a.yaml", "b.yaml"]
    run = _iacscan("nothing-*.yaml", cwd=tmp_path)
    assert run.returncode == 3 and "nothing-*.yaml: no such file or folder" in run.stderr


def test_version_command_and_completion() -> None:
    run = _iacscan("version")
    assert run.returncode == 0 and run.stdout.startswith("iacscan ")
    assert run.stdout == _iacscan("--version").stdout
    # the shell named, not detected from the parent process (make runs tests under sh)
    shell = {"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    run = _iacscan("--show-completion", "bash", env=shell)
    assert run.returncode == 0 and "_iacscan_completion" in run.stdout, run.stderr


def test_help_names_the_config_files_and_the_bot_literally() -> None:
    for args in (["--help"], ["scan", "--help"]):
        text = " ".join(_iacscan(*args, env={"COLUMNS": "200"}).stdout.split())
        assert ".iacscan.yaml" in text and "[tool.iacscan] in pyproject.toml" in text, args
    text = " ".join(_iacscan("github", "comment", "--help", env={"COLUMNS": "200"}).stdout.split())
    assert "github-actions[bot]" in text
    assert "exit 3 under every value" in " ".join(
        _iacscan("scan", "--help", env={"COLUMNS": "200"}).stdout.split()
    )


def test_colours_follow_force_color_no_color_and_term(monkeypatch: pytest.MonkeyPatch) -> None:
    template = str(T / "prime-video-before.yaml")
    assert "\x1b[" in _iacscan(template, env={"FORCE_COLOR": "1"}).stdout  # not a terminal
    assert "\x1b[" not in _iacscan(template).stdout
    assert "\x1b[" not in _iacscan(template, env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).stdout

    class Tty:
        def isatty(self) -> bool:
            return True

    for name in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert use_color(no_color=False, to_file=False, stream=Tty())
    assert not use_color(no_color=True, to_file=False, stream=Tty())
    assert not use_color(no_color=False, to_file=True, stream=Tty())
    monkeypatch.setenv("TERM", "dumb")
    assert not use_color(no_color=False, to_file=False, stream=Tty())
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert use_color(no_color=False, to_file=False, stream=Tty())


@pytest.mark.parametrize(
    ("name", "text", "what"),
    [
        ("main.tf", 'resource "aws_s3_bucket" "b" {\n  bucket = "x"\n}\n', "a Terraform file"),
        ("vars.hcl", 'terraform {\n  required_version = ">= 1.5"\n}\n', "a Terraform file"),
        (
            "deploy.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n",
            "a Kubernetes manifest (kind Deployment)",
        ),
        (
            "main.tf.json",
            '{"resource": {"aws_s3_bucket": {"b": {}}}, "provider": {"aws": {}}}',
            "a Terraform file",
        ),
    ],
)
def test_other_infrastructure_as_code_gets_an_error_that_says_what_it_is(
    tmp_path: Path, name: str, text: str, what: str
) -> None:
    (tmp_path / name).write_text(text)
    run = _iacscan(name, cwd=tmp_path)
    assert run.returncode == 3, run.stderr
    assert f"error: {name}: this is {what}, not a CloudFormation template" in run.stderr
    assert "hint: iacscan reads CloudFormation and SAM templates" in run.stderr
    assert "Traceback" not in run.stderr
    # in a folder it is simply not a template
    shutil.copy(T / "prime-video-before.yaml", tmp_path / "template.yaml")
    assert _iacscan(".", cwd=tmp_path).returncode == 0


def test_a_typo_in_a_metadata_suppression_warns(tmp_path: Path) -> None:
    text = (DATA / "sarif" / "calls.yaml").read_text()
    (tmp_path / "t.yaml").write_text(text.replace("[lambda-calls-lambda]", "[lambda-call-lambda]"))
    run = _iacscan("t.yaml", "-q", cwd=tmp_path)
    assert run.returncode == 0
    assert (
        "warning: Metadata iacscan ignore on FnC (t.yaml:17): lambda-call-lambda: no such rule; "
        "did you mean lambda-calls-lambda?"
    ) in run.stderr
    assert "no such rule" not in _iacscan(str(DATA / "sarif" / "calls.yaml"), "-q").stderr


def _with_tty_stderr(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    master, slave = pty.openpty()
    full = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "160", **env}
    proc = subprocess.Popen(
        [sys.executable, "-m", "iacscan", *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,  # the report goes elsewhere; progress still shows
        stderr=slave,
        env=full,
    )
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return proc.wait(timeout=300), out.decode("utf-8", errors="replace")


def test_each_shows_progress_and_a_tally_when_stderr_is_a_terminal(tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for name in ("prime-video-before.yaml", "ec2-asg-behind-alb.yaml", "storage-only.yaml"):
        shutil.copy(T / name, folder / name)
    (folder / "broken.yaml").write_text("Resources: [\n")
    code, err = _with_tty_stderr(["--each", str(folder), "-f", "json"], {"TERM": "xterm"})
    assert code == 3
    assert "/4" in err and "ETA" in err and ".yaml" in err  # count, ETA and the current file
    (tally,) = [line for line in err.splitlines() if "report(s): " in line]
    assert "4 report(s): " in tally
    assert "1 serverless" in tally and "1 not-serverless" in tally and "1 no-compute" in tally
    assert "1 could not be analysed (1 parse)" in tally
    code, err = _with_tty_stderr(["--each", str(folder), "-f", "json"], {"TERM": "dumb"})
    assert "ETA" not in err and "4 report(s): " in err  # a dumb terminal: the tally only
    plain = _iacscan("--each", str(folder), "-f", "json")  # stderr not a terminal
    assert "report(s):" not in plain.stderr and "ETA" not in plain.stderr
