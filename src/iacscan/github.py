"""GitHub glue for the action: the sticky pull request comment, step outputs and the job summary.

Standard library only (``urllib.request``, ``json``). Nothing here raises on an HTTP or network
failure: a pull request from a fork gets a read-only ``GITHUB_TOKEN``, and a report that cannot
be posted must not fail the job; the caller prints ``CommentResult.message`` instead.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MARKER = "<!-- iacscan-report -->"
# Only a comment this account wrote is ours to update: anyone can paste the marker into a
# comment of their own. GITHUB_TOKEN comments as github-actions[bot]; a personal or GitHub App
# token is another account (IACSCAN_COMMENT_AUTHOR, the action's comment-author input).
DEFAULT_AUTHOR = "github-actions[bot]"
API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
MAX_BODY = 65536  # GitHub refuses longer comment bodies
MAX_PAGES = 50  # 5,000 comments: enough for any pull request, bounded for a hostile server
FORK_MESSAGE = (
    "iacscan cannot comment: the token has no write access (pull requests from forks get a "
    "read-only GITHUB_TOKEN); the report is in the job summary"
)
PREVIOUS = "<!-- iacscan-previous -->"
_PREVIOUS_SUMMARY = "Last report, of an earlier commit (may be out of date)"
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


@dataclass(frozen=True)
class CommentResult:
    """What ``post_sticky_comment`` did: ``action`` is "created", "updated" or "" (nothing)."""

    posted: bool
    message: str
    action: str = ""
    comment_id: int | None = None
    url: str | None = None
    status: int | None = None


class _Failed(Exception):
    """An HTTP or network failure inside one ``post_sticky_comment`` call."""

    def __init__(self, status: int | None, detail: str, headers: Mapping[str, str]) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers


class _Client:
    def __init__(self, api_url: str, token: str, timeout: float) -> None:
        self.base = api_url.rstrip("/")
        self.origin = _origin(self.base)
        self.token = token
        self.timeout = timeout

    def request(self, method: str, url: str, payload: Any = None) -> tuple[Any, Mapping[str, str]]:
        data = None if payload is None else json.dumps(payload).encode("utf-8")
        try:
            req = urllib.request.Request(url, data=data, method=method)
            req.add_header("Authorization", f"Bearer {self.token}")
            req.add_header("Accept", "application/vnd.github+json")
            req.add_header("X-GitHub-Api-Version", API_VERSION)
            req.add_header("User-Agent", "iacscan")
            if data is not None:
                req.add_header("Content-Type", "application/json")
            with _opener(self.origin).open(req, timeout=self.timeout) as resp:
                raw = resp.read()
                headers = {k.lower(): v for k, v in resp.headers.items()}
        except urllib.error.HTTPError as err:
            headers = {k.lower(): v for k, v in (err.headers or {}).items()}
            raise _Failed(err.code, _error_detail(err), headers) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as err:
            reason = getattr(err, "reason", err)
            raise _Failed(None, f"{type(err).__name__}: {reason}", {}) from None
        try:
            body = json.loads(raw.decode("utf-8")) if raw.strip() else None
        except (UnicodeDecodeError, ValueError):
            raise _Failed(None, f"{method} {url} returned a body that is not JSON", {}) from None
        return body, headers

    def comments(self, repo: str, pr_number: int) -> list[Mapping[str, Any]]:
        url: str | None = f"{self.base}/repos/{repo}/issues/{pr_number}/comments?per_page=100"
        found: list[Mapping[str, Any]] = []
        pages = 0
        while url is not None and pages < MAX_PAGES:
            body, headers = self.request("GET", url)
            pages += 1
            if not isinstance(body, list):
                raise _Failed(None, "listing comments did not return a JSON list", {})
            found.extend(c for c in body if isinstance(c, dict))
            url = _next_link(headers.get("link", ""))
            if url is not None and _origin(url) != self.origin:
                url = None  # never send the token to another host
        return found


def post_sticky_comment(
    body: str,
    *,
    repo: str,
    pr_number: int,
    token: str,
    api_url: str = API_URL,
    timeout: float = 30,
    author: str = DEFAULT_AUTHOR,
    full_report_url: str | None = None,
    keep_previous: bool = False,
) -> CommentResult:
    """Create or update the pull request comment that carries ``MARKER`` and that ``author``
    wrote; never raises. A body over GitHub's limit is cut at a section boundary with a link to
    ``full_report_url``. With ``keep_previous`` (a run that could not analyse), the last report
    stays in the comment, folded under the new one."""
    if not body.startswith(MARKER):
        body = f"{MARKER}\n{body}"
    client = _Client(api_url, token, timeout)
    where = f"{repo}#{pr_number}"
    try:
        existing = [
            c
            for c in client.comments(repo, pr_number)
            if MARKER in str(c.get("body") or "") and _login(c) == author
        ]
        target = existing[-1] if existing else None
        if keep_previous and target is not None:
            body = with_previous(body, str(target.get("body") or ""))
        body = fit_comment(body, full_report_url)
        made: Any = None
        action = ""
        if target is not None and isinstance(target.get("id"), int):
            comment_id: int = target["id"]
            try:
                made, _ = client.request(
                    "PATCH",
                    f"{client.base}/repos/{repo}/issues/comments/{comment_id}",
                    {"body": body},
                )
                action = "updated"
            except _Failed as err:
                if err.status != 404:  # deleted since it was listed: post a new one
                    raise
        if not action:
            made, _ = client.request(
                "POST", f"{client.base}/repos/{repo}/issues/{pr_number}/comments", {"body": body}
            )
            action = "created"
    except _Failed as err:
        return _failure(err, where)
    made = made if isinstance(made, dict) else {}
    new_id = made.get("id")
    url = made.get("html_url")
    return CommentResult(
        posted=True,
        message=f"iacscan {action} the report comment on {where}" + (f": {url}" if url else ""),
        action=action,
        comment_id=new_id if isinstance(new_id, int) else None,
        url=url if isinstance(url, str) else None,
    )


def with_previous(body: str, old: str) -> str:
    """``body`` with the last report (from ``old``, the comment it replaces) folded below it.
    An old comment that was itself a failure carries its own folded report: that one is kept."""
    if PREVIOUS in old:
        previous = old.split(PREVIOUS, 1)[1]
        previous = previous.split("</summary>", 1)[-1].rsplit("</details>", 1)[0]
    else:
        previous = old.replace(MARKER, "", 1)
    previous = previous.strip()
    if not previous:
        return body
    return (
        f"{body.rstrip()}\n\n{PREVIOUS}\n<details><summary>{_PREVIOUS_SUMMARY}</summary>\n\n"
        f"{previous}\n\n</details>\n"
    )


def fit_comment(body: str, full_report_url: str | None, limit: int = MAX_BODY) -> str:
    """``body`` under ``limit`` characters: cut at the last section or paragraph boundary that
    fits, outside a code fence, with open ``<details>`` closed and a note pointing at the full
    report (the job summary of the run, or the artifact)."""
    if len(body) <= limit:
        return body
    where = (
        f"[the job summary of this run]({full_report_url})"
        if full_report_url
        else ("the job summary of this run")
    )
    note = f"\n\n---\n_The report was cut to fit a GitHub comment; {where} has all of it._\n"
    budget = limit - len(note) - 200  # room for closing tags
    text = body[:budget]
    for boundary in ("\n#### ", "\n### ", "\n\n"):
        end = text.rfind(boundary)
        if end > budget // 2:
            text = text[:end]
            break
    lines = text.splitlines()
    fences = [i for i, line in enumerate(lines) if line.startswith("```")]
    if len(fences) % 2:  # the cut is inside a fenced block: cut before it
        lines = lines[: fences[-1]]
    text = "\n".join(lines).rstrip()
    opened = text.count("<details>") - text.count("</details>")
    text += "\n\n</details>" * max(opened, 0)
    return text + note


def run_url(env: Mapping[str, str]) -> str | None:
    """The URL of this workflow run (its job summary holds the whole report)."""
    server = env.get("GITHUB_SERVER_URL", "").strip() or "https://github.com"
    repo, run_id = env.get("GITHUB_REPOSITORY", "").strip(), env.get("GITHUB_RUN_ID", "").strip()
    if not repo or not run_id.isdigit():
        return None
    return f"{server.rstrip('/')}/{repo}/actions/runs/{run_id}"


class _SameOrigin(urllib.request.HTTPRedirectHandler):
    """Follow redirects on the API's own host only: urllib would send the Authorization header
    along to any host a redirect names."""

    def __init__(self, origin: tuple[str, str]) -> None:
        self.origin = origin

    def redirect_request(
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> Any:
        if _origin(newurl) != self.origin:
            return None  # urllib then raises the 3xx as an HTTPError
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener(origin: tuple[str, str]) -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(_SameOrigin(origin))


def _login(comment: Mapping[str, Any]) -> str:
    user = comment.get("user")
    return str(user.get("login") or "") if isinstance(user, Mapping) else ""


def _failure(err: _Failed, where: str) -> CommentResult:
    if err.status is None:
        return CommentResult(
            posted=False,
            message=f"iacscan cannot comment on {where}: the GitHub API could not be reached "
            f"({err.detail}); the report is in the job summary",
        )
    rate_limited = err.headers.get("x-ratelimit-remaining") == "0" or "rate limit" in (
        err.detail.lower()
    )
    if err.status in (403, 429) and rate_limited:
        text = f"iacscan cannot comment on {where}: GitHub API rate limit (HTTP {err.status})"
        return CommentResult(
            posted=False, message=text + "; the report is in the job summary", status=err.status
        )
    if err.status in (403, 404):
        return CommentResult(
            posted=False,
            message=f"{FORK_MESSAGE} (HTTP {err.status}: {err.detail})",
            status=err.status,
        )
    hint = " (is GITHUB_TOKEN valid?)" if err.status == 401 else ""
    return CommentResult(
        posted=False,
        message=f"iacscan cannot comment on {where}: GitHub API answered HTTP {err.status}{hint}: "
        f"{err.detail}; the report is in the job summary",
        status=err.status,
    )


def _error_detail(err: urllib.error.HTTPError) -> str:
    try:
        raw = err.read()
    except OSError:
        raw = b""
    text = raw.decode("utf-8", errors="replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return str(data["message"])[:300]
    return text[:300] or str(err.reason)


def _next_link(header: str) -> str | None:
    match = _NEXT.search(header)
    return match.group(1) if match else None


def _origin(url: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def pr_context_from_env(env: Mapping[str, str]) -> tuple[str, int] | None:
    """``(owner/repo, pull request number)`` from the Actions environment; None outside a PR."""
    repo = env.get("GITHUB_REPOSITORY", "").strip()
    event_path = env.get("GITHUB_EVENT_PATH", "").strip()
    if not repo or "/" not in repo or not event_path:
        return None
    try:
        with open(event_path, encoding="utf-8") as fh:
            event = json.load(fh)
    except (OSError, ValueError):
        return None
    if not isinstance(event, dict):
        return None
    number: Any = None
    pull = event.get("pull_request")
    issue = event.get("issue")
    if isinstance(pull, dict):
        number = pull.get("number")
    elif isinstance(issue, dict) and issue.get("pull_request"):  # issue_comment on a PR
        number = issue.get("number")
    if isinstance(number, bool) or not isinstance(number, int) or number <= 0:
        return None
    return repo, number


def write_outputs(path: str | os.PathLike[str], mapping: Mapping[str, str]) -> None:
    """Append step outputs to ``$GITHUB_OUTPUT``; multi-line values use the heredoc form."""
    lines: list[str] = []
    for name, value in mapping.items():
        if "\n" in value or "\r" in value:
            delimiter = f"ghadelimiter_{uuid.uuid4().hex}"
            lines += [f"{name}<<{delimiter}", value, delimiter]
        else:
            lines.append(f"{name}={value}")
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("".join(line + "\n" for line in lines))


def workflow_command(command: str, message: str) -> str:
    """``::warning::message`` with the message escaped so it stays one annotation."""
    escaped = message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return f"::{command}::{escaped}"


def append_summary(path: str | os.PathLike[str], text: str) -> None:
    """Append Markdown to ``$GITHUB_STEP_SUMMARY``."""
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(text if text.endswith("\n") else text + "\n")
