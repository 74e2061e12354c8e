"""Deployed stacks (``stack:NAME``) through boto3, against a moto server on 127.0.0.1.

The stacks are created once per session with real boto3 calls; the CLI runs as a subprocess,
as a user runs it. Independent CLI runs are started together (``cli_runs``) to keep the file
fast on a small machine. The expired-token and SAM-fallback paths use botocore's Stubber on a
real client handed to ``load_with_client``.
"""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import subprocess
import sys
import urllib.request
import zipfile
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from iacscan.load.cfn import Limits
from iacscan.load.stack import load_stacks, load_with_client

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "fixtures" / "templates"
STACKS = ROOT / "fixtures" / "stacks"
IACSCAN = str(Path(sys.executable).parent / "iacscan")
KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
ARTIFACTS = "av-monitoring-artifacts"  # prime-video-before.yaml's code bucket
# Every AWS variable that could leak the machine's own configuration into a run.
AWS_VARS = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_CLOUDFORMATION",
    "AWS_MAX_ATTEMPTS",
    "AWS_RETRY_MODE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)


# --------------------------------------------------------------------------- the server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    for _ in range(100):  # until it answers
        try:
            urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=2).read()
            break
        except OSError:
            import time

            time.sleep(0.1)
    yield url
    server.stop()


def _client(endpoint: str, service: str, region: str = "us-east-1") -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name=region, **_lower(KEYS))


def _lower(keys: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in keys.items()}


def _create(cf: Any, name: str, body: Path, **params: str) -> None:
    cf.create_stack(
        StackName=name,
        TemplateBody=body.read_text("utf-8"),
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()],
    )
    status = cf.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
    assert status == "CREATE_COMPLETE", (name, status)


@pytest.fixture(scope="session")
def deployed(endpoint: str) -> str:
    """The stacks every test reads, created with real boto3 calls."""
    s3 = _client(endpoint, "s3")
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("index.py", "def handler(event, context):\n    return None\n")
    s3.create_bucket(Bucket=ARTIFACTS)
    for key in (
        "converter/converter-1.4.2.zip",
        "detectors/block-corruption-2.0.1.zip",
        "detectors/av-sync-1.7.0.zip",
    ):
        s3.put_object(Bucket=ARTIFACTS, Key=key, Body=zipped.getvalue())
    s3.create_bucket(Bucket="iacscan-templates")
    s3.put_object(
        Bucket="iacscan-templates",
        Key="child.yaml",
        Body=(STACKS / "nested-child.yaml").read_bytes(),
    )
    cf = _client(endpoint, "cloudformation")
    _create(cf, "before-stack", TEMPLATES / "prime-video-before.yaml")
    _create(
        cf,
        "parent",
        STACKS / "nested-parent.yaml",
        ChildTemplateUrl="https://iacscan-templates.s3.amazonaws.com/child.yaml",
    )
    _create(cf, "exporter", STACKS / "export-queue.yaml")
    _create(cf, "importer", STACKS / "import-queue.yaml", QueueStack="exporter")
    _create(cf, "sam-worker", STACKS / "sam-worker.yaml")
    west = _client(endpoint, "cloudformation", "us-west-2")  # a region of its own: --all-stacks
    _create(west, "west-after", TEMPLATES / "prime-video-after-task.yaml")
    _create(west, "west-sam", STACKS / "sam-worker.yaml")
    west.create_stack(
        StackName="west-gone", TemplateBody=(STACKS / "export-queue.yaml").read_text()
    )
    west.delete_stack(StackName="west-gone")
    return endpoint


# --------------------------------------------------------------------------- environments


def _env(tmp: Path, **values: str | None) -> dict[str, str]:
    """A clean AWS environment: no config files, no instance metadata, then ``values``."""
    empty = tmp / "empty-aws-config"
    empty.write_text("")
    env = {k: v for k, v in os.environ.items() if k not in AWS_VARS}
    env.update(
        AWS_CONFIG_FILE=str(empty),
        AWS_SHARED_CREDENTIALS_FILE=str(empty),
        AWS_EC2_METADATA_DISABLED="true",
        NO_COLOR="1",
    )
    env.update({k: v for k, v in values.items() if v is not None})
    return env


def _moto_env(tmp: Path, endpoint: str, **values: str | None) -> dict[str, str]:
    base: dict[str, str | None] = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_DEFAULT_REGION": "us-east-1",
        **KEYS,
    }
    return _env(tmp, **{**base, **values})


@pytest.fixture
def moto_env(
    deployed: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    """The same environment in this process too, for calls to ``load_stacks``."""
    env = _moto_env(tmp_path, deployed)
    for k in AWS_VARS:
        monkeypatch.delenv(k, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    yield env


def _run(args: list[str], env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [IACSCAN, *args], env=dict(env), cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def _closed_port() -> int:
    return _free_port()  # bound, then released: nothing listens there


@pytest.fixture(scope="session")
def cli_runs(
    deployed: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, subprocess.CompletedProcess[str]]:
    """Every independent CLI run of this file, started together."""
    tmp = tmp_path_factory.mktemp("aws")
    ok = _moto_env(tmp, deployed)
    # Credentials only in a named profile, and no region anywhere: --profile and --region
    # must carry them to every client.
    named = tmp / "named-credentials"
    named.write_text("[ci]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    by_option = {**_env(tmp, AWS_ENDPOINT_URL=deployed), "AWS_SHARED_CREDENTIALS_FILE": str(named)}
    aws_options = ["--region", "us-east-1", "--profile", "ci"]
    jobs: dict[str, tuple[list[str], dict[str, str]]] = {
        "before": (["stack:before-stack", "--format", "json"], ok),
        "nested": (["stack:parent", "--format", "json"], ok),
        "pair": (["stack:exporter", "stack:importer", "--format", "json"], ok),
        "importer": (["stack:importer", "--format", "json"], ok),
        "sam": (["stack:sam-worker", "--format", "json"], ok),
        "diff": (
            [
                "diff",
                "stack:before-stack",
                str(TEMPLATES / "prime-video-after-task.yaml"),
                "--format",
                "json",
            ],
            ok,
        ),
        "diff-options": (
            [
                "diff",
                "stack:before-stack",
                str(TEMPLATES / "prime-video-after-task.yaml"),
                "--format",
                "json",
                *aws_options,
            ],
            by_option,
        ),
        "graph-options": (["graph", "stack:before-stack", "-f", "json", *aws_options], by_option),
        "no-credentials": (
            ["stack:before-stack"],
            _env(tmp, AWS_ENDPOINT_URL=deployed, AWS_DEFAULT_REGION="us-east-1"),
        ),
        "no-region": (["stack:before-stack"], _env(tmp, AWS_ENDPOINT_URL=deployed, **KEYS)),
        "not-found": (["stack:no-such-stack", "stack:before-stack", "--format", "json"], ok),
        "unreachable": (
            ["stack:before-stack", "stack:parent"],
            _moto_env(tmp, f"http://127.0.0.1:{_closed_port()}", AWS_MAX_ATTEMPTS="1"),
        ),
    }
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {key: pool.submit(_run, args, env) for key, (args, env) in jobs.items()}
        return {key: f.result() for key, f in futures.items()}


def _report(run: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert "Traceback" not in run.stderr, run.stderr
    data: dict[str, Any] = json.loads(run.stdout)
    return data


def _edges(report: Mapping[str, Any]) -> set[str]:
    return {f"{e['source']} -{e['kind']}-> {e['target']}" for e in report["topology"]["edges"]}


def _nodes(report: Mapping[str, Any]) -> set[str]:
    return {n["id"] for n in report["topology"]["nodes"]}


def _assert_input_error(run: subprocess.CompletedProcess[str], message: str, hint: str) -> None:
    assert run.returncode == 3, (run.returncode, run.stderr)
    assert "Traceback" not in run.stderr, run.stderr
    lines = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert lines and all(message in line for line in lines), run.stderr
    assert f"hint: {hint}" in run.stderr, run.stderr


# --------------------------------------------------------------------------- scans


def test_before_stack(cli_runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    run = cli_runs["before"]
    report = _report(run)
    assert run.returncode == 0, run.stderr
    assert report["inputs"] == [
        {"path": "stack:before-stack", "kind": "stack", "stacks": ["before-stack"]}
    ]
    verdict = report["verdict"]
    assert (verdict["level"], verdict["serverless"], verdict["architecture"]) == (
        "serverless",
        True,
        "distributed",
    )
    assert {
        "StartRule -triggers-> StartFunction",
        "StartFunction -invokes-> MonitorStateMachine",
        "MonitorStateMachine -invokes-> ConverterFunction",
        "ConverterFunction -writes-> FramesBucket",
        "FramesBucket -reads-> DetectorAFunction",
    } <= _edges(report)
    converter = next(n for n in report["topology"]["nodes"] if n["id"] == "ConverterFunction")
    # the original YAML was decoded from GetTemplate's text: lines are kept
    assert (converter["stack"], converter["file"]) == ("before-stack", "stack:before-stack")
    assert isinstance(converter["line"], int)


def test_nested_stack(cli_runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    report = _report(cli_runs["nested"])
    assert report["inputs"][0]["stacks"] == ["parent", "parent/Workers"]
    assert _nodes(report) == {"Jobs", "parent/Workers/Worker"}
    # the child gets the queue through a parameter: it still points at the parent's queue
    assert _edges(report) == {"Jobs -triggers-> parent/Workers/Worker"}


def test_sam_stack_is_transformed(cli_runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    report = _report(cli_runs["sam"])
    assert _edges(report) == {"Tasks -triggers-> TaskWorker"}
    assert report["verdict"]["level"] == "serverless"


def test_cross_stack_import_both_scanned(
    cli_runs: dict[str, subprocess.CompletedProcess[str]],
) -> None:
    report = _report(cli_runs["pair"])
    assert cli_runs["pair"].returncode == 0
    assert _edges(report) == {"exporter/Orders -triggers-> importer/Consumer"}


def test_cross_stack_import_through_exports(
    cli_runs: dict[str, subprocess.CompletedProcess[str]],
) -> None:
    """Only the importing stack is named: the exporting stack comes into scope by ListExports."""
    report = _report(cli_runs["importer"])
    assert _edges(report) == {"exporter/Orders -triggers-> importer/Consumer"}
    assert [i["path"] for i in report["inputs"]] == ["stack:importer", "stack:exporter"]
    assert any("stack:exporter is in scope too" in n for n in report["notes"])


def test_diff_stack_against_template(
    cli_runs: dict[str, subprocess.CompletedProcess[str]],
) -> None:
    run = cli_runs["diff"]
    assert run.returncode == 0, run.stderr
    nodes = json.loads(run.stdout)["changes"]["nodes"]
    assert {"ConverterFunction", "MonitorStateMachine", "FramesBucket"} <= set(nodes["removed"])
    assert {"LauncherFunction", "MonitorTaskDefinition"} <= set(nodes["added"])


def test_diff_and_graph_take_region_and_profile(
    cli_runs: dict[str, subprocess.CompletedProcess[str]],
) -> None:
    run = cli_runs["diff-options"]
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["changes"] == json.loads(cli_runs["diff"].stdout)["changes"]
    graph = cli_runs["graph-options"]
    assert graph.returncode == 0, graph.stderr
    graph_nodes = {n["id"] for n in json.loads(graph.stdout)["nodes"]}
    assert graph_nodes == _nodes(_report(cli_runs["before"]))


def test_all_stacks_skips_deleted(moto_env: dict[str, str]) -> None:
    result = load_stacks([], all_stacks=True, region="us-west-2", profile=None, limits=Limits())
    assert not result.errors
    assert {i.path for i in result.inputs} == {"stack:west-after", "stack:west-sam"}
    assert all(t.kind == "stack" for t in result.templates)


# --------------------------------------------------------------------------- failures


def test_no_credentials(cli_runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    _assert_input_error(
        cli_runs["no-credentials"], "no AWS credentials found", "configure credentials"
    )


def test_no_region(cli_runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    _assert_input_error(cli_runs["no-region"], "no AWS region is set", "pass --region")


def test_unreachable_endpoint(cli_runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    run = cli_runs["unreachable"]
    _assert_input_error(run, "cannot connect to http://127.0.0.1:", "check the network")
    assert "stack:parent" in run.stderr  # every input is accounted for


def test_stack_not_found_does_not_stop_the_others(
    cli_runs: dict[str, subprocess.CompletedProcess[str]],
) -> None:
    run = cli_runs["not-found"]
    report = _report(run)
    assert run.returncode == 3
    assert report["errors"] == [
        {
            "file": "stack:no-such-stack",
            "line": None,
            "kind": "aws",
            "message": "stack no-such-stack does not exist in us-east-1",
            "hint": report["errors"][0]["hint"],
        }
    ]
    assert "check the name and --region" in report["errors"][0]["hint"]
    assert "hint: check the name and --region" in run.stderr
    assert "MonitorStateMachine" in _nodes(report)  # the other stack is in the report


def test_access_denied(deployed: str, tmp_path: Path) -> None:
    """moto's IAM checks on: a user who may describe stacks but not read their templates."""
    iam = _client(deployed, "iam")
    iam.create_user(UserName="describer")
    iam.put_user_policy(
        UserName="describer",
        PolicyName="describe-only",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "cloudformation:DescribeStacks", "Resource": "*"}
                ],
            }
        ),
    )
    key = iam.create_access_key(UserName="describer")["AccessKey"]
    env = _moto_env(
        tmp_path,
        deployed,
        AWS_ACCESS_KEY_ID=key["AccessKeyId"],
        AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"],
    )
    _set_auth(deployed, "0")  # every request from now on is authenticated and authorized
    try:
        run = _run(["stack:before-stack"], env)
    finally:
        _set_auth(deployed, "inf")
    _assert_input_error(
        run,
        "access denied: the caller may not call cloudformation:GetTemplate",
        "grant cloudformation:GetTemplate",
    )


def _set_auth(endpoint: str, count: str) -> None:
    request = urllib.request.Request(
        f"{endpoint}/moto-api/reset-auth",
        data=count.encode(),
        method="POST",
        headers={"Content-Type": "text/plain"},
    )
    urllib.request.urlopen(request, timeout=10).read()


# --------------------------------------------------------------------------- stubbed client

ARN = "arn:aws:cloudformation:us-east-1:123456789012:stack/{}/11111111-2222-3333-4444-555555555555"


def _stubbed() -> tuple[Any, Stubber]:
    client = boto3.client(
        "cloudformation", region_name="us-east-1", endpoint_url="http://127.0.0.1:9", **_lower(KEYS)
    )
    return client, Stubber(client)


def test_expired_token_stops_calling_aws() -> None:
    client, stub = _stubbed()
    stub.add_client_error(
        "describe_stacks",
        service_error_code="ExpiredToken",
        service_message="The security token included in the request is expired",
        http_status_code=400,
    )
    with stub:
        result = load_with_client(client, ["one", "two"], all_stacks=False, limits=Limits())
        stub.assert_no_pending_responses()  # one call: the second stack is not tried
    assert [(e.file, e.kind) for e in result.errors] == [("stack:one", "aws"), ("stack:two", "aws")]
    assert all("expired" in e.message and "refresh your session" in e.hint for e in result.errors)


def test_sam_falls_back_to_processed_and_reads_actual_parameters() -> None:
    """A SAM template the local transform rejects: the Processed stage is read instead."""
    arn = ARN.format("sam-app")
    processed = {
        "Parameters": {
            "Subnets": {"Type": "CommaDelimitedList"},
            "Secret": {"Type": "String", "NoEcho": "true"},
            "Image": {"Type": "AWS::SSM::Parameter::Value<String>"},
        },
        "Resources": {
            "Jobs": {"Type": "AWS::SQS::Queue"},
            "Broken": {"Type": "AWS::Lambda::Function", "Properties": {"Handler": "app.handler"}},
        },
    }
    client, stub = _stubbed()
    stub.add_response(
        "describe_stacks",
        {
            "Stacks": [
                {
                    "StackName": "sam-app",
                    "StackId": arn,
                    "CreationTime": "2024-01-01T00:00:00Z",
                    "StackStatus": "CREATE_COMPLETE",
                    "Parameters": [
                        {"ParameterKey": "Subnets", "ParameterValue": "subnet-1,subnet-2"},
                        {"ParameterKey": "Secret", "ParameterValue": "****"},
                        {
                            "ParameterKey": "Image",
                            "ParameterValue": "/images/latest",
                            "ResolvedValue": "ami-123",
                        },
                    ],
                }
            ]
        },
        {"StackName": "sam-app"},
    )
    stub.add_response(
        "get_template",
        {"TemplateBody": (ROOT / "fixtures" / "sam" / "rejected.yaml").read_text("utf-8")},
        {"StackName": arn, "TemplateStage": "Original"},
    )
    stub.add_response(
        "get_template",
        {"TemplateBody": json.dumps(processed)},
        {"StackName": arn, "TemplateStage": "Processed"},
    )
    with stub:
        result = load_with_client(client, ["sam-app"], all_stacks=False, limits=Limits())
        stub.assert_no_pending_responses()
    assert not result.errors, result.errors
    (template,) = result.templates
    assert (template.stack, template.kind, template.file) == ("sam-app", "stack", "stack:sam-app")
    assert set(template.resources) == {"Jobs", "Broken"}
    assert dict(template.parameter_values) == {
        "Subnets": ["subnet-1", "subnet-2"],
        "Image": "ami-123",
    }
    assert any("processed" in n for n in result.notes)
