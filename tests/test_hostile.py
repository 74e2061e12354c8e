"""Hostile input: never crash, never hang, lose nothing.

Every case is generated here, in ``tmp_path`` (no large files are committed), and scanned by the
real CLI as a subprocess together with a good template::

    iacscan <bad> fixtures/templates/prime-video-before.yaml --format json

and each run must give: the expected exit code (3 when the input cannot be analysed, 0 when it is
actually fine), a JSON report on stdout whose ``errors`` name the bad file (and the line when it
is known) with a message and a hint, the good template's nodes still in the report, no
traceback on stderr, and bounded time and memory. CPU time comes from ``os.wait4`` (this child
and the processes it waited for), peak memory from the CLI process's own high-water mark
(``VmHWM``, see ``spawn_measured``); both are written to ``hostile-results.json`` and
``pytest -s`` prints a summary table at the end.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import os
import re
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOOD = ROOT / "fixtures" / "templates" / "prime-video-before.yaml"
GOOD_NODE_ALONE = "MonitorStateMachine"  # when the bad input yields no stack
GOOD_NODE_PREFIXED = "prime-video-before/MonitorStateMachine"  # when it yields one (2 in scope)
_VENV_CLI = ROOT / ".venv" / "bin" / "iacscan"
CLI = [str(_VENV_CLI)] if _VENV_CLI.exists() else [sys.executable, "-m", "iacscan"]

# Limits, enforced by the kernel on the child (and its children), not asserted on timings: a run
# that goes over one is killed or fails, and the case fails on its exit status. Nothing here
# measures speed (that is `make bench`); the measured CPU, wall and peak memory are printed in
# the summary table only.
CPU_LIMIT_S = int(os.environ.get("IACSCAN_HOSTILE_CPU_LIMIT", "20"))  # RLIMIT_CPU: SIGXCPU
HARD_KILL_S = 120.0  # a hang: the watchdog kills the process group
DATA_LIMIT = 1024**3  # RLIMIT_DATA: heap and private mappings; over it, allocation fails
ADDRESS_SPACE_CAP = 4 * 1024**3  # safety net only: a runaway allocation fails instead of swapping

MiB = 1024 * 1024
RESULTS: list[dict[str, Any]] = []


# ----------------------------------------------------------------------------- running the CLI


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    wall: float
    cpu: float
    max_rss_mb: float
    rusage_max_mb: float
    killed: bool

    @property
    def report(self) -> dict[str, Any]:
        try:
            data = json.loads(self.stdout)
        except ValueError as err:
            raise AssertionError(
                f"stdout is not JSON ({err}); stdout starts {self.stdout[:300]!r}, "
                f"stderr ends {self.stderr[-1500:]!r}"
            ) from None
        assert isinstance(data, dict), "the report is not a JSON object"
        return data


def _limit_memory() -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_CAP, ADDRESS_SPACE_CAP))
    resource.setrlimit(resource.RLIMIT_DATA, (DATA_LIMIT, DATA_LIMIT))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_LIMIT_S, CPU_LIMIT_S + 1))


# Peak memory: the child's own high-water mark (VmHWM), written at exit by a sitecustomize on
# PYTHONPATH. os.wait4's ru_maxrss is no good alone: exec keeps the high-water mark of the
# address space it replaces, so a child forked from a big pytest worker reports the worker's
# size. ru_maxrss is kept as an upper bound (it also counts the CDK apps the CLI starts).
_PROBE = """\
import atexit, os
def _iacscan_test_hwm(out=os.environ.get("IACSCAN_TEST_HWM_DIR")):
    try:
        with open("/proc/self/status") as f:
            kb = next(line.split()[1] for line in f if line.startswith("VmHWM:"))
        with open(os.path.join(out, str(os.getpid())), "w") as o:
            o.write(kb)
    except (OSError, StopIteration, TypeError):
        pass
atexit.register(_iacscan_test_hwm)
"""


@dataclass
class Measured:
    code: int
    wall: float
    cpu: float
    peak_mb: float  # the child's VmHWM; ru_maxrss when it died before writing it
    rusage_max_mb: float
    killed: bool


def spawn_measured(argv: list[str], cwd: Path, out: Any, err: Any) -> Measured:
    probe = cwd / ".probe"
    (probe / "hwm").mkdir(parents=True, exist_ok=True)
    (probe / "sitecustomize.py").write_text(_PROBE, "utf-8")
    env = {
        **os.environ,
        "NO_COLOR": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(probe), os.environ.get("PYTHONPATH")])),
        "IACSCAN_TEST_HWM_DIR": str(probe / "hwm"),
    }
    started = time.monotonic()
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=out,
        stderr=err,
        env=env,
        start_new_session=True,
        preexec_fn=_limit_memory,
    )
    killed = threading.Event()

    def watchdog() -> None:
        killed.set()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)

    timer = threading.Timer(HARD_KILL_S, watchdog)
    timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    wall = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped: tell Popen
    # Anything the run left in its process group (a CDK app it should have stopped) goes now.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    rusage_mb = usage.ru_maxrss / 1024.0  # kilobytes on Linux
    hwm = probe / "hwm" / str(proc.pid)
    peak = int(hwm.read_text()) / 1024.0 if hwm.exists() else rusage_mb
    return Measured(
        code=proc.returncode,
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        peak_mb=peak,
        rusage_max_mb=rusage_mb,
        killed=killed.is_set(),
    )


def run_cli(args: list[str], cwd: Path) -> Run:
    """Run the CLI as a subprocess; time it and measure its peak memory."""
    out_path, err_path = cwd / ".stdout", cwd / ".stderr"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        m = spawn_measured([*CLI, *args], cwd, out, err)
    return Run(
        code=m.code,
        stdout=out_path.read_text("utf-8", "replace"),
        stderr=err_path.read_text("utf-8", "replace"),
        wall=m.wall,
        cpu=m.cpu,
        max_rss_mb=m.peak_mb,
        rusage_max_mb=m.rusage_max_mb,
        killed=m.killed,
    )


# ----------------------------------------------------------------------------- templates

MINI = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Jobs:
    Type: AWS::SQS::Queue
"""

DEEP = 10_000


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, "utf-8")
    return path


def alias_bomb(tmp: Path) -> Path:
    lines = ['AWSTemplateFormatVersion: "2010-09-09"', 'a0: &a0 ["lol", "lol", "lol", "lol"]']
    for i in range(1, 12):  # 4 * 9**11 leaves once expanded
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    lines += ["Resources:", "  Topic:", "    Type: AWS::SNS::Topic", "    Properties:"]
    lines += ["      Tags: *a11"]
    return write(tmp / "bomb.yaml", "\n".join(lines) + "\n")


def _deep_resource(value: str) -> str:
    return (
        f"Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n    Properties:\n      Tags: {value}\n"
    )


def deep_yaml_lists(tmp: Path) -> Path:
    return write(tmp / "deep-lists.yaml", _deep_resource("[" * DEEP + "]" * DEEP))


def deep_yaml_maps(tmp: Path) -> Path:
    return write(tmp / "deep-maps.yaml", _deep_resource("{a: " * DEEP + "1" + "}" * DEEP))


def deep_yaml_300(tmp: Path) -> Path:  # deeper than --max-depth 200, shallow enough to parse
    return write(tmp / "deep-300.yaml", _deep_resource("[" * 300 + "]" * 300))


def deep_json(tmp: Path) -> Path:
    body = '{"Type": "AWS::SNS::Topic", "Properties": {"Tags": ' + "[" * DEEP + "]" * DEEP + "}}"
    return write(tmp / "deep.json", '{"Resources": {"Topic": ' + body + "}}")


def deep_json_objects(tmp: Path) -> Path:
    value = '{"a": ' * DEEP + "1" + "}" * DEEP
    body = '{"Type": "AWS::SNS::Topic", "Properties": {"Tags": ' + value + "}}"
    return write(tmp / "deep-objects.json", '{"Resources": {"Topic": ' + body + "}}")


def huge_template(tmp: Path) -> Path:
    path = tmp / "huge.yaml"
    chunk = "  # " + "x" * 1020 + "\n"
    with path.open("w", encoding="utf-8") as f:
        f.write(MINI)
        for _ in range(50 * 1024):  # 50 MiB of comments after a valid template
            f.write(chunk)
    return path


def binary_file(tmp: Path) -> Path:
    return write(tmp / "binary.yaml", bytes(range(256)) * 64 + b"\x00\x01\x02" * 1000)


def invalid_utf8(tmp: Path) -> Path:
    return write(
        tmp / "latin1.yaml",
        b'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Jobs:  # caf\xe9\n'
        b"    Type: AWS::SQS::Queue\n",
    )


def utf16_bom(tmp: Path) -> Path:
    return write(tmp / "utf16.yaml", MINI.encode("utf-16"))  # with a BOM (LE on this machine)


def utf16_be_bom(tmp: Path) -> Path:
    return write(tmp / "utf16be.yaml", b"\xfe\xff" + MINI.encode("utf-16-be"))


def utf8_bom(tmp: Path) -> Path:
    return write(tmp / "utf8bom.yaml", b"\xef\xbb\xbf" + MINI.encode())


def empty_file(tmp: Path) -> Path:
    return write(tmp / "empty.yaml", "")


def blank_file(tmp: Path) -> Path:
    return write(tmp / "blank.yaml", "\n   \n# only a comment\n")


def json_array(tmp: Path) -> Path:
    return write(tmp / "array.json", '[{"Resources": {}}]')


def yaml_scalar(tmp: Path) -> Path:
    return write(tmp / "scalar.yaml", "just a sentence\n")


def resources_list(tmp: Path) -> Path:
    return write(tmp / "resources-list.yaml", "Resources:\n  - Type: AWS::SQS::Queue\n")


def resources_scalar(tmp: Path) -> Path:
    return write(tmp / "resources-scalar.json", '{\n  "Resources": 42\n}\n')


def no_resources(tmp: Path) -> Path:
    return write(tmp / "no-resources.yaml", 'AWSTemplateFormatVersion: "2010-09-09"\n')


def no_type(tmp: Path) -> Path:
    return write(
        tmp / "no-type.yaml",
        "Resources:\n  Jobs:\n    Type: AWS::SQS::Queue\n  Orphan:\n    Properties:\n"
        "      QueueName: orphan\n",
    )


def type_not_string(tmp: Path) -> Path:
    return write(tmp / "type-list.yaml", "Resources:\n  Jobs:\n    Type: [AWS::SQS::Queue]\n")


def resource_scalar(tmp: Path) -> Path:
    return write(tmp / "resource-scalar.yaml", "Resources:\n  Jobs: AWS::SQS::Queue\n")


def properties_list(tmp: Path) -> Path:
    return write(
        tmp / "properties-list.yaml",
        "Resources:\n  Jobs:\n    Type: AWS::SQS::Queue\n    Properties:\n      - a\n",
    )


def duplicate_keys(tmp: Path) -> Path:
    return write(
        tmp / "duplicates.yaml",
        "Resources:\n  Jobs:\n    Type: AWS::SQS::Queue\n  Jobs:\n    Type: AWS::SNS::Topic\n",
    )


def duplicate_keys_json(tmp: Path) -> Path:
    return write(
        tmp / "duplicates.json",
        '{"Resources": {\n "Jobs": {"Type": "AWS::SQS::Queue"},\n'
        ' "Jobs": {"Type": "AWS::SNS::Topic"}}}\n',
    )


def yaml_syntax(tmp: Path) -> Path:
    return write(tmp / "syntax.yaml", "Resources:\n  Jobs:\n    Type: [AWS::SQS::Queue\n")


def unknown_tag(tmp: Path) -> Path:
    return write(
        tmp / "tag.yaml",
        "Resources:\n  Jobs:\n    Type: AWS::SQS::Queue\n    Properties:\n"
        "      QueueName: !Bogus x\n      Tags: !Bogus [1, {a: !Bogus ''}]\n",
    )


WRONG_INTRINSICS = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Names:
    Type: CommaDelimitedList
    Default: a,b
Conditions:
  IsProd: !Equals [!Ref "AWS::Region", us-east-1]
  Odd: !Equals [only-one]
  Weird: !And 5
Mappings:
  M:
    K: {V: [1, 2]}
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Role: !GetAtt [Role, Arn, Extra]
      FunctionName: !Sub 42
      Handler: !If [only-a-condition-name]
      Runtime: !Ref [a, b]
      Environment:
        Variables:
          A: !Join [",", !Ref Names]
          B: !Select [5, !Ref Names]
          C: !Select [x, [1]]
          D: !FindInMap [OnlyOne]
          E: !Split [",", 3]
          F: !GetAtt 42
          G: !Sub ["${X}", not-a-mapping]
          H: !ImportValue {"Fn::Sub": "${AWS::StackName}-x"}
          I: !If [NoSuchCondition, a, b]
          J: !Base64 {Ref: Fn}
          K: {"Fn::If": [IsProd]}
          L: {"Fn::Length": 5}
          M: {"Fn::ToJsonString": {"Ref": "Fn"}}
          N: !Equals [only]
          O: {"Fn::Transform": {}}
          P: !FindInMap [M, K, V, {DefaultValue: [1]}]
          Q: !Sub ["${A}", {A: !Ref [x]}]
          R: !Select [!Ref Names, !Ref Names]
          S: {"Fn::Sub": [1, 2, 3]}
          T: !Join [[1], 2]
          U: !GetAtt [[Fn], Arn]
          V: !Ref {"Fn::Sub": "Fn"}
          W: !If [Odd, !Ref Fn, !If [Weird, x]]
  Subscription:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: !GetAtt [A, B, C]
      Endpoint: !Sub [1, 2, 3]
      Protocol: !Ref {nested: 1}
  Rule:
    Type: AWS::Events::Rule
    Properties:
      Targets: !Sub "x"
  Rule2:
    Type: AWS::Events::Rule
    Properties:
      Targets:
        - !Ref Fn
        - Arn: !GetAtt [Fn]
        - Arn: {"Fn::GetAtt": {"Fn": "Arn"}}
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !Select [0, !GetAtt [Fn, Arn, Arn]]
      FunctionName: !Join ["", [!Ref Fn, !Ref [Fn]]]
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      NotificationConfiguration:
        LambdaConfigurations: !If [IsProd, [{Function: !GetAtt Fn.Arn}], 3]
        QueueConfigurations: {Queue: 5}
        TopicConfigurations: [5, [6], {Topic: [!Ref Fn]}]
  Machine:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      DefinitionString: !Sub ["${A}", [not-a-map]]
      DefinitionSubstitutions: !Ref Names
  Machine2:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      Definition: {States: [1, 2], StartAt: {"Fn::GetAtt": [Fn]}}
  Role:
    Type: AWS::IAM::Role
    Properties:
      Policies: 5
      ManagedPolicyArns: !Sub 7
"""


def wrong_intrinsics(tmp: Path) -> Path:
    return write(tmp / "intrinsics.yaml", WRONG_INTRINSICS)


REF_CYCLES = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  SelfSub:
    Type: String
    Default: !Sub "${SelfSub}-${SelfSub}-${SelfSub}"
  Ping:
    Type: String
    Default: !Ref Pong
  Pong:
    Type: String
    Default: !Ref Ping
  Names:
    Type: CommaDelimitedList
    Default: !Join [",", !Ref Names]
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: !Sub "${SelfSub}-${Ping}-${Topic}-${Topic.TopicName}"
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Join ["-", [!Ref Pong, !Ref Names, !GetAtt Queue.QueueName]]
  Subscription:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: !Ref Topic
      Protocol: sqs
      Endpoint: !Sub ["${X}", {X: !Sub "${SelfSub}"}]
Outputs:
  Loop:
    Value: !ImportValue loop-export
    Export:
      Name: loop-export
  Loop2:
    Value: !Join ["", [!ImportValue loop-export-2, !ImportValue loop-export-2]]
    Export:
      Name: loop-export-2
"""


def ref_cycles(tmp: Path) -> Path:
    return write(tmp / "ref-cycles.yaml", REF_CYCLES)


def exponential_parameters(tmp: Path) -> Path:
    """Parameters whose defaults double each other: a billion laughs through the resolver."""
    lines = ['AWSTemplateFormatVersion: "2010-09-09"', "Parameters:", "  P0:"]
    lines += ["    Type: String", "    Default: " + "lol" * 300]
    for i in range(1, 60):
        lines += [f"  P{i}:", "    Type: String", f'    Default: !Sub "${{P{i - 1}}}${{P{i - 1}}}"']
    lines += ["Mappings:", "  Big:", "    Key:", "      Value: [" + ", ".join(["x"] * 2000) + "]"]
    lines += ["Resources:"]
    for r in range(40):
        lines += [f"  Topic{r}:", "    Type: AWS::SNS::Topic", "    Properties:"]
        lines += ["      TopicName: !Sub ${P59}", "      Tags: !FindInMap [Big, Key, Value]"]
    lines += ["  Fn:", "    Type: AWS::Lambda::Function", "    Properties:"]
    lines += ["      Environment:", "        Variables:"]
    lines += [f"          V{i}: !Join ['', [!Ref P59, !Ref P58]]" for i in range(50)]
    return write(tmp / "exponential.yaml", "\n".join(lines) + "\n")


CONDITION_CYCLE = """\
AWSTemplateFormatVersion: "2010-09-09"
Conditions:
  A: !Condition B
  B: !Not [!Condition A]
  C: !And [!Condition C, !Condition A]
  D: !Or [!Condition D]
  E: !Equals [!If [E, x, y], x]
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Condition: A
  Topic:
    Type: AWS::SNS::Topic
    Condition: C
    Properties:
      TopicName: !If [D, a, !If [E, b, c]]
  Other:
    Type: AWS::SQS::Queue
    Condition: NoSuchCondition
"""


def condition_cycle(tmp: Path) -> Path:
    return write(tmp / "condition-cycle.yaml", CONDITION_CYCLE)


def _nested_parent(name: str, child: str) -> str:
    return (
        'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n'
        f"  Queue{name}:\n    Type: AWS::SQS::Queue\n"
        "  Child:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n"
        f"      TemplateURL: ./{child}\n"
    )


def nested_cycle(tmp: Path) -> Path:
    write(tmp / "nested-b.yaml", _nested_parent("B", "nested-a.yaml"))
    return write(tmp / "nested-a.yaml", _nested_parent("A", "nested-b.yaml"))


def nested_self(tmp: Path) -> Path:
    return write(tmp / "nested-self.yaml", _nested_parent("A", "nested-self.yaml"))


def nested_missing(tmp: Path) -> Path:
    return write(tmp / "nested-missing.yaml", _nested_parent("A", "not-there.yaml"))


def nested_broken_child(tmp: Path) -> Path:
    write(tmp / "child-broken.yaml", "Resources: [\n")
    return write(tmp / "nested-parent.yaml", _nested_parent("A", "child-broken.yaml"))


def nested_fan_out(tmp: Path) -> Path:
    """Each level includes the next one 10 times: 10**6 stacks if nothing stops it."""
    for level in range(6):
        lines = ['AWSTemplateFormatVersion: "2010-09-09"', "Resources:", f"  Queue{level}:"]
        lines += ["    Type: AWS::SQS::Queue"]
        if level < 5:
            for i in range(10):
                lines += [f"  Child{i}:", "    Type: AWS::CloudFormation::Stack"]
                lines += ["    Properties:", f"      TemplateURL: fan-{level + 1}.yaml"]
        write(tmp / f"fan-{level}.yaml", "\n".join(lines) + "\n")
    return tmp / "fan-0.yaml"


def hostile_folder(tmp: Path) -> Path:
    folder = tmp / "folder"
    folder.mkdir()
    (folder / "loop").symlink_to(".", target_is_directory=True)  # a symlink loop
    (folder / "sub").mkdir()
    (folder / "sub" / "up").symlink_to("..", target_is_directory=True)
    (folder / "dangling.yaml").symlink_to("nowhere.yaml")  # a broken symlink
    (folder / "self.yaml").symlink_to("self.yaml")  # a symlink to itself
    locked = write(folder / "locked.yaml", "Resources: [\n")  # unreadable (or broken, as root)
    locked.chmod(0)
    write(folder / "notes.txt", "not a template")
    return folder


STATE_MACHINE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Work:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Code: {{ZipFile: "def handler(e, c): pass"}}
      Role: arn:aws:iam::123456789012:role/r
  Machine:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      RoleArn: arn:aws:iam::123456789012:role/r
      DefinitionString: {definition}
"""


def sfn_invalid_json(tmp: Path) -> Path:
    definition = json.dumps('{"StartAt": "A", "States": {"A": {"Type": "Task",,}}')
    return write(tmp / "sfn-invalid.yaml", STATE_MACHINE.format(definition=definition))


def sfn_huge(tmp: Path) -> Path:
    body = {
        "Comment": "x" * (5 * MiB),
        "StartAt": "A",
        "States": {"A": {"Type": "Task", "Resource": "${Work.Arn}", "End": True}},
    }
    definition = "!Sub " + json.dumps(json.dumps(body))
    return write(tmp / "sfn-huge.yaml", STATE_MACHINE.format(definition=definition))


IAM_SHAPES = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Queue:
    Type: AWS::SQS::Queue
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: "not a document"
      Policies:
        - PolicyName: as-string
          PolicyDocument: '{"Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]}'
        - PolicyName: as-list
          PolicyDocument: [1, 2, 3]
        - PolicyName: as-number
          PolicyDocument: 42
        - PolicyName: statements
          PolicyDocument:
            Statement: [1, "s", [2], {Action: 5, Resource: {a: 1}}, {Effect: Allow}, {NotAction: "*"}]
        - PolicyName: statement-string
          PolicyDocument: {Statement: "sqs:SendMessage"}
        - "policy as a string"
        - 7
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Role: !GetAtt Role.Arn
      Runtime: python3.12
      Handler: index.handler
      Code: {ZipFile: "def handler(e, c): pass"}
  Policy:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: p
      Roles: [!Ref Role, 5, [x]]
      PolicyDocument: "a string"
  Policy2:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: p2
      Roles: !Ref Role
      PolicyDocument: [{Statement: []}]
  Managed:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      Roles: 3
      PolicyDocument: 3.5
"""


def iam_shapes(tmp: Path) -> Path:
    return write(tmp / "iam-shapes.yaml", IAM_SHAPES)


def sam_rejected(tmp: Path) -> Path:
    return write(
        tmp / "sam-rejected.yaml",
        'AWSTemplateFormatVersion: "2010-09-09"\nTransform: AWS::Serverless-2016-10-31\n'
        "Resources:\n  Jobs:\n    Type: AWS::SQS::Queue\n"
        "  Broken:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      Runtime: python3.12\n      Handler: app.handler\n      CodeUri: src/\n"
        "      Events:\n        FromQueue:\n          Type: SQS\n          Properties:\n"
        "            BatchSize: 10\n",
    )


def sam_garbage(tmp: Path) -> Path:
    return write(
        tmp / "sam-garbage.yaml",
        "Transform: AWS::Serverless-2016-10-31\nGlobals: 5\nResources:\n"
        "  Fn:\n    Type: AWS::Serverless::Function\n    Properties: {Events: [1], CodeUri: 3}\n"
        "  Api:\n    Type: AWS::Serverless::Api\n    Properties: {DefinitionBody: 5}\n",
    )


def cdk_app(tmp: Path, name: str, code: str) -> Path:
    app = tmp / name
    write(app / "cdk.json", json.dumps({"app": "python3 app.py"}))
    write(app / "app.py", code)
    return app


def cdk_hangs(tmp: Path) -> Path:
    return cdk_app(
        tmp,
        "cdk-hangs",
        # In a sandbox the app has its own PID namespace: its pids are not the host's, so the
        # processes are found by a marker in their command line (the app's folder).
        "import os, pathlib, subprocess, sys, time\n"
        "pathlib.Path('pids').write_text(os.getcwd())\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(3600)', os.getcwd()])\n"
        "time.sleep(3600)\n",
    )


def cdk_exit_1(tmp: Path) -> Path:
    return cdk_app(
        tmp,
        "cdk-exit-1",
        "raise RuntimeError('boom')\n",
    )


def cdk_megabytes(tmp: Path) -> Path:
    return cdk_app(
        tmp,
        "cdk-megabytes",
        "import sys\nline = 'x' * 1023 + '\\n'\n"
        "for _ in range(100 * 1024):\n    sys.stdout.write(line)\n    sys.stderr.write(line)\n",
    )


def cdk_no_manifest(tmp: Path) -> Path:
    return cdk_app(tmp, "cdk-no-manifest", "print('synthesized nothing')\n")


def cdk_bad_json(tmp: Path) -> Path:
    app = tmp / "cdk-bad-json"
    write(app / "cdk.json", '{"app": ')
    return app


# ----------------------------------------------------------------------------- the cases


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[Path], Path]
    code: int = 3
    # The file the error must name, relative to tmp (default: the bad path itself).
    error_file: str | None = None
    line: int | bool | None = None  # an int: exactly; True: some line; None: unknown
    words: tuple[str, ...] = ()  # each in the error's message or hint (case-insensitive)
    kind: str | None = None
    good_node: str = GOOD_NODE_ALONE
    args: tuple[str, ...] = ()
    extra: Callable[[Path, Run, dict[str, Any]], None] | None = None
    reason: str = field(default="", compare=False)


def _no_leftover_processes(tmp: Path, run: Run, report: dict[str, Any]) -> None:
    pids_file = tmp / "cdk-hangs" / "pids"
    assert pids_file.exists(), "the hanging app never started"
    marker = pids_file.read_text().encode()
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes()
            with open(entry / "stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if marker in cmdline:
            assert state == "Z", f"process {entry.name} the CDK app started still runs"


def _folder_checks(tmp: Path, run: Run, report: dict[str, Any]) -> None:
    files = {Path(e["file"]).name: e for e in report["errors"]}
    assert "dangling.yaml" in files, files
    assert "self.yaml" in files, files
    assert "locked.yaml" in files, files
    locked = tmp / "folder" / "locked.yaml"
    if os.access(locked, os.R_OK):
        print(
            "\n  [folder] note: running as root, chmod 000 does not stop reading locked.yaml; "
            "its permission message is not checked (it is reported as a parse error instead)"
        )
    else:
        assert "permission" in files["locked.yaml"]["message"].lower()


def _both_stacks(tmp: Path, run: Run, report: dict[str, Any]) -> None:
    ids = {n["id"] for n in report["topology"]["nodes"]}
    assert any(i.endswith("/Jobs") for i in ids), sorted(ids)


def _last_duplicate_wins(tmp: Path, run: Run, report: dict[str, Any]) -> None:
    types = {n["id"]: n["type"] for n in report["topology"]["nodes"]}
    assert types["duplicates/Jobs"] == "AWS::SNS::Topic", types
    warnings = report["verdict"]["warnings"]
    assert any(
        "duplicates.yaml:4: key 'Jobs' repeats the one at line 2" in w
        or "duplicates.json:3: key 'Jobs' repeats the one at line 2" in w
        for w in warnings
    ), warnings


def _nested_parent_kept(tmp: Path, run: Run, report: dict[str, Any]) -> None:
    ids = {n["id"] for n in report["topology"]["nodes"]}
    assert any(i.endswith("/QueueA") for i in ids), f"the parent template was lost: {sorted(ids)}"


def _machine_kept(tmp: Path, run: Run, report: dict[str, Any]) -> None:
    ids = {n["id"] for n in report["topology"]["nodes"]}
    assert any(i.endswith("/Machine") for i in ids), sorted(ids)
    assert any(i.endswith("/Work") for i in ids), sorted(ids)


DEPTH_WORDS = ("--max-depth",)
CDK_ARGS = ("--synth-timeout", "3", "--no-cache")

CASES: tuple[Case, ...] = (
    Case("yaml-alias-bomb", alias_bomb, kind="limit", words=("alias",)),
    Case("yaml-10000-deep-lists", deep_yaml_lists, kind="limit", words=DEPTH_WORDS),
    Case("yaml-10000-deep-maps", deep_yaml_maps, kind="limit", words=DEPTH_WORDS),
    Case("yaml-300-deep", deep_yaml_300, kind="limit", words=DEPTH_WORDS, line=5),
    Case("json-10000-deep-arrays", deep_json, kind="limit", words=DEPTH_WORDS),
    Case("json-10000-deep-objects", deep_json_objects, kind="limit", words=DEPTH_WORDS),
    Case("template-50mb", huge_template, kind="limit", words=("--max-file-size",)),
    Case("binary-file", binary_file, kind="parse", words=("binary",)),
    Case("invalid-utf8", invalid_utf8, kind="parse", line=3, words=("utf-8",)),
    Case("utf16-le-bom", utf16_bom, code=0, good_node=GOOD_NODE_PREFIXED, extra=_both_stacks),
    Case("utf16-be-bom", utf16_be_bom, code=0, good_node=GOOD_NODE_PREFIXED, extra=_both_stacks),
    Case("utf8-bom", utf8_bom, code=0, good_node=GOOD_NODE_PREFIXED, extra=_both_stacks),
    Case("empty-file", empty_file, kind="parse", words=("empty",)),
    Case("blank-file", blank_file, kind="parse", words=("Resources",)),
    Case("json-top-level-array", json_array, kind="parse", words=("list",)),
    Case("yaml-top-level-scalar", yaml_scalar, kind="parse", words=("str",)),
    Case("resources-is-a-list", resources_list, kind="parse", line=2, words=("Resources",)),
    Case("resources-is-a-number", resources_scalar, kind="parse", words=("Resources",)),
    Case("no-resources", no_resources, kind="parse", words=("Resources",)),
    Case("resource-without-type", no_type, kind="parse", line=5, words=("Orphan", "Type")),
    Case("resource-type-is-a-list", type_not_string, kind="parse", line=3, words=("Type",)),
    Case("resource-is-a-string", resource_scalar, kind="parse", line=2, words=("Jobs",)),
    Case("properties-is-a-list", properties_list, kind="parse", line=5, words=("Properties",)),
    # CloudFormation deploys a repeated YAML key with its last value (issue 13): analysed so,
    # with a warning naming the line; JSON keeps cfn-lint's error (docs/parse-problems.md)
    Case(
        "duplicate-keys-yaml",
        duplicate_keys,
        code=0,
        good_node=GOOD_NODE_PREFIXED,
        extra=_last_duplicate_wins,
    ),
    Case(
        "duplicate-keys-json",
        duplicate_keys_json,
        code=0,
        good_node=GOOD_NODE_PREFIXED,
        extra=_last_duplicate_wins,
    ),
    Case("yaml-syntax-error", yaml_syntax, kind="parse", line=True),
    # an unknown short tag is read as an unknown intrinsic function: the value is unknown
    Case("yaml-unknown-tag", unknown_tag, code=0, good_node=GOOD_NODE_PREFIXED),
    Case("intrinsics-wrong-shape", wrong_intrinsics, code=0, good_node=GOOD_NODE_PREFIXED),
    Case("ref-cycles", ref_cycles, code=0, good_node=GOOD_NODE_PREFIXED),
    Case(
        "exponential-parameters",
        exponential_parameters,
        kind="limit",
        words=("unknown", "characters"),
        good_node=GOOD_NODE_PREFIXED,
    ),
    Case("condition-cycle", condition_cycle, code=0, good_node=GOOD_NODE_PREFIXED),
    Case(
        "nested-stack-cycle",
        nested_cycle,
        error_file="nested-b.yaml",
        line=6,
        kind="parse",
        words=("cycle",),
        good_node=GOOD_NODE_PREFIXED,
        extra=_nested_parent_kept,
    ),
    Case(
        "nested-stack-self",
        nested_self,
        line=6,
        kind="parse",
        words=("cycle",),
        good_node=GOOD_NODE_PREFIXED,
        extra=_nested_parent_kept,
    ),
    Case(
        "nested-stack-missing",
        nested_missing,
        line=6,
        kind="parse",
        words=("not-there.yaml",),
        good_node=GOOD_NODE_PREFIXED,
        extra=_nested_parent_kept,
    ),
    Case(
        "nested-stack-broken-child",
        nested_broken_child,
        error_file="child-broken.yaml",
        line=True,
        kind="parse",
        good_node=GOOD_NODE_PREFIXED,
        extra=_nested_parent_kept,
    ),
    Case(
        "nested-stack-fan-out",
        nested_fan_out,
        error_file="fan-*.yaml",
        line=True,
        kind="limit",
        words=("500",),
        good_node=GOOD_NODE_PREFIXED,
    ),
    Case(
        "folder-loops-unreadable-broken-links",
        hostile_folder,
        error_file="folder/dangling.yaml",
        kind="parse",
        extra=_folder_checks,
    ),
    Case(
        "sfn-definition-invalid-json",
        sfn_invalid_json,
        line=True,
        kind="parse",
        words=("Machine", "JSON"),
        good_node=GOOD_NODE_PREFIXED,
        extra=_machine_kept,
    ),
    Case(
        "sfn-definition-5mb",
        sfn_huge,
        line=True,
        kind="limit",
        words=("Machine", "2,097,152"),
        good_node=GOOD_NODE_PREFIXED,
        extra=_machine_kept,
    ),
    Case("iam-policy-shapes", iam_shapes, code=0, good_node=GOOD_NODE_PREFIXED),
    Case("sam-translator-rejects", sam_rejected, kind="parse", words=("Broken",)),
    Case("sam-garbage", sam_garbage),
    Case(
        "cdk-app-hangs",
        cdk_hangs,
        kind="limit",
        words=("--synth-timeout",),
        args=CDK_ARGS,
        error_file="cdk-hangs*",
        extra=_no_leftover_processes,
    ),
    Case(
        "cdk-app-exits-1",
        cdk_exit_1,
        error_file="cdk-exit-1*",
        kind="synth",
        words=("code 1", "boom"),
        args=CDK_ARGS,
    ),
    Case(
        "cdk-app-prints-200mb",
        cdk_megabytes,
        error_file="cdk-megabytes*",
        kind="synth",
        args=CDK_ARGS,
    ),
    Case(
        "cdk-app-no-manifest",
        cdk_no_manifest,
        error_file="cdk-no-manifest*",
        kind="synth",
        words=("manifest",),
        args=CDK_ARGS,
    ),
    Case(
        "cdk-json-invalid",
        cdk_bad_json,
        error_file="cdk-bad-json*",
        kind="parse",
        words=("cdk.json",),
        args=CDK_ARGS,
    ),
)


# ----------------------------------------------------------------------------- the test


@pytest.fixture(scope="module", autouse=True)
def summary(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    yield
    if not RESULTS:
        return
    out = tmp_path_factory.getbasetemp() / "hostile-results.json"
    out.write_text(json.dumps(RESULTS, indent=2), "utf-8")
    crashes = [r for r in RESULTS if r["crash"]]
    slowest = max(RESULTS, key=lambda r: r["wall_s"])
    hungriest = max(RESULTS, key=lambda r: r["max_rss_mb"])
    print(f"\n\nhostile input: {len(RESULTS)} cases, {len(crashes)} crashes  ({out})")
    print(f"{'case':42} {'exit':>4} {'wall s':>7} {'cpu s':>6} {'peak MB':>10}  ok")
    for r in sorted(RESULTS, key=lambda r: r["case"]):
        print(
            f"{r['case']:42} {r['exit']:>4} {r['wall_s']:>7.2f} {r['cpu_s']:>6.2f} "
            f"{r['max_rss_mb']:>10.1f}  {'yes' if r['passed'] else 'NO'}"
        )
    print(
        f"slowest: {slowest['case']} {slowest['wall_s']:.2f} s wall ({slowest['cpu_s']:.2f} s CPU)"
    )
    print(
        f"largest memory: {hungriest['case']} {hungriest['max_rss_mb']:.1f} MB peak RSS "
        "(the CLI process's VmHWM)"
    )
    if crashes:
        print("crashes: " + ", ".join(r["case"] for r in crashes))


def _error_for(report: dict[str, Any], tmp: Path, pattern: str) -> dict[str, Any]:
    """The error whose file is ``pattern`` (a glob, relative to ``tmp``)."""
    for e in report["errors"]:
        rel = os.path.relpath(os.path.abspath(e["file"]), os.path.abspath(tmp))
        if fnmatch.fnmatch(rel, pattern):
            return e
    raise AssertionError(f"no error names {pattern}: {report['errors']}")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_input(case: Case, tmp_path: Path) -> None:
    bad = case.build(tmp_path)
    run = run_cli([str(bad), str(GOOD), "--format", "json", *case.args], cwd=tmp_path)
    # iacscan's own traceback starts a line; a CDK app's is relayed indented in the error
    traceback = re.search(r"^Traceback \(most recent call last\)", run.stderr, re.MULTILINE)
    crash = run.killed or run.code not in (0, 1, 2, 3) or traceback is not None
    record = {
        "case": case.name,
        "exit": run.code,
        "wall_s": round(run.wall, 3),
        "cpu_s": round(run.cpu, 3),
        "max_rss_mb": round(run.max_rss_mb, 1),
        "rusage_max_rss_mb": round(run.rusage_max_mb, 1),
        "crash": crash,
        "passed": False,
    }
    RESULTS.append(record)

    assert not run.killed, f"hung: killed after {HARD_KILL_S} s"
    assert traceback is None, run.stderr[-3000:]
    assert run.code == case.code, f"exit {run.code}, expected {case.code}: {run.stderr[-2000:]}"
    report = run.report
    ids = {n["id"] for n in report["topology"]["nodes"]}
    assert case.good_node in ids, f"the good template's nodes are missing: {sorted(ids)}"
    internal = [e for e in report["errors"] if e["kind"] == "internal"]
    assert not internal, internal
    if case.code == 0:
        assert report["errors"] == [], report["errors"]
        assert any(Path(i["path"]).name == bad.name for i in report["inputs"]), report["inputs"]
    else:
        err = _error_for(report, tmp_path, case.error_file or str(bad.relative_to(tmp_path)))
        assert err["message"].strip(), err
        assert err["hint"].strip(), err
        if case.kind:
            assert err["kind"] == case.kind, err
        if case.line is True:
            assert isinstance(err["line"], int) and err["line"] > 0, err
        elif case.line is not None:
            assert err["line"] == case.line, err
        text = (err["message"] + " " + err["hint"]).lower()
        for word in case.words:
            assert word.lower() in text, f"{word!r} not in {err}"
        # stderr repeats the error for people
        assert "error:" in run.stderr
    if case.extra is not None:
        case.extra(tmp_path, run, report)
    assert not run.killed, f"hung: killed after {HARD_KILL_S:.0f} s"
    assert run.code >= 0, f"killed by signal {-run.code} (a limit: CPU {CPU_LIMIT_S} s, data 1 GiB)"
    record["passed"] = True


def test_the_memory_limit_trips(tmp_path: Path) -> None:
    """The limit itself: a child that allocates past it fails instead of growing."""
    code = "b = bytearray(1536 * 1024 * 1024)"
    with open(os.devnull, "wb") as null:
        over = spawn_measured([sys.executable, "-c", code], tmp_path, null, null)
        fine = spawn_measured([sys.executable, "-c", "pass"], tmp_path, null, null)
    assert over.code != 0 and not over.killed, over
    assert fine.code == 0, fine


# ----------------------------------------------------------------------------- renderer safety

EVIL_TEXT = (
    "<script>alert(1)</script> **bold** [x](javascript:alert(1)) `code` | a | "
    '\x1b[31mred\x1b[0m \x1b]8;;http://x\x07link\x1b]8;;\x07 \x9b2J\n"] --> pwn["x '
    "%%{init: {}}%% click n1 call alert(1) <img src=x onerror=alert(1)>\r\n# Heading\n```"
)
EVIL_STATE = 'Run<script>alert(1)</script>\x1b[2J\n"]-->x'
EVIL_ENDPOINT = (
    'https://evil.example/<script>alert(1)</script>"]\nclick A call alert(1)\n'
    "%%{init: {}}%%\x1b[31m|x|"
)


def evil_template() -> dict[str, Any]:
    """Logical ids are alphanumeric (CloudFormation's rule); everything else is hostile."""
    lam = {"Runtime": "python3.12", "Handler": "a.b", "Code": {"ZipFile": EVIL_TEXT}}
    statements = [
        {
            "Effect": "Allow",
            "Action": "sqs:SendMessage",
            "Resource": "arn:aws:sqs:us-east-1:123456789012:q<script>alert(1)</script>\x1b[31m",
        },
        {
            "Effect": "Allow",
            "Action": "sqs:SendMessage",
            "Resource": {"Fn::GetAtt": ["Queue", "Arn"]},
        },
        {
            "Effect": "Allow",
            "Action": "sns:Publish",
            "Resource": {"Fn::Sub": "arn:aws:sns:us-east-1:123456789012:${EvilName}"},
        },
        {
            "Effect": "Allow",
            "Action": "lambda:InvokeFunction",
            "Resource": {"Fn::GetAtt": ["Fn2", "Arn"]},
        },
    ]
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": EVIL_TEXT,
        "Parameters": {
            "EvilName": {
                "Type": "String",
                "Default": "t<script>alert(1)</script>\x1b[31m|*_\n]]",
                "Description": EVIL_TEXT,
            }
        },
        "Resources": {
            "Topic": {
                "Type": "AWS::SNS::Topic",
                "Properties": {
                    "TopicName": {"Ref": "EvilName"},
                    "DisplayName": EVIL_TEXT,
                    "Tags": [{"Key": EVIL_TEXT, "Value": EVIL_TEXT}],
                },
            },
            "HttpSubscription": {
                "Type": "AWS::SNS::Subscription",
                "Properties": {
                    "TopicArn": {"Ref": "Topic"},
                    "Protocol": "https",
                    "Endpoint": EVIL_ENDPOINT,
                },
            },
            "Queue": {
                "Type": "AWS::SQS::Queue",
                "Properties": {"QueueName": "jobs<script>alert(1)</script>\x1b[31m\n`x`"},
            },
            "FnRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "Policies": [
                        {"PolicyName": EVIL_TEXT, "PolicyDocument": {"Statement": statements}}
                    ]
                },
            },
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    **lam,
                    "Role": {"Fn::GetAtt": ["FnRole", "Arn"]},
                    "Description": EVIL_TEXT,
                    "Environment": {"Variables": {"X": EVIL_TEXT}},
                },
            },
            "Fn2": {
                "Type": "AWS::Lambda::Function",
                "Properties": {**lam, "Role": {"Fn::GetAtt": ["FnRole", "Arn"]}},
            },
            "Mapping": {
                "Type": "AWS::Lambda::EventSourceMapping",
                "Properties": {
                    "EventSourceArn": {"Fn::GetAtt": ["Queue", "Arn"]},
                    "FunctionName": {"Ref": "Fn"},
                },
            },
            "Machine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "RoleArn": "arn:aws:iam::123456789012:role/r",
                    "Definition": {
                        "Comment": EVIL_TEXT,
                        "StartAt": EVIL_STATE,
                        "States": {
                            EVIL_STATE: {
                                "Type": "Map",
                                "ItemProcessor": {
                                    "StartAt": EVIL_STATE + "2",
                                    "States": {
                                        EVIL_STATE + "2": {
                                            "Type": "Task",
                                            "Resource": {"Fn::GetAtt": ["Fn", "Arn"]},
                                            "End": True,
                                        }
                                    },
                                },
                                "Next": "Pub<b>",
                            },
                            "Pub<b>": {
                                "Type": "Task",
                                "Resource": "arn:aws:states:::sns:publish",
                                "Parameters": {
                                    "TopicArn": "arn:aws:sns:us-east-1:123456789012:x<script>",
                                    "Message": EVIL_TEXT,
                                },
                                "End": True,
                            },
                        },
                    },
                },
            },
        },
        "Outputs": {"Out": {"Description": EVIL_TEXT, "Value": EVIL_TEXT}},
    }


_MERMAID_LABEL = r'"(?:[A-Za-z0-9 _.,/:-]|#\d+;|<br/>)*"'
_MERMAID_SHAPES = (
    r"(?:\[\[|\(\[|\[\(|\{\{|\[/|\(\(|\[)"
    + _MERMAID_LABEL
    + (r"(?:\]\]|\]\)|\)\]|\}\}|/\]|\\\]|\)\)|\])")
)
MERMAID_LINE = re.compile(
    r"flowchart (?:LR|TD)"
    rf"|    n\d+{_MERMAID_SHAPES}"
    r"|    n\d+ (?:-- [a-z]+ -->|-\. [a-z]+ \.->|== [a-z]+ ==>|-- runs ---) n\d+"
    r"|    classDef [a-z]+ [a-z0-9:#,. -]+"
    r"|    class n\d+(?:,n\d+)* [a-z]+"
    r"|    linkStyle \d+ [a-z0-9:#,. -]+"
)
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def test_hostile_strings_are_inert_in_every_output(tmp_path: Path) -> None:
    template = tmp_path / "evil.json"
    template.write_text(json.dumps(evil_template(), indent=1), "utf-8")
    outputs: dict[str, str] = {}
    for fmt in ("text", "markdown", "sarif"):
        run = run_cli(["scan", str(template), "--format", fmt, "--no-color"], cwd=tmp_path)
        assert run.code == 0, run.stderr[-2000:]
        outputs[fmt] = run.stdout
    run = run_cli(["graph", str(template), "--format", "mermaid"], cwd=tmp_path)
    assert run.code == 0, run.stderr[-2000:]
    outputs["mermaid"] = run.stdout
    run = run_cli(["scan", str(template), "--format", "json"], cwd=tmp_path)
    report = run.report
    ids = {n["id"] for n in report["topology"]["nodes"]}
    # the hostile values did reach the topology: an external subscriber and state names
    assert any(i.startswith("ext:https://evil.example/") for i in ids), sorted(ids)
    assert any("Run<script>" in v["what"] for e in report["topology"]["edges"] for v in e["via"])

    for fmt, text in outputs.items():
        assert "\x1b" not in text and "\x9b" not in text, f"an escape character in {fmt}"
        assert not CONTROL.search(text.replace("\n", "")), f"a control character in {fmt}"
    # where HTML is live, none of it survives
    for fmt in ("markdown", "mermaid"):
        assert "<script" not in outputs[fmt].lower(), fmt
        assert "<img" not in outputs[fmt].lower(), fmt
        assert "](javascript:" not in outputs[fmt].lower(), f"a live link in {fmt}"
    # text is for terminals: the values are shown as they are, one line each, no escapes
    assert "ext:https://evil.example/<script>" in outputs["text"]
    # SARIF: valid JSON whose messages are one plain line without embedded links
    log = json.loads(outputs["sarif"])
    messages = [r["message"]["text"] for r in log["runs"][0]["results"]]
    assert messages
    for m in messages:
        assert not CONTROL.search(m) and "\n" not in m, m
        assert not re.search(r"(?<!\\)\[[^\]]*(?<!\\)\]\(", m), f"an embedded link: {m}"
    # Mermaid: every line is one of the shapes the renderer writes
    for line in outputs["mermaid"].splitlines():
        assert MERMAID_LINE.fullmatch(line), f"malformed Mermaid line: {line!r}"


# ----------------------------------------------------------------------------- internal errors


def _inject_extractor_bug(monkeypatch: pytest.MonkeyPatch) -> None:
    """Replace the Step Functions extractor with one that crashes on every state machine."""
    from iacscan.topology import registry
    from iacscan.topology.extractors import stepfunctions
    from iacscan.topology.extractors.base import each

    def boom(ctx: Any, stack: str, res: Any) -> None:
        raise RuntimeError(f"injected failure on {res.logical_id}")

    def broken(ctx: Any) -> None:
        each(ctx, stepfunctions.ID, ("AWS::StepFunctions::StateMachine",), boom)

    patched = tuple(
        replace(e, run=broken) if e.id == stepfunctions.ID else e for e in registry.EXTRACTORS
    )
    assert patched != registry.EXTRACTORS
    monkeypatch.setattr(registry, "EXTRACTORS", patched)


def test_an_extractor_bug_loses_nothing_else(monkeypatch: pytest.MonkeyPatch) -> None:
    from scan_helpers import edge_set, scan

    _inject_extractor_bug(monkeypatch)
    a = scan([GOOD])
    assert len(a.internal_errors) == 1, a.internal_errors
    message = a.internal_errors[0].message
    assert "step-functions" in message and "MonitorStateMachine" in message, message
    assert "injected failure" in message
    assert a.internal_errors[0].hint
    # every other extractor ran: the rule, the functions, IAM-implied edges are all there
    ids = {n.id for n in a.topology.nodes}
    assert {"MonitorStateMachine", "StartFunction", "StartRule", "AlertsTopic"} <= ids
    edges = edge_set(a)
    assert "StartRule -triggers-> StartFunction" in edges
    assert "StartFunction -invokes-> MonitorStateMachine" in edges
    assert a.verdict.criteria and a.errors == ()


def test_cli_exits_4_and_points_to_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from iacscan.cli import app

    _inject_extractor_bug(monkeypatch)
    runner = CliRunner()
    result = runner.invoke(app, ["scan", str(GOOD), "--format", "json"])
    assert result.exit_code == 4, result.output
    report = json.loads(result.stdout)
    internal = [e for e in report["errors"] if e["kind"] == "internal"]
    assert len(internal) == 1 and "MonitorStateMachine" in internal[0]["message"], internal
    assert "MonitorStateMachine" in {n["id"] for n in report["topology"]["nodes"]}
    assert "internal error: step-functions failed on MonitorStateMachine" in result.stderr
    assert "--debug" in result.stderr
    assert "Traceback" not in result.stderr

    debug = runner.invoke(app, ["scan", str(GOOD), "--format", "json", "--debug"])
    assert debug.exit_code == 4
    assert "Traceback (most recent call last)" in debug.stderr
    assert "RuntimeError: injected failure on MonitorStateMachine" in debug.stderr
    json.loads(debug.stdout)  # tracebacks go to stderr, the report stays valid

    graph = runner.invoke(app, ["graph", str(GOOD), "--format", "mermaid"])
    assert graph.exit_code == 4 and "--debug" in graph.stderr
