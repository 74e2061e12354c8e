"""The body of the GitHub Action (``action.yml``): ``python -m iacscan.action_runner``.

Inputs come from environment variables that ``action.yml`` sets from its inputs (never from text
interpolated into a script): ``IACSCAN_PATHS``, ``IACSCAN_DEFINITION``, ``IACSCAN_FAIL_ON``,
``IACSCAN_COMMENT``, ``IACSCAN_SARIF_FILE``, ``BASE_SHA``, plus the runner's own ``GITHUB_*``
variables. It runs the iacscan CLI as subprocesses (the same exit codes as on a laptop):

1. ``iacscan diff --base-ref BASE_SHA PATHS --format markdown`` (the gate, per ``fail-on``) and
   ``--format json`` (for the outputs); without a base (not a pull request) ``iacscan scan``;
2. ``iacscan scan PATHS --format sarif -o SARIF_FILE`` for code scanning;
3. appends the Markdown to ``$GITHUB_STEP_SUMMARY``, updates the sticky pull request comment
   (cut to GitHub's size with a link to the run's summary), writes the ``outcome``,
   ``serverless``, ``level``, ``changed``, ``report`` and ``sarif-file`` outputs;
4. exits with the highest exit code of the runs: 1 when the gate tripped, 3/4 on input or
   internal errors, 0 otherwise.

A run that could not analyse something (an input, the base commit) says so first: the comment
leads with "could not analyse" and the errors, the verdict outputs are ``unknown`` and
``outcome`` is ``could-not-analyse``. Every output is written on every path.
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
    run_url,
    workflow_command,
    write_outputs,
)
from iacscan.model import FAIL_ON_VALUES
from iacscan.render.mdblocks import cell

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


UNKNOWN = {
    "serverless": "unknown",
    "level": "unknown",
    "changed": "unknown",
    "systems-changed": "unknown",
}
# The ``outcome`` output: what the run decided, in words a later step can test.
OUTCOMES = {
    0: "passed",
    1: "gate-tripped",
    2: "usage-error",
    3: "could-not-analyse",
    4: "internal-error",
}


def _incomplete(data: Any, is_diff: bool) -> bool:
    """Did an input (either side of a diff) fail, or an analysis step break?"""
    sides = [data.get("before"), data.get("after")] if is_diff else [data]
    return any(
        not isinstance(r, dict) or r.get("errors") for r in sides  # internal errors included
    )


def _verdict_outputs(data: Any, is_diff: bool) -> dict[str, str]:
    """``serverless``, ``level`` and ``changed`` from a diff (or scan) JSON report: all
    ``unknown`` when there is no report or an input could not be analysed (a partial report's
    verdict would read as a judgement of the whole system)."""
    if not isinstance(data, dict) or _incomplete(data, is_diff):
        return dict(UNKNOWN)
    report = data.get("after") if is_diff else data
    verdict = report.get("verdict", {}) if isinstance(report, dict) else {}
    serverless = {"True": "true", "False": "false"}.get(str(verdict.get("serverless")), "unknown")
    out = {
        "serverless": serverless,
        "level": str(verdict.get("level") or "unknown"),
        "changed": "unknown",  # no base to compare with
        "systems-changed": "unknown",
    }
    if is_diff:
        out["changed"] = "true" if _changed(data.get("changes", {})) else "false"
        out["systems-changed"] = ",".join(systems_changed(data.get("changes")))
    return out


def systems_changed(changes: Any) -> list[str]:
    """Names of the systems whose level the change moves (added and removed ones included),
    from the diff's ``changes.systems`` (diff.system_changes); label-only moves are left out."""
    out = []
    for c in changes.get("systems", []) if isinstance(changes, dict) else []:
        before, after = c.get("before") or {}, c.get("after") or {}
        if before.get("level") != after.get("level"):
            out.append(str(c.get("name")))
    return sorted(out)


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


def _comment(report: str, env: Mapping[str, str], *, failed: bool) -> None:
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
        full_report_url=run_url(env),
        keep_previous=failed,  # a failed run says so, and keeps the last report folded below
    )
    _say(result.message if result.posted else workflow_command("warning", result.message))


def _failure_report(file: str, kind: str, message: str, hint: str) -> str:
    """The report of a run that could not analyse anything (no iacscan report to show)."""
    row = " | ".join(cell(x) or "—" for x in (file, kind, message, hint))
    return (
        f"{MARKER}\n\n### ⛔ iacscan could not analyse this change\n\n"
        "No verdict: nothing below is a judgement of the change.\n\n"
        f"| File | Kind | Error | Hint |\n| --- | --- | --- | --- |\n| {row} |\n"
    )


def _publish(
    env: Mapping[str, str], report: str, outputs: dict[str, str], *, comment: bool, failed: bool
) -> None:
    """Every documented output, the job summary and the comment: on every path."""
    if env.get("GITHUB_STEP_SUMMARY"):
        append_summary(env["GITHUB_STEP_SUMMARY"], report)
    if comment:
        _comment(report, env, failed=failed)
    if env.get("GITHUB_OUTPUT"):
        write_outputs(env["GITHUB_OUTPUT"], outputs)
    _say(
        f"iacscan: outcome={outputs['outcome']} serverless={outputs['serverless']} "
        f"level={outputs['level']} changed={outputs['changed']}"
    )


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
    want_comment = env.get("IACSCAN_COMMENT", "true").strip().lower() in TRUE
    sarif = env.get("IACSCAN_SARIF_FILE", "").strip()
    out_dir = Path(env.get("RUNNER_TEMP") or tempfile.gettempdir())
    work = Path(tempfile.mkdtemp(prefix="iacscan-", dir=out_dir))
    report_md, report_json = work / "report.md", work / "report.json"
    if fail_on not in FAIL_ON_VALUES:
        allowed = ", ".join(FAIL_ON_VALUES)
        message = f"iacscan: fail-on must be one of {allowed}, not {fail_on!r}"
        _say(workflow_command("error", message))
        report = _failure_report("action input fail-on", "usage", message, f"use {allowed}")
        report_md.write_text(report, "utf-8")
        outputs = {**UNKNOWN, "outcome": OUTCOMES[2], "report": str(report_md), "sarif-file": ""}
        _publish(env, report, outputs, comment=False, failed=True)
        return 2
    base = env.get("BASE_SHA", "").strip()
    if base and not base.strip("0"):
        base = ""  # a push that creates a branch: GitHub sends forty zeros as "before"
    common = ["--definition", definition] if definition else []
    synth = _synth_choice(env)
    if synth is None:  # every output and the summary, as for a bad fail-on
        message = "iacscan: synth must be auto, true or false"
        report = _failure_report("action input synth", "usage", message, "use auto, true or false")
        report_md.write_text(report, "utf-8")
        outputs = {**UNKNOWN, "outcome": OUTCOMES[2], "report": str(report_md), "sarif-file": ""}
        _publish(env, report, outputs, comment=False, failed=True)
        return 2
    if not synth:
        common.append("--no-synth")
    never = ["--fail-on", "never"]

    def write_sarif(config_ref: str) -> list[int]:
        if not sarif:
            return []
        # The configuration (ignored rules, definition) of the base, as the gate's diff uses.
        config = ["--config-ref", config_ref] if config_ref else []
        return [_run(["scan", *paths, "--format", "sarif", "-o", sarif, *common, *config, *never])]

    if base:
        _fetch_base(base)
        if not _have_commit(base) and env.get("GITHUB_EVENT_NAME") == "push":
            # a force push: the previous tip may be gone; scan what was pushed
            _say(workflow_command("warning", f"iacscan: the previous tip {base} is gone"))
            base = ""
    if base and not _have_commit(base):
        message = f"the base commit {base} is not in the checkout and could not be fetched"
        hint = "use actions/checkout with fetch-depth: 0"
        _say(workflow_command("error", f"iacscan: {message}; {hint}"))
        report = _failure_report(f"base commit {base}", "git", message, hint)
        report_md.write_text(report, "utf-8")
        codes = write_sarif("")  # no base to read the configuration at
        outputs = {
            **UNKNOWN,
            "outcome": OUTCOMES[3],
            "report": str(report_md),
            "sarif-file": sarif if sarif and Path(sarif).is_file() else "",
        }
        _publish(env, report, outputs, comment=want_comment, failed=True)
        return max([3, *codes])
    if base:
        head = ["diff", "--base-ref", base, *paths]
    else:
        _say(
            "iacscan: no base commit (not a pull request, merge queue or push): scanning the head only"
        )
        head = ["scan", *paths]
    gate = ["--fail-on", fail_on]  # only the first run gates
    codes = [
        _run([*head, "--format", "markdown", "-o", str(report_md), *common, *gate]),
        _run([*head, "--format", "json", "-o", str(report_json), *common, *never]),
    ]
    codes += write_sarif(base)

    data = _load_json(report_json)
    outputs = _verdict_outputs(data, is_diff=bool(base))
    code = max(codes)
    if code < 3 and isinstance(data, dict) and _incomplete(data, bool(base)):
        code = 3  # defensive: an incomplete report is never a pass
    outputs["outcome"] = OUTCOMES.get(code, OUTCOMES[4])
    if report_md.is_file() and report_md.stat().st_size:
        report = report_md.read_text("utf-8")
    else:
        report = _failure_report(
            " ".join(paths), "no report", f"iacscan exited with code {codes[0]}", "see the job log"
        )
        report_md.write_text(report, "utf-8")
        outputs.update(UNKNOWN)
    outputs["report"] = str(report_md)
    outputs["sarif-file"] = sarif if sarif and Path(sarif).is_file() else ""
    _publish(env, report, outputs, comment=want_comment, failed=code >= 2)

    if code == 1:
        _say(f"::error::iacscan: the fail-on {fail_on} gate tripped (see the report)")
    elif code == 3:
        _say(
            "::error::iacscan could not analyse an input (exit code 3, whatever fail-on says: "
            "an incomplete report is never a pass); see the report and the log above"
        )
    elif code >= 2:
        _say(f"::error::iacscan exited with code {code}; see the log above")
    return code


if __name__ == "__main__":
    sys.exit(main())
