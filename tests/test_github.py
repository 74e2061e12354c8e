"""The sticky PR comment, Actions outputs and the action's runner, against a fake GitHub API."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from iacscan.github import (
    DEFAULT_AUTHOR,
    FORK_MESSAGE,
    MARKER,
    append_summary,
    post_sticky_comment,
    pr_context_from_env,
    write_outputs,
)

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "fixtures" / "templates"
REPO = "octo/infra"
BOT = DEFAULT_AUTHOR


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class FakeGitHub:
    """Issue comments of one repository, the requests received, and injected failures."""

    url: str = ""
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)
    fail: dict[str, tuple[int, str]] = field(default_factory=dict)  # method -> (status, message)
    next_id: int = 1000
    link_url: str = ""  # where Link headers point (default: this server)
    redirect_to: str = ""  # answer GETs with a 302 to this origin (once per request)

    def add(self, pr: int, body: str, login: str = "someone") -> int:
        self.next_id += 1
        self.comments.setdefault(pr, []).append(
            {"id": self.next_id, "body": body, "user": {"login": login}}
        )
        return self.next_id

    def of(self, method: str) -> list[Seen]:
        return [r for r in self.requests if r.method == method]


def _handler(state: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(raw)

        def _handle(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            state.requests.append(
                Seen(
                    self.command,
                    parts.path,
                    parse_qs(parts.query),
                    {k.lower(): v for k, v in self.headers.items()},  # names are case-insensitive
                    body,
                )
            )
            if state.redirect_to and self.command == "GET" and "moved" not in parts.query:
                self.send_response(302)
                sep = "&" if parts.query else "?"
                self.send_header("Location", f"{state.redirect_to}{self.path}{sep}moved=1")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self.command in state.fail:
                status, message = state.fail[self.command]
                self._send(status, {"message": message})
                return
            segs = parts.path.strip("/").split("/")
            # /repos/{owner}/{name}/issues/{n}/comments  and  /repos/{o}/{r}/issues/comments/{id}
            if segs[:1] != ["repos"] or "/".join(segs[1:3]) != REPO or segs[3:4] != ["issues"]:
                self._send(404, {"message": "Not Found"})
                return
            if self.command == "GET" and len(segs) == 6 and segs[5] == "comments":
                self._list(int(segs[4]), parse_qs(parts.query))
            elif self.command == "POST" and len(segs) == 6 and segs[5] == "comments":
                new = state.add(int(segs[4]), body["body"], login=BOT)
                self._send(201, {"id": new, "html_url": f"https://github.test/c/{new}"})
            elif self.command == "PATCH" and len(segs) == 6 and segs[4] == "comments":
                cid = int(segs[5])
                for c in (c for cs in state.comments.values() for c in cs):
                    if c["id"] == cid:
                        c["body"] = body["body"]
                        self._send(200, {"id": cid, "html_url": f"https://github.test/c/{cid}"})
                        return
                self._send(404, {"message": "Not Found"})
            else:
                self._send(404, {"message": "Not Found"})

        def _list(self, pr: int, query: dict[str, list[str]]) -> None:
            per_page = int(query.get("per_page", ["30"])[0])
            page = int(query.get("page", ["1"])[0])
            items = state.comments.get(pr, [])
            chunk = items[(page - 1) * per_page : page * per_page]
            headers = {}
            if page * per_page < len(items):
                # like GitHub: absolute URLs, several relations
                url = f"{state.link_url or state.url}/repos/{REPO}/issues/{pr}/comments"
                nxt = f"{url}?per_page={per_page}&page={page + 1}"
                last = f"{url}?per_page={per_page}&page=9"
                headers["Link"] = f'<{nxt}>; rel="next", <{last}>; rel="last"'
            self._send(200, chunk, headers)

        do_GET = do_POST = do_PATCH = _handle

    return Handler


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    state = FakeGitHub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _post(github: FakeGitHub, body: str = "## report\n", pr: int = 7) -> Any:
    return post_sticky_comment(
        body, repo=REPO, pr_number=pr, token="t0ken", api_url=github.url, timeout=5
    )


# ---------------------------------------------------------------- the sticky comment


def test_creates_a_comment_when_none_carries_the_marker(github: FakeGitHub) -> None:
    for i in range(150):  # two pages of 100
        github.add(7, f"chatter {i}")
    result = _post(github)
    assert result.posted and result.action == "created"
    pages = [r.query.get("page", ["1"])[0] for r in github.of("GET")]
    assert pages == ["1", "2"]
    assert all(r.query["per_page"] == ["100"] for r in github.of("GET"))
    (post,) = github.of("POST")
    assert post.path == f"/repos/{REPO}/issues/7/comments"
    assert post.body["body"].startswith(MARKER + "\n")  # added when missing
    assert "## report" in post.body["body"]
    assert result.comment_id == github.comments[7][-1]["id"]
    assert not github.of("PATCH")


def test_updates_the_last_marker_comment_found_on_the_second_page(github: FakeGitHub) -> None:
    github.add(7, f"{MARKER}\nold report", login=BOT)
    for i in range(120):
        github.add(7, f"chatter {i}")
    last = github.add(7, f"{MARKER}\nold report", login=BOT)
    github.add(7, "a reply after it")
    # Anyone can paste the marker: a person's comment is never the one updated.
    github.add(7, f"{MARKER}\nStill serverless (a spoofed report)")
    result = _post(github, f"{MARKER}\nnew report")
    assert result.posted and result.action == "updated" and result.comment_id == last
    assert len(github.of("GET")) == 2
    (patch,) = github.of("PATCH")
    assert patch.path == f"/repos/{REPO}/issues/comments/{last}"
    assert patch.body == {"body": f"{MARKER}\nnew report"}
    assert not github.of("POST")


def test_a_marker_in_someone_elses_comment_gets_a_new_comment(github: FakeGitHub) -> None:
    spoof = github.add(7, f"{MARKER}\nStill serverless", login="mallory")
    result = _post(github, f"{MARKER}\nnew report")
    assert result.posted and result.action == "created" and result.comment_id != spoof
    assert not github.of("PATCH")
    assert github.comments[7][0]["body"] == f"{MARKER}\nStill serverless"  # left alone


def test_a_report_comment_deleted_meanwhile_is_posted_again(github: FakeGitHub) -> None:
    github.add(7, f"{MARKER}\nold report", login=BOT)
    github.fail["PATCH"] = (404, "Not Found")
    result = _post(github, f"{MARKER}\nnew report")
    assert result.posted and result.action == "created"
    assert len(github.of("PATCH")) == 1 and len(github.of("POST")) == 1


def test_another_author_can_be_named_for_app_tokens(github: FakeGitHub) -> None:
    mine = github.add(7, f"{MARKER}\nold report", login="my-app[bot]")
    github.add(7, f"{MARKER}\nold report", login=BOT)
    result = post_sticky_comment(
        "## report\n",
        repo=REPO,
        pr_number=7,
        token="t0ken",
        api_url=github.url,
        author="my-app[bot]",
    )
    assert result.action == "updated" and result.comment_id == mine


def test_sends_the_github_headers(github: FakeGitHub) -> None:
    _post(github)
    assert github.requests
    for r in github.requests:
        assert r.headers["authorization"] == "Bearer t0ken"
        assert r.headers["accept"] == "application/vnd.github+json"
        assert r.headers["x-github-api-version"] == "2022-11-28"
        assert r.headers["user-agent"] == "iacscan"


def test_a_read_only_fork_token_is_a_message_not_an_exception(github: FakeGitHub) -> None:
    github.fail["POST"] = (403, "Resource not accessible by integration")
    result = _post(github)
    assert not result.posted and result.status == 403
    assert result.message.startswith(FORK_MESSAGE)
    assert "read-only GITHUB_TOKEN" in result.message and "job summary" in result.message


def test_a_server_error_is_a_message_with_the_status(github: FakeGitHub) -> None:
    github.fail["GET"] = (500, "boom")
    result = _post(github)
    assert not result.posted and result.status == 500
    assert "HTTP 500" in result.message and "boom" in result.message


def test_an_unreachable_api_is_a_message() -> None:
    result = post_sticky_comment(
        "x", repo=REPO, pr_number=1, token="t", api_url="http://127.0.0.1:9", timeout=2
    )
    assert not result.posted and result.status is None
    assert "could not be reached" in result.message


def test_a_next_link_to_another_host_is_not_followed(github: FakeGitHub) -> None:
    for i in range(101):
        github.add(7, f"chatter {i}")
    github.link_url = "http://evil.invalid"  # the next page is advertised on another host
    assert _post(github).action == "created"
    assert len(github.of("GET")) == 1


def test_redirects_are_followed_only_on_the_api_host(github: FakeGitHub) -> None:
    other = FakeGitHub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(other))
    other.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        github.redirect_to = other.url.replace("127.0.0.1", "localhost")  # another host
        result = _post(github)
        assert not result.posted and "HTTP 302" in result.message
        assert other.requests == []  # the token never left for the other host
        github.redirect_to = github.url  # the same host (a renamed repository): followed
        assert _post(github).action == "created"
        assert any(r.query.get("moved") == ["1"] for r in github.of("GET"))
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


# ---------------------------------------------------------------- Actions environment


def _event(tmp_path: Path, event: Any) -> dict[str, str]:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    return {"GITHUB_REPOSITORY": REPO, "GITHUB_EVENT_PATH": str(path)}


def test_pr_context(tmp_path: Path) -> None:
    assert pr_context_from_env(_event(tmp_path, {"pull_request": {"number": 7}})) == (REPO, 7)
    comment_on_pr = {"issue": {"number": 9, "pull_request": {"url": "..."}}}
    assert pr_context_from_env(_event(tmp_path, comment_on_pr)) == (REPO, 9)
    assert pr_context_from_env(_event(tmp_path, {"issue": {"number": 9}})) is None
    assert pr_context_from_env(_event(tmp_path, {"ref": "refs/heads/main"})) is None
    assert pr_context_from_env({"GITHUB_REPOSITORY": REPO}) is None
    assert pr_context_from_env({"GITHUB_REPOSITORY": REPO, "GITHUB_EVENT_PATH": "/nope"}) is None


def test_outputs_and_summary(tmp_path: Path) -> None:
    out = tmp_path / "output"
    write_outputs(out, {"serverless": "true", "report": "line 1\nline 2"})
    text = out.read_text()
    assert text.startswith("serverless=true\nreport<<")
    delimiter = text.splitlines()[1].split("<<", 1)[1]
    assert text.endswith(f"report<<{delimiter}\nline 1\nline 2\n{delimiter}\n")
    summary = tmp_path / "summary"
    append_summary(summary, "# one")
    append_summary(summary, "# two\n")
    assert summary.read_text() == "# one\n# two\n"


# ---------------------------------------------------------------- the action, end to end


def _git(repo: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout.strip()


def _pr_repo(tmp_path: Path, before: Path, after: Path) -> tuple[Path, str]:
    repo = tmp_path / "repo"
    (repo / "infra").mkdir(parents=True)
    _git(repo, "init", "-q")
    shutil.copy(before, repo / "infra" / "monitor.yaml")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    base = _git(repo, "rev-parse", "HEAD")
    shutil.copy(after, repo / "infra" / "monitor.yaml")
    _git(repo, "commit", "-q", "-am", "head")
    return repo, base


def _run_action(
    tmp_path: Path,
    repo: Path,
    base: str,
    github: FakeGitHub,
    event_name: str = "pull_request",
    **inputs: str,
) -> tuple[subprocess.CompletedProcess[str], dict[str, str], Path]:
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps({"number": 7, "pull_request": {"number": 7, "base": {"sha": base}}})
    )
    output, summary = tmp_path / "github_output", tmp_path / "step_summary"
    runner_temp = tmp_path / "runner_temp"
    runner_temp.mkdir(exist_ok=True)
    venv_bin = str(ROOT / ".venv" / "bin")
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "IACSCAN_", "INPUT_"))
    }
    env.update(
        PATH=venv_bin + os.pathsep + str(Path(sys.executable).parent) + os.pathsep + env["PATH"],
        GITHUB_ACTIONS="true",
        GITHUB_REPOSITORY=REPO,
        GITHUB_EVENT_NAME=event_name,
        GITHUB_EVENT_PATH=str(event),
        GITHUB_OUTPUT=str(output),
        GITHUB_STEP_SUMMARY=str(summary),
        GITHUB_API_URL=github.url,
        GITHUB_TOKEN="t0ken",
        RUNNER_TEMP=str(runner_temp),
        BASE_SHA=base,
        IACSCAN_PATHS="infra",
        IACSCAN_DEFINITION="johnston-2023",
        IACSCAN_FAIL_ON="never",
        IACSCAN_COMMENT="true",
        IACSCAN_SARIF_FILE="iacscan.sarif",
    )
    env.update({f"IACSCAN_{k.upper()}": v for k, v in inputs.items()})
    proc = subprocess.run(
        [sys.executable, "-m", "iacscan.action_runner"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    outputs = {}
    for line in output.read_text().splitlines() if output.exists() else []:
        if "=" in line and "<<" not in line:
            k, v = line.split("=", 1)
            outputs[k] = v
    return proc, outputs, summary


def test_action_runner_on_a_pull_request(tmp_path: Path, github: FakeGitHub) -> None:
    repo, base = _pr_repo(
        tmp_path, TEMPLATES / "prime-video-before.yaml", TEMPLATES / "prime-video-after-task.yaml"
    )
    github.add(7, "LGTM")
    proc, outputs, summary = _run_action(tmp_path, repo, base, github)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log

    report = summary.read_text()
    assert report.startswith(MARKER)
    assert "Still serverless" in report and "```mermaid" in report

    (post,) = github.of("POST")
    assert post.path == f"/repos/{REPO}/issues/7/comments"
    assert post.body["body"].startswith(MARKER) and "Still serverless" in post.body["body"]
    assert post.headers["authorization"] == "Bearer t0ken"

    assert set(outputs) == {
        "outcome", "serverless", "level", "changed", "systems-changed", "report", "sarif-file"
    }
    assert outputs["outcome"] == "passed"
    assert outputs["serverless"] == "true"
    assert outputs["level"] == "serverless"
    assert outputs["changed"] == "true"
    assert outputs["systems-changed"] == ""  # one system, still serverless
    assert Path(outputs["report"]).read_text() == report

    sarif = json.loads((repo / "iacscan.sarif").read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"]
    assert outputs["sarif-file"] == "iacscan.sarif"


def test_action_runner_fails_when_the_pr_stops_being_serverless(
    tmp_path: Path, github: FakeGitHub
) -> None:
    after = TEMPLATES / "ecs-ec2-fixed-count.yaml"
    if not after.exists():
        after = tmp_path / "ec2.yaml"
        after.write_text(
            "Resources:\n  Box:\n    Type: AWS::EC2::Instance\n"
            "    Properties:\n      ImageId: ami-12345678\n      InstanceType: t3.micro\n"
        )
    repo, base = _pr_repo(tmp_path, TEMPLATES / "prime-video-before.yaml", after)
    old = github.add(7, f"{MARKER}\nan earlier run's report", login=BOT)
    github.fail["POST"] = (403, "Resource not accessible by integration")  # must PATCH instead
    proc, outputs, summary = _run_action(
        tmp_path, repo, base, github, fail_on="not-serverless", sarif_file=""
    )
    log = proc.stdout + proc.stderr
    assert proc.returncode == 1, log
    assert "::error::" in proc.stdout and "not-serverless" in proc.stdout
    assert outputs["serverless"] == "false" and outputs["changed"] == "true"
    assert outputs["outcome"] == "gate-tripped" and outputs["sarif-file"] == ""
    assert "Still serverless" not in summary.read_text()
    (patch,) = github.of("PATCH")
    assert patch.path == f"/repos/{REPO}/issues/comments/{old}"
    assert not (repo / "iacscan.sarif").exists()


def test_action_runner_on_a_fork_warns_and_keeps_the_gate(
    tmp_path: Path, github: FakeGitHub
) -> None:
    repo, base = _pr_repo(
        tmp_path, TEMPLATES / "prime-video-before.yaml", TEMPLATES / "prime-video-after-task.yaml"
    )
    github.fail["POST"] = (403, "Resource not accessible by integration")
    proc, outputs, summary = _run_action(tmp_path, repo, base, github, sarif_file="")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "::warning::" + FORK_MESSAGE in proc.stdout
    assert "Still serverless" in summary.read_text()
    assert outputs["serverless"] == "true"


# ---------------------------------------------------------------- iacscan github comment


def _cli(args: list[str]) -> int:
    from iacscan.cli import main

    with pytest.raises(SystemExit) as exc:
        main(args)
    return int(exc.value.code or 0)


def test_cli_github_comment(
    tmp_path: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    body = tmp_path / "report.md"
    body.write_text("## report\n")
    for k, v in _event(tmp_path, {"pull_request": {"number": 7}}).items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("GITHUB_API_URL", github.url)
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
    assert _cli(["github", "comment", "--body-file", str(body)]) == 0
    assert "created the report comment on octo/infra#7" in capsys.readouterr().out
    github.fail["PATCH"] = (403, "Resource not accessible by integration")
    assert _cli(["github", "comment", "--body-file", str(body)]) == 0
    assert capsys.readouterr().out.startswith("::warning::" + FORK_MESSAGE)
    monkeypatch.delenv("GITHUB_EVENT_PATH")
    assert _cli(["github", "comment", "--body-file", str(body)]) == 0
    assert "::warning::" in capsys.readouterr().out
    assert len(github.of("POST")) == 1 and len(github.of("PATCH")) == 1


def test_a_malformed_api_url_is_a_message() -> None:
    result = post_sticky_comment("x", repo=REPO, pr_number=1, token="t", api_url="not a url")
    assert not result.posted and "could not be reached" in result.message


OUTPUTS = {"outcome", "serverless", "level", "changed", "systems-changed", "report", "sarif-file"}


def test_action_runner_on_a_missing_base_commit_says_so_and_keeps_the_last_report(
    tmp_path: Path, github: FakeGitHub
) -> None:
    repo, _ = _pr_repo(
        tmp_path, TEMPLATES / "prime-video-before.yaml", TEMPLATES / "prime-video-after-task.yaml"
    )
    good = github.add(7, f"{MARKER}\na good report", login=BOT)
    missing = "1234567890abcdef1234567890abcdef12345678"
    proc, outputs, summary = _run_action(tmp_path, repo, missing, github)
    assert proc.returncode == 3
    assert f"::error::iacscan: the base commit {missing} is not in the checkout" in proc.stdout
    assert "fetch-depth: 0" in proc.stdout
    # every documented output, none of them a verdict
    assert set(outputs) == OUTPUTS
    assert outputs["outcome"] == "could-not-analyse"
    assert (outputs["serverless"], outputs["level"], outputs["changed"]) == ("unknown",) * 3
    assert outputs["sarif-file"] == "iacscan.sarif" and (repo / "iacscan.sarif").is_file()
    report = Path(outputs["report"]).read_text()
    assert report == summary.read_text()
    assert report.startswith(MARKER) and "could not analyse" in report.splitlines()[2]
    assert missing in report and "Still" not in report
    # the comment leads with the failure; the last good report stays, folded below it
    (patch,) = github.of("PATCH")
    assert patch.path == f"/repos/{REPO}/issues/comments/{good}"
    body = patch.body["body"]
    assert body.index("could not analyse") < body.index("a good report")
    assert "<summary>Last report, of an earlier commit" in body
    # a second failure keeps the same good report, not a report of a failure
    proc, _, _ = _run_action(tmp_path, repo, missing, github)
    body = github.of("PATCH")[-1].body["body"]
    assert body.count("a good report") == 1 and body.count("could not analyse") == 1


@pytest.mark.parametrize("paths", ["infra/*.yml", "infra missing-folder"])
def test_action_runner_on_a_failed_input_leads_with_could_not_analyse(
    tmp_path: Path, github: FakeGitHub, paths: str
) -> None:
    repo, base = _pr_repo(
        tmp_path, TEMPLATES / "prime-video-before.yaml", TEMPLATES / "prime-video-after-task.yaml"
    )
    proc, outputs, summary = _run_action(tmp_path, repo, base, github, paths=paths, fail_on="never")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert set(outputs) == OUTPUTS
    assert outputs["outcome"] == "could-not-analyse"
    assert (outputs["serverless"], outputs["level"], outputs["changed"]) == ("unknown",) * 3
    (post,) = github.of("POST")
    body = post.body["body"]
    lead = body.split("\n#### ", 1)[0]
    assert "could not analyse 1 input(s) (head)" in lead
    assert "no such file or folder" in lead and "check the path" in lead  # message and hint
    assert "Still undecided" not in body and "No topology change" not in body
    assert "```mermaid\n```" not in body
    assert "exit code 3, whatever fail-on says" in proc.stdout


def test_action_runner_on_a_bad_fail_on_writes_every_output(
    tmp_path: Path, github: FakeGitHub
) -> None:
    repo, base = _pr_repo(
        tmp_path, TEMPLATES / "prime-video-before.yaml", TEMPLATES / "prime-video-after-task.yaml"
    )
    proc, outputs, summary = _run_action(tmp_path, repo, base, github, fail_on="sometimes")
    assert proc.returncode == 2
    assert set(outputs) == OUTPUTS and outputs["outcome"] == "usage-error"
    assert outputs["level"] == "unknown" and "fail-on must be one of" in summary.read_text()


def test_action_runner_on_a_new_branch_push_scans_the_head(
    tmp_path: Path, github: FakeGitHub
) -> None:
    repo, _ = _pr_repo(
        tmp_path, TEMPLATES / "prime-video-before.yaml", TEMPLATES / "prime-video-after-task.yaml"
    )
    proc, outputs, _ = _run_action(tmp_path, repo, "0" * 40, github, comment="false")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "scanning the head only" in proc.stdout
    assert outputs["changed"] == "unknown" and outputs["level"] == "serverless"


def test_action_runner_on_a_force_push_scans_the_head(tmp_path: Path, github: FakeGitHub) -> None:
    repo, _ = _pr_repo(
        tmp_path, TEMPLATES / "prime-video-before.yaml", TEMPLATES / "prime-video-after-task.yaml"
    )
    gone = "1234567890abcdef1234567890abcdef12345678"
    proc, outputs, _ = _run_action(tmp_path, repo, gone, github, event_name="push", comment="false")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"::warning::iacscan: the previous tip {gone} is gone" in proc.stdout
    assert outputs["changed"] == "unknown" and outputs["level"] == "serverless"


def test_a_long_comment_is_cut_at_a_boundary_with_a_link_to_the_full_report() -> None:
    from iacscan.github import MAX_BODY, fit_comment

    rows = "\n".join(f"| row {i} | {'x' * 80} |" for i in range(2000))
    body = (
        f"{MARKER}\n### report\n\n```mermaid\nflowchart TD\n    n1 --> n2\n```\n\n"
        f"<details><summary>Nodes</summary>\n\n| a | b |\n| --- | --- |\n{rows}\n</details>\n"
    )
    url = "https://github.test/octo/infra/actions/runs/42"
    cut = fit_comment(body, url)
    assert len(body) > MAX_BODY >= len(cut)
    assert cut.startswith(f"{MARKER}\n### report") and "```mermaid" in cut
    assert sum(line.startswith("```") for line in cut.splitlines()) % 2 == 0
    assert cut.count("<details>") == cut.count("</details>") == 1
    assert cut.rstrip().endswith(f"[the job summary of this run]({url}) has all of it._")
    # a fence that would be cut in half goes whole
    fenced = f"{MARKER}\n\n```mermaid\n" + "    n1 --> n2\n" * 10_000 + "```\n"
    cut = fit_comment(fenced, None)
    assert "```" not in cut and "the job summary of this run has all of it" in cut
    assert fit_comment("short", url) == "short"


def test_run_url() -> None:
    from iacscan.github import run_url

    env = {"GITHUB_REPOSITORY": REPO, "GITHUB_RUN_ID": "42"}
    assert run_url(env) == f"https://github.com/{REPO}/actions/runs/42"
    env["GITHUB_SERVER_URL"] = "https://ghe.test/"
    assert run_url(env) == f"https://ghe.test/{REPO}/actions/runs/42"
    assert run_url({"GITHUB_REPOSITORY": REPO}) is None


def test_action_runner_expands_a_glob_in_paths(tmp_path: Path, github: FakeGitHub) -> None:
    repo, base = _pr_repo(
        tmp_path, TEMPLATES / "prime-video-before.yaml", TEMPLATES / "prime-video-after-task.yaml"
    )
    proc, outputs, summary = _run_action(tmp_path, repo, base, github, paths="infra/*.yaml")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert outputs["outcome"] == "passed" and outputs["level"] == "serverless"
    assert outputs["changed"] == "true" and "could not analyse" not in summary.read_text()


def test_action_runner_on_a_cdk_app_without_its_dependencies(
    tmp_path: Path, github: FakeGitHub
) -> None:
    repo, base = _pr_repo(
        tmp_path, TEMPLATES / "prime-video-before.yaml", TEMPLATES / "prime-video-after-task.yaml"
    )
    (repo / "cdk").mkdir()
    (repo / "cdk" / "cdk.json").write_text('{"app": "python3 app.py"}\n')
    (repo / "cdk" / "app.py").write_text("import aws_cdk_dependency_not_installed\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "add a CDK app")
    proc, outputs, summary = _run_action(tmp_path, repo, base, github, paths="infra cdk")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert outputs["outcome"] == "could-not-analyse" and outputs["level"] == "unknown"
    lead = summary.read_text().split("\n#### ", 1)[0]
    assert "could not analyse 1 input(s) (head)" in lead
    assert "| cdk | synth |" in lead and "ModuleNotFoundError" in lead
    assert "pip install -r requirements.txt" in lead  # the hint, with the command that fixes it
