"""The body of the GitHub Action (``action.yml``): ``python -m iacscan.action_runner``.

Inputs come from environment variables that ``action.yml`` sets from its inputs (never from text
interpolated into a script): ``IACSCAN_PATHS``, ``IACSCAN_DEFINITION``, ``IACSCAN_FAIL_ON``,
``IACSCAN_COMMENT``, ``IACSCAN_SARIF_FILE``, ``BASE_SHA``, plus the runner's own ``GITHUB_*``
variables. It runs the iacscan CLI as subprocesses (the same exit codes as on a laptop):

1. ``iacscan diff --base-ref BASE_SHA PATHS --format markdown`` (the gate, per ``fail-on``) and
   ``--format json`` (for the outputs); without a base (not a pull request) ``iacscan scan``;
2. ``iacscan scan PATHS --format sarif -o SARIF_FILE`` for code scanning;
3. appends the Markdown to ``$GITHUB_STEP_SUMMARY``, updates the sticky pull request comment,
   writes the ``serverless``, ``level``, ``changed``, ``report`` and ``sarif-file`` outputs;
4. exits with the highest exit code of the runs: 1 when the gate tripped, 3/4 on input or
   internal errors, 0 otherwise.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from iacscan.github import (
    DEFAULT_AUTHOR,
    MARKER,
    append_summary,
    post_sticky_comment,
    pr_context_from_env,
    workflow_command,
    write_outputs,
)

FAIL_ON = ("never", "not-serverless", "warning", "error")
TRUE = ("1", "true", "yes", "on")


def _say(text: str) -> None:
    print(text, flush=True)


def _run(args: Sequence[str]) -> int:
    """Run the iacscan CLI with this interpreter; stderr goes to the job log."""
    cmd = [sys.executable, "-m", "iacscan", *args]
    _say("$ iacscan " + shlex.join(args))
    return subprocess.run(cmd, check=False).returncode


def _have_commit(sha: str) -> bool:
    proc = subprocess.run(
        ["git", "cat-file", "-e", f"{sha}^{{commit}}"], capture_output=True, check=False
    )
    return proc.returncode == 0


def _fetch_base(sha: str) -> None:
    """A shallow checkout lacks the base commit: fetch just that commit (best effort)."""
    if _have_commit(sha):
        return
    _say(f"iacscan: fetching base commit {sha} (use actions/checkout with fetch-depth: 0)")
    subprocess.run(["git", "fetch", "--no-tags", "--depth=1", "origin", sha], check=False)


def _verdict_outputs(data: Any, is_diff: bool) -> dict[str, str]:
    """``serverless``, ``level`` and ``changed`` from a diff (or scan) JSON report."""
    if not isinstance(data, dict):
        return {"serverless": "unknown", "level": "unknown", "changed": "unknown"}
    report = data.get("after") if is_diff else data
    verdict = report.get("verdict", {}) if isinstance(report, dict) else {}
    serverless = {"True": "true", "False": "false"}.get(str(verdict.get("serverless")), "unknown")
    out = {
        "serverless": serverless,
        "level": str(verdict.get("level") or "unknown"),
        "changed": "unknown",  # no base to compare with
    }
    if is_diff:
        out["changed"] = "true" if _changed(data.get("changes", {})) else "false"
    return out


def _changed(changes: Any) -> bool:
    """Did the topology, the boundary or the verdict change?"""
    if not isinstance(changes, dict):
        return False
    nodes, edges = changes.get("nodes", {}), changes.get("edges", {})
    if any(nodes.get(k) for k in ("added", "removed", "changed")):
        return True
    if any(edges.get(k) for k in ("added", "removed")):
        return True
    boundary = changes.get("boundary", {})
    for side in ("ingress", "egress"):
        if any(boundary.get(side, {}).get(k) for k in ("added", "removed")):
            return True
    verdict = changes.get("verdict", {})
    before, after = verdict.get("before") or {}, verdict.get("after") or {}
    keys = ("serverless", "level", "scales_to_zero", "monolith", "architecture")
    return any(before.get(k) != after.get(k) for k in keys)


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None


def _comment(report: str, env: Mapping[str, str]) -> None:
    context = pr_context_from_env(env)
    if context is None:
        _say("iacscan: not a pull request; no comment posted")
        return
    token = env.get("GITHUB_TOKEN", "")
    if not token:
        _say(
            "::warning::iacscan cannot comment: GITHUB_TOKEN is not set; "
            "the report is in the job summary"
        )
        return
    repo, number = context
    result = post_sticky_comment(
        report,
        repo=repo,
        pr_number=number,
        token=token,
        api_url=env.get("GITHUB_API_URL") or "https://api.github.com",
        author=env.get("IACSCAN_COMMENT_AUTHOR", "").strip() or DEFAULT_AUTHOR,
    )
    _say(result.message if result.posted else workflow_command("warning", result.message))


def _synth_choice(env: Mapping[str, str]) -> bool | None:
    """The ``synth`` input: True/False, auto = not for a pull request from a fork (whose code
    the repository's owners have not reviewed); None (and an error) when it is not valid."""
    value = env.get("IACSCAN_SYNTH", "auto").strip().lower() or "auto"
    if value in TRUE:
        return True
    if value in ("0", "false", "no", "off"):
        return False
    if value != "auto":
        _say(
            workflow_command("error", f"iacscan: synth must be auto, true or false, not {value!r}")
        )
        return None
    head_repo = env.get("IACSCAN_HEAD_REPO", "").strip()
    fork = bool(head_repo) and head_repo != env.get("GITHUB_REPOSITORY", "").strip()
    if fork:
        _say(
            "iacscan: a pull request from a fork: CDK apps are not synthesized (synth: auto); "
            "a committed cdk.out is read, an app without one is reported as not analysed"
        )
    return not fork


def main(env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    paths = shlex.split(env.get("IACSCAN_PATHS", ".")) or ["."]
    definition = env.get("IACSCAN_DEFINITION", "").strip()
    fail_on = env.get("IACSCAN_FAIL_ON", "never").strip() or "never"
    if fail_on not in FAIL_ON:
        allowed = ", ".join(FAIL_ON)
        _say(
            workflow_command("error", f"iacscan: fail-on must be one of {allowed}, not {fail_on!r}")
        )
        return 2
    want_comment = env.get("IACSCAN_COMMENT", "true").strip().lower() in TRUE
    sarif = env.get("IACSCAN_SARIF_FILE", "").strip()
    base = env.get("BASE_SHA", "").strip()
    if base and not base.strip("0"):
        base = ""  # a push that creates a branch: GitHub sends forty zeros as "before"
    common = ["--definition", definition] if definition else []
    synth = _synth_choice(env)
    if synth is None:
        return 2
    if not synth:
        common.append("--no-synth")

    out_dir = Path(env.get("RUNNER_TEMP") or tempfile.gettempdir())
    work = Path(tempfile.mkdtemp(prefix="iacscan-", dir=out_dir))
    report_md, report_json = work / "report.md", work / "report.json"
    if base:
        _fetch_base(base)
        if not _have_commit(base) and env.get("GITHUB_EVENT_NAME") == "push":
            # a force push: the previous tip may be gone; scan what was pushed
            _say(workflow_command("warning", f"iacscan: the previous tip {base} is gone"))
            base = ""
    if base:
        if not _have_commit(base):
            # Reporting "no report" would replace the last good comment: leave it, and say why.
            _say(
                workflow_command(
                    "error",
                    f"iacscan: the base commit {base} is not in the checkout and could not be "
                    "fetched; use actions/checkout with fetch-depth: 0",
                )
            )
            return 3
        head = ["diff", "--base-ref", base, *paths]
    else:
        _say(
            "iacscan: no base commit (not a pull request, merge queue or push): scanning the head only"
        )
        head = ["scan", *paths]
    gate, never = ["--fail-on", fail_on], ["--fail-on", "never"]  # only the first run gates
    codes = [
        _run([*head, "--format", "markdown", "-o", str(report_md), *common, *gate]),
        _run([*head, "--format", "json", "-o", str(report_json), *common, *never]),
    ]
    if sarif:
        # The configuration (ignored rules, definition) of the base, as the gate's diff uses.
        config = ["--config-ref", base] if base else []
        codes.append(
            _run(["scan", *paths, "--format", "sarif", "-o", sarif, *common, *config, *never])
        )

    if report_md.is_file() and report_md.stat().st_size:
        report = report_md.read_text("utf-8")
    else:
        report = (
            f"{MARKER}\n### iacscan\n\niacscan could not produce a report (exit code "
            f"{codes[0]}); see the job log.\n"
        )
    if env.get("GITHUB_STEP_SUMMARY"):
        append_summary(env["GITHUB_STEP_SUMMARY"], report)
    if want_comment:
        _comment(report, env)

    outputs = _verdict_outputs(_load_json(report_json), is_diff=bool(base))
    outputs["report"] = str(report_md)
    outputs["sarif-file"] = sarif
    if env.get("GITHUB_OUTPUT"):
        write_outputs(env["GITHUB_OUTPUT"], outputs)
    _say(
        f"iacscan: serverless={outputs['serverless']} level={outputs['level']} "
        f"changed={outputs['changed']}"
    )

    code = max(codes)
    if codes[0] == 1:
        _say(f"::error::iacscan: the fail-on {fail_on} gate tripped (see the report)")
    elif code >= 2:
        _say(f"::error::iacscan exited with code {code}; see the log above")
    return code


if __name__ == "__main__":
    sys.exit(main())
