"""Never hang, never blow memory, never exit 4 on input; output a template cannot hijack.
Each case runs the real CLI time- and memory-capped, beside a good template whose report must
stay complete."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from untrusted_helpers import GOOD, Result, iacscan

GOOD_IDS = (
    "MonitorStateMachine",
    "prime-video-before/MonitorStateMachine",
    "good/MonitorStateMachine",
)


def _complete(result: Result) -> None:
    assert set(GOOD_IDS) & result.nodes(), sorted(result.nodes())
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr


def _for_each_cube(tmp: Path) -> Path:
    """Four nested loops of 20 over an innermost loop over nothing: an empty cube whose
    expansion still costs 160,000 iterations."""
    inner: dict[str, object] = {
        "Fn::ForEach::L4": ["V4", [], {"Q${V0}${V1}${V2}${V3}${V4}": {"Type": "AWS::SQS::Queue"}}]
    }
    for level in (3, 2, 1, 0):
        inner = {
            f"Fn::ForEach::L{level}": [f"V{level}", [f"x{level}y{j}" for j in range(20)], inner]
        }
    path = tmp / "cube.json"
    path.write_text(json.dumps({"Transform": "AWS::LanguageExtensions", "Resources": inner}))
    return path


def _for_each_big_body(tmp: Path) -> Path:
    big = {f"Tag{i}": "x" * 50 for i in range(20_000)}
    data = {
        "Transform": "AWS::LanguageExtensions",
        "Resources": {
            "Fn::ForEach::Copies": [
                "X",
                [f"v{i}" for i in range(2_000)],
                {"Q${X}": {"Type": "AWS::SQS::Queue", "Metadata": big}},
            ]
        },
    }
    path = tmp / "big-body.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize("make", [_for_each_cube, _for_each_big_body], ids=["cube", "big-body"])
def test_for_each_expansion_trips_a_named_limit(tmp_path: Path, make: object) -> None:
    assert callable(make)
    bad = make(tmp_path)
    result = iacscan(str(bad), str(GOOD), "--format", "json", cwd=tmp_path)
    assert result.code == 3, result.stderr[-500:]
    [error] = result.report["errors"]
    assert error["kind"] == "limit" and "loop expansion limit" in error["message"]
    assert error["hint"]
    _complete(result)


NUMBERS = """\
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: a.b
      Code: {{ZipFile: x}}
      Role: arn:aws:iam::123456789012:role/r
  Live:
    Type: AWS::Lambda::Alias
    Properties:
      FunctionName: !Ref Fn
      FunctionVersion: "1"
      Name: live
      ProvisionedConcurrencyConfig:
        ProvisionedConcurrentExecutions: {value}
  Scaling:
    Type: AWS::ApplicationAutoScaling::ScalableTarget
    Properties:
      MinCapacity: {value}
      MaxCapacity: {value}
      ResourceId: service/c/s
      ScalableDimension: ecs:service:DesiredCount
      ServiceNamespace: ecs
  Picked:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Select [{value}, [a, b]]
"""


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan", "1e400", "1" + "0" * 400])
def test_absurd_numbers_are_not_internal_errors(tmp_path: Path, value: str) -> None:
    bad = tmp_path / "numbers.yaml"
    bad.write_text(NUMBERS.format(value=value))
    result = iacscan(str(bad), str(GOOD), "--format", "json", cwd=tmp_path)
    assert result.code == 0, result.stderr[-500:]
    assert {"numbers/Fn", "numbers/Picked"} <= result.nodes()
    _complete(result)


def test_a_cloud_assembly_whose_nested_stacks_fan_out(tmp_path: Path) -> None:
    out = tmp_path / "cdk.out"
    out.mkdir()
    fan = 10
    for level in range(6):
        resources: dict[str, object] = {"Q": {"Type": "AWS::SQS::Queue"}}
        if level < 5:
            for i in range(fan):
                resources[f"N{i}"] = {
                    "Type": "AWS::CloudFormation::Stack",
                    "Metadata": {"aws:asset:path": f"level{level + 1}.json"},
                }
        (out / f"level{level}.json").write_text(json.dumps({"Resources": resources}))
    manifest = {
        "version": "36.0.0",
        "artifacts": {
            "Top": {
                "type": "aws:cloudformation:stack",
                "properties": {"templateFile": "level0.json"},
            }
        },
    }
    (out / "manifest.json").write_text(json.dumps(manifest))
    result = iacscan(str(out), str(GOOD), "--format", "json", cwd=tmp_path)
    assert result.code == 3, result.stderr[-500:]
    [error] = result.report["errors"]
    assert error["kind"] == "limit" and "500" in error["message"]
    _complete(result)


def test_output_to_a_fifo_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    result = iacscan(str(GOOD), "-o", str(fifo), cwd=tmp_path)
    assert result.code == 2
    assert "FIFO" in result.stderr


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="this host has no /dev/full")
def test_a_full_disk_says_so(tmp_path: Path) -> None:
    result = iacscan(str(GOOD), "-o", "/dev/full", cwd=tmp_path)
    assert result.code == 2
    assert "the disk is full" in result.stderr
    assert "internal error" not in result.stderr


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "sarif"])
def test_a_file_name_that_is_not_utf8(tmp_path: Path, fmt: str) -> None:
    folder = tmp_path / "infra"
    folder.mkdir()
    shutil.copy(GOOD, folder / "good.yaml")
    odd = os.fsdecode(b"odd\xff.yaml")
    (folder / odd).write_text("Resources:\n  OddQueue:\n    Type: AWS::SQS::Queue\n")
    out = tmp_path / f"report.{fmt}"
    result = iacscan(str(folder), "--format", fmt, "-o", str(out), cwd=tmp_path)
    assert result.code == 0, result.stderr[-500:]
    written = out.read_text("utf-8")  # valid UTF-8, the odd name escaped
    assert ("OddQueue" in written) if fmt != "sarif" else json.loads(written)["runs"]
    json_run = iacscan(str(folder), "--format", "json", cwd=tmp_path)
    assert {"odd\udcff/OddQueue", "good/MonitorStateMachine"} <= json_run.nodes()
    _complete(json_run)


@pytest.mark.parametrize("newline", [b"\r", b"\r\n"], ids=["cr", "crlf"])
def test_a_bom_and_cr_line_ends_are_a_template(tmp_path: Path, newline: bytes) -> None:
    bad = tmp_path / "windows.yaml"
    bad.write_bytes(
        b"\xef\xbb\xbf"
        + newline.join([b"Resources:", b"  Jobs:", b"    Type: AWS::SQS::Queue", b""])
    )
    result = iacscan(str(bad), str(GOOD), "--format", "json", cwd=tmp_path)
    assert result.code == 0, result.stderr[-500:]
    assert "windows/Jobs" in result.nodes()
    _complete(result)


HIJACK = """\
Resources:
  "X\\n::error file=a.yaml::pwned\\n##[warning]x\\u001b[2J":
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: "gone\\n::stop-commands::token\\n.yaml"
"""


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_error_messages_cannot_start_workflow_commands(tmp_path: Path, fmt: str) -> None:
    bad = tmp_path / "hijack.yaml"
    bad.write_text(HIJACK)
    result = iacscan(str(bad), str(GOOD), "--format", fmt, cwd=tmp_path)
    assert result.code == 3
    for stream in (result.stdout, result.stderr):
        assert "\x1b" not in stream
        for line in stream.splitlines():
            assert not line.lstrip().startswith(("::", "##[")), line
    assert "::error file=a.yaml::pwned" in result.stderr  # shown, escaped, not acted on


def test_lookalike_ids_are_shown_distinguishably(tmp_path: Path) -> None:
    bad = tmp_path / "look.yaml"
    bad.write_text(
        "Resources:\n  Orders:\n    Type: AWS::SQS::Queue\n"
        "  Ord\u0435rs:\n    Type: AWS::SNS::Topic\n",
        "utf-8",
    )
    result = iacscan(str(bad), str(GOOD), "--format", "json", cwd=tmp_path)
    assert result.code == 0, result.stderr[-500:]
    assert {"look/Orders", "look/Ord\u0435rs"} <= result.nodes()
    notes = result.notes()
    assert "Ord\\u0435rs" in notes and "looks like Orders" in notes
    _complete(result)


@pytest.mark.parametrize(
    "name",
    ["stack:" + "a" * 300, "stack:\udcffx", "stack:a/../b", "b" * 300 + ".yaml"],
    ids=["long-stack", "non-utf8-stack", "path-stack", "long-path"],
)
def test_hostile_input_names_are_input_errors(tmp_path: Path, name: str) -> None:
    env = {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y", "AWS_EC2_METADATA_DISABLED": "1"}
    result = iacscan(
        name, str(GOOD), "--format", "json", "--region", "us-east-1", cwd=tmp_path, env=env
    )
    assert result.code == 3, result.stderr[-500:]
    [error] = result.report["errors"]
    assert error["hint"]
    _complete(result)
