"""SARIF that code scanning accepts: one run per invocation, repository-relative URIs from any
folder, fingerprints that know direction and ignore unrelated line moves, suppressions, rule
metadata, the result limit, and CDK results at the app's entry file. Validated against the
SARIF 2.1.0 schema vendored in tests/data."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from builders import prime_before
from iacscan.load.locations import cdk_entry_file
from iacscan.render.sarif import MAX_RESULTS, RuleDoc, Where, sarif_log
from scan_helpers import git_repo, run_cli

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SCHEMA = json.loads((DATA / "sarif-schema-2.1.0.json").read_text("utf-8"))
FP = "iacscan/v2"


def _valid(text: str) -> dict[str, Any]:
    log: dict[str, Any] = json.loads(text)
    validator = jsonschema.validators.validator_for(SCHEMA)
    validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(log)
    return log


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "infra" / "monitoring").mkdir(parents=True)
    (repo / "docs").mkdir()
    (repo / "docs" / "README.md").write_text("docs\n")
    shutil.copy(DATA / "sarif" / "calls.yaml", repo / "infra" / "calls.yaml")
    shutil.copy(
        ROOT / "fixtures" / "templates" / "prime-video-before.yaml",
        repo / "infra" / "monitoring" / "template.yaml",
    )
    git_repo(repo)
    return repo


def _sarif(cwd: Path, *args: str) -> dict[str, Any]:
    proc = run_cli(*args, "--format", "sarif", cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    return _valid(proc.stdout)


def _by_uri(log: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    out = {}
    for r in log["runs"][0]["results"]:
        loc = r["locations"][0]
        key = (r["partialFingerprints"][FP], loc["physicalLocation"]["artifactLocation"]["uri"])
        out[key] = r
    return out


def test_one_run_with_repository_relative_uris_from_any_folder(repo: Path) -> None:
    logs = {
        "root": _sarif(repo, "infra"),
        "subfolder": _sarif(repo / "docs", "../infra"),
        "each": _sarif(repo / "docs", "--each", "../infra"),
        "each-files": _sarif(
            repo / "infra" / "monitoring", "--each", "template.yaml", "../calls.yaml"
        ),
    }
    for name, log in logs.items():
        assert len(log["runs"]) == 1, name
        run = log["runs"][0]
        assert set(run["originalUriBaseIds"]) == {"%SRCROOT%"}
        assert run["tool"]["driver"]["semanticVersion"] == run["tool"]["driver"]["version"]
        for r in run["results"]:
            physical = r["locations"][0]["physicalLocation"]
            artifact = physical["artifactLocation"]
            assert artifact["uriBaseId"] == "%SRCROOT%", name
            assert (repo / artifact["uri"]).is_file(), (name, artifact["uri"])
            assert physical["region"]["startLine"] >= 1
        uris = {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]
        }
        assert uris == {"infra/calls.yaml", "infra/monitoring/template.yaml"}, name
    # --each and a scan from the root and from a subfolder give the same results, the same
    # fingerprints, and every template's results in the one run
    each = _by_uri(logs["each"])
    assert set(each) == set(_by_uri(logs["each-files"]))
    assert {k[0] for k in _by_uri(logs["root"])} == {k[0] for k in _by_uri(logs["subfolder"])}
    assert len(each) == len(logs["each"]["runs"][0]["results"])  # all distinct


def test_fingerprints_know_direction_and_ignore_unrelated_line_moves(repo: Path) -> None:
    log = _sarif(repo, "infra/calls.yaml")
    calls = {
        r["message"]["text"].split(" directly")[0]: r
        for r in log["runs"][0]["results"]
        if r["ruleId"] == "lambda-calls-lambda"
    }
    assert {"FnA invokes FnB", "FnB invokes FnA", "FnC invokes FnA"} == set(calls)
    assert (
        calls["FnA invokes FnB"]["partialFingerprints"]
        != calls["FnB invokes FnA"]["partialFingerprints"]
    )
    template = repo / "infra" / "calls.yaml"
    template.write_text("# a comment\n\n\n" + template.read_text())  # every line moves by 3
    moved = _sarif(repo, "infra/calls.yaml")["runs"][0]["results"]
    before = log["runs"][0]["results"]
    assert [r["partialFingerprints"] for r in moved] == [r["partialFingerprints"] for r in before]
    lines = [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in before]
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in moved] == [
        n + 3 for n in lines
    ]


def test_suppressed_findings_are_results_with_suppressions(repo: Path) -> None:
    results = _sarif(repo, "infra/calls.yaml")["runs"][0]["results"]
    suppressed = {r["message"]["text"][:15]: r.get("suppressions") for r in results}
    assert suppressed["FnC invokes FnA"] == [
        {
            "kind": "inSource",
            "status": "accepted",
            "justification": "Metadata iacscan ignore on FnC",
        }
    ]
    assert suppressed["FnA invokes FnB"] is None
    ignored = _sarif(repo, "infra/calls.yaml", "--ignore", "lambda-calls-lambda")["runs"][0]
    calls = [r for r in ignored["results"] if r["ruleId"] == "lambda-calls-lambda"]
    assert {r["suppressions"][0]["kind"] for r in calls} == {"external"}  # --ignore wins
    assert len(calls) == 3
    # the JSON report still leaves suppressed findings out
    proc = run_cli("infra/calls.yaml", "--format", "json", cwd=repo)
    assert {f["resources"][0] for f in json.loads(proc.stdout)["findings"]} == {"FnA", "FnB"}


def test_a_rule_ignored_on_one_resource_is_a_suppressed_result(repo: Path) -> None:
    """``--ignore RULE:RESOURCE`` suppresses that rule's findings on that resource (as caller or
    callee) only: code scanning sees them as suppressed results (an auditor can find them),
    not as results that never were."""
    run = _sarif(repo, "infra/calls.yaml", "--ignore", "lambda-calls-lambda:FnA")["runs"][0]
    calls = {
        r["message"]["text"][:15]: r.get("suppressions")
        for r in run["results"]
        if r["ruleId"] == "lambda-calls-lambda"
    }
    external = [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "--ignore lambda-calls-lambda:FnA",
        }
    ]
    in_source = [
        {"kind": "inSource", "status": "accepted", "justification": "Metadata iacscan ignore on FnC"}
    ]
    assert calls == {
        "FnA invokes FnB": external,
        "FnB invokes FnA": external,
        "FnC invokes FnA": in_source,  # suppressed in the template already
    }
    # the JSON report leaves them out, as it does every suppressed finding
    def findings(*args: str) -> set[str]:
        proc = run_cli("infra/calls.yaml", "--format", "json", *args, cwd=repo)
        return {f["message"][:15] for f in json.loads(proc.stdout)["findings"]}

    assert findings() == {"FnA invokes FnB", "FnB invokes FnA"}
    assert findings("--ignore", "lambda-calls-lambda:FnA") == set()
    assert findings("--ignore", "lambda-calls-lambda:FnC") == {"FnA invokes FnB", "FnB invokes FnA"}


def test_rules_carry_help_markdown_tags_and_precision(repo: Path) -> None:
    rules = {r["id"]: r for r in _sarif(repo, "infra")["runs"][0]["tool"]["driver"]["rules"]}
    calls = rules["lambda-calls-lambda"]
    assert calls["help"]["markdown"].startswith("**Function calling another function directly**")
    assert "[Documentation](https://" in calls["help"]["markdown"]
    assert calls["properties"]["precision"] == "medium"  # read from IAM statements
    assert "serverless" in calls["properties"]["tags"]
    assert rules["sfn-standard-per-item"]["properties"]["precision"] == "high"
    assert all(r["help"]["markdown"] and r["properties"]["tags"] for r in rules.values())


def test_results_are_capped_at_the_code_scanning_limit() -> None:
    a = prime_before()
    findings = tuple(
        replace(a.findings[0], severity="note", resources=(f"Fn{i}",)) for i in range(5)
    )
    a = replace(a, findings=(*findings, replace(a.findings[0], severity="error")))
    log = sarif_log([a], [], max_results=3)
    run = _valid(json.dumps(log))["runs"][0]
    assert len(run["results"]) == 3 and run["results"][0]["level"] == "error"  # severe first
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert note["message"]["text"].startswith("3 of 6 results left out") and MAX_RESULTS == 25_000


def test_cdk_results_point_at_the_app_entry_file(tmp_path: Path) -> None:
    app = tmp_path / "repo" / "cdk"
    (app / "bin").mkdir(parents=True)
    (app / "bin" / "app.ts").write_text("// app\n")
    (app / "cdk.json").write_text(json.dumps({"app": "npx ts-node --prefer-ts-exts bin/app.ts"}))
    assert cdk_entry_file(app) == app / "bin" / "app.ts"
    (app / "cdk.json").write_text(json.dumps({"app": "python3 missing.py"}))
    assert cdk_entry_file(app) is None

    a = prime_before()
    cache = "/home/u/.cache/iacscan/cdk/0123abcd/Monitoring.template.json"
    a = replace(
        a,
        topology=replace(a.topology, nodes=tuple(replace(n, file=cache) for n in a.topology.nodes)),
        findings=tuple(replace(f, file=cache) for f in a.findings),
    )
    where = Where(root=str(tmp_path / "repo"), cwd=str(app), entries={"*": "bin/app.ts"})
    run = _valid(json.dumps(sarif_log([a], [], where)))["runs"][0]
    assert run["results"]
    for r in run["results"]:
        physical = r["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == "cdk/bin/app.ts"
        assert physical["region"]["startLine"] == 1
        assert "shown at the app's entry file" in r["message"]["text"]
    assert ".cache" not in json.dumps(run)
    # without an entry file, a path outside the repository is only a logical location
    run = sarif_log([a], [RuleDoc("x", "x", "x", "x", "x", "", "note")], replace(where, entries={}))
    assert all("physicalLocation" not in r["locations"][0] for r in run["runs"][0]["results"])


@pytest.mark.cdk
def test_a_real_cdk_app_points_at_its_entry_file(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "fixtures" / "cdk_apps" / "prime_video_before", repo / "cdk")
    (repo / "docs").mkdir()
    (repo / "docs" / "README.md").write_text("docs\n")
    git_repo(repo)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(
        [sys.executable, "-m", "iacscan", "../cdk", "--format", "sarif"],
        cwd=repo / "docs",
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    run = _valid(proc.stdout)["runs"][0]
    assert {r["ruleId"] for r in run["results"]} >= {"sfn-standard-per-item"}
    for r in run["results"]:
        physical = r["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"] == {"uri": "cdk/app.py", "uriBaseId": "%SRCROOT%"}
        # the line that creates the construct (load/cdk_sources.py), else the entry file's 1
        assert physical["region"]["startLine"] >= 1
    assert str(tmp_path) not in proc.stdout and "cdk.out" not in proc.stdout
