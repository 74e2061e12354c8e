"""The command line: default command, formats, exit codes, gates, profiles, configuration."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
T = ROOT / "fixtures" / "templates"
IACSCAN = [sys.executable, "-m", "iacscan"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*IACSCAN, *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_default_command_is_scan_and_json_contract() -> None:
    p = run(str(T / "prime-video-after-task.yaml"), "--format", "json")
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    assert data["schema_version"] == 1
    assert data["verdict"]["level"] == "serverless"
    assert data["verdict"]["architecture"] == "single-service"
    assert set(data) >= {"tool", "inputs", "verdict", "topology", "boundary", "findings", "errors"}
    assert {"source", "target", "kind", "via"} <= set(data["topology"]["edges"][0])


def test_fail_on_not_serverless_trips_only_when_false() -> None:
    assert (
        run(str(T / "ec2-asg-behind-alb.yaml"), "--fail-on", "not-serverless", "-q").returncode == 1
    )
    assert (
        run(str(T / "prime-video-before.yaml"), "--fail-on", "not-serverless", "-q").returncode == 0
    )
    # indeterminate (null) never trips
    assert (
        run(
            str(T / "indeterminate-launch-type.yaml"), "--fail-on", "not-serverless", "-q"
        ).returncode
        == 0
    )


def test_fail_on_warning_trips_on_findings() -> None:
    assert run(str(T / "prime-video-before.yaml"), "--fail-on", "warning", "-q").returncode == 1
    assert (
        run(
            str(T / "prime-video-before.yaml"),
            "--fail-on",
            "warning",
            "-q",
            "--ignore",
            "sfn-standard-per-item",
            "--ignore",
            "s3-intermediate-bus",
            "--ignore",
            "fan-out-re-reads",
        ).returncode
        == 0
    )


def test_bad_input_exit_3_names_file_and_line_and_other_inputs_still_analysed(
    tmp_path: Path,
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("Resources:\n  A:\n    Type: [oops\n")
    p = run(str(bad), str(T / "prime-video-after-task.yaml"), "--format", "json")
    assert p.returncode == 3
    assert "Traceback" not in p.stderr
    assert f"{bad}:" in p.stderr and "hint:" in p.stderr
    data = json.loads(p.stdout)
    assert data["errors"][0]["file"] == str(bad) and data["errors"][0]["line"]
    assert "LauncherFunction" in {n["id"] for n in data["topology"]["nodes"]}


def test_profiles_change_the_verdict_not_the_evidence() -> None:
    a = json.loads(run(str(T / "prime-video-after-service.yaml"), "-f", "json").stdout)["verdict"]
    b = json.loads(
        run(
            str(T / "prime-video-after-service.yaml"), "-f", "json", "--definition", "johnston-2017"
        ).stdout
    )["verdict"]
    assert (a["level"], a["serverless"]) == ("serverless-with-floor", True)
    assert (b["level"], b["serverless"]) == ("serverless-with-floor", False)
    assert a["idle_costs"] == b["idle_costs"]
    c = json.loads(
        run(str(T / "lambda-behind-nat.yaml"), "-f", "json", "--definition", "johnston-2017").stdout
    )["verdict"]
    assert c["serverless"] is False and any(i["kind"] == "network" for i in c["idle_costs"])


def test_custom_definition_file_and_bad_definition(tmp_path: Path) -> None:
    good = tmp_path / "strict.yaml"
    good.write_text("id: strict\ntitle: Our own\npasses: [serverless]\necs_on_ec2: fail\n")
    data = json.loads(
        run(
            str(T / "prime-video-after-service.yaml"), "-f", "json", "--definition", str(good)
        ).stdout
    )
    assert data["verdict"]["definition"] == "strict" and data["verdict"]["serverless"] is False
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\ntitle: y\npasses: [serverless]\necs_on_ec2: maybe\n")
    p = run(str(T / "prime-video-after-service.yaml"), "--definition", str(bad))
    assert p.returncode == 3 and f"{bad}:4" in p.stderr and "ecs_on_ec2" in p.stderr
    cases = {
        "levels.yaml": (
            "id: x\ntitle: y\npasses: [serverless, bogus-level]\necs_on_ec2: warn\n",
            "passes: unknown level bogus-level",
        ),
        "impostor.yaml": (
            "id: johnston-2023\ntitle: y\npasses: [not-serverless]\necs_on_ec2: warn\n",
            "id: johnston-2023 is a built-in definition",
        ),
    }
    for name, (text, message) in cases.items():
        (tmp_path / name).write_text(text)
        p = run(str(T / "storage-only.yaml"), "--definition", str(tmp_path / name))
        assert p.returncode == 3 and message in p.stderr, (name, p.stderr)
    p = run(str(T / "storage-only.yaml"), "--definition", str(tmp_path / "missing.yaml"))
    assert p.returncode == 2 and "definition file" in p.stderr and "not found" in p.stderr


def test_config_file_found_upward_and_unknown_key_rejected(tmp_path: Path) -> None:
    (tmp_path / ".iacscan.yaml").write_text("fail-on: not-serverless\n")
    tpl = tmp_path / "infra" / "asg.yaml"
    tpl.parent.mkdir()
    tpl.write_text((T / "ec2-asg-behind-alb.yaml").read_text())
    assert run(str(tpl), "-q").returncode == 1
    (tmp_path / ".iacscan.yaml").write_text("fail-on: never\ncolour: red\n")
    p = run(str(tpl), "-q")
    assert p.returncode == 2 and "colour" in p.stderr and ".iacscan.yaml:2" in p.stderr


def test_definitions_and_explain() -> None:
    out = run("definitions").stdout
    for name in ("johnston-2023", "johnston-2017", "aws", "cncf", "pauldjohnston.medium.com"):
        assert name in out
    assert "Prime Video" in run("explain", "sfn-standard-per-item").stdout
    assert run("explain", "no-such-rule").returncode == 2


def test_diff_prime_video_before_after() -> None:
    p = run(
        "diff",
        str(T / "prime-video-before.yaml"),
        str(T / "prime-video-after-task.yaml"),
        "-f",
        "json",
    )
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    changes = data["changes"]
    assert {"MonitorStateMachine", "FramesBucket"} <= set(changes["nodes"]["removed"])
    assert {"LauncherFunction", "MonitorTaskDefinition"} <= set(changes["nodes"]["added"])
    assert changes["boundary"]["ingress"] == {"added": [], "removed": []}
    assert data["after"]["verdict"]["serverless"] is True
    text = run(
        "diff",
        str(T / "prime-video-before.yaml"),
        str(T / "prime-video-after-task.yaml"),
        "--no-color",
    ).stdout
    assert "Still serverless" in text and "Same black box" in text


def test_graph_formats() -> None:
    assert run("graph", str(T / "prime-video-before.yaml")).stdout.startswith("flowchart")
    assert "digraph" in run("graph", str(T / "prime-video-before.yaml"), "-f", "dot").stdout
    nodes = json.loads(run("graph", str(T / "prime-video-before.yaml"), "-f", "json").stdout)[
        "nodes"
    ]
    assert "MonitorStateMachine" in {n["id"] for n in nodes}


def _graph_json(*args: str) -> tuple[set[str], set[tuple[str, str, str]]]:
    p = run("graph", str(T / "prime-video-before.yaml"), "-f", "json", *args)
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    return {n["id"] for n in data["nodes"]}, {
        (e["source"], e["target"], e["kind"]) for e in data["edges"]
    }


def test_graph_focus_keeps_the_flow_through_a_node() -> None:
    nodes, edges = _graph_json("--focus", "DetectorAFunction")
    # upstream: the rule, the starter and the workflow; downstream: the results bucket. The
    # converter feeds the frames bucket the detector reads, so it is upstream too; the sibling
    # detector B is only reached sideways and is left out.
    assert nodes == {
        "ext:default-event-bus",
        "StartRule",
        "StartFunction",
        "MonitorStateMachine",
        "ConverterFunction",
        "FramesBucket",
        "DetectorAFunction",
        "ResultsBucket",
    }
    assert ("MonitorStateMachine", "DetectorBFunction", "invokes") not in edges
    assert ("FramesBucket", "DetectorAFunction", "reads") in edges
    near, near_edges = _graph_json("--focus", "DetectorAFunction", "--depth", "1")
    assert near == {"MonitorStateMachine", "FramesBucket", "DetectorAFunction", "ResultsBucket"}
    assert near_edges == {
        ("MonitorStateMachine", "DetectorAFunction", "invokes"),
        ("FramesBucket", "DetectorAFunction", "reads"),
        ("DetectorAFunction", "ResultsBucket", "writes"),
    }


def test_graph_focus_on_an_unknown_node_is_a_usage_error() -> None:
    p = run("graph", str(T / "prime-video-before.yaml"), "--focus", "DetectorFunction")
    assert p.returncode == 2
    assert "--focus DetectorFunction: no such node" in p.stderr
    assert "DetectorAFunction" in p.stderr  # the closest ids are suggested
    assert "Traceback" not in p.stderr


def test_graph_focus_names_a_node_by_the_end_of_its_id() -> None:
    from iacscan.errors import UsageError
    from iacscan.model import Node, Topology
    from iacscan.topology.queries import resolve_focus

    def node(i: str) -> Node:
        return Node(i, "AWS::Lambda::Function", "compute", i.split("/")[0], "f.yaml", 1)

    ids = ("app/Api/Fn", "app/Worker/Fn", "cdk/orders/Queue", "other/Fn2")
    topo = Topology(nodes=tuple(node(i) for i in ids), edges=())
    assert resolve_focus(topo, "app/Api/Fn") == "app/Api/Fn"
    assert resolve_focus(topo, "Api/Fn") == "app/Api/Fn"
    assert resolve_focus(topo, "orders/Queue") == "cdk/orders/Queue"
    assert resolve_focus(topo, "Queue") == "cdk/orders/Queue"
    try:
        resolve_focus(topo, "Fn")
    except UsageError as err:
        assert "names 2 nodes" in err.message and "app/Worker/Fn" in err.message
    else:
        raise AssertionError("an ambiguous --focus must be refused")


def test_graph_depth_without_focus_is_a_usage_error() -> None:
    p = run("graph", str(T / "prime-video-before.yaml"), "--depth", "1")
    assert p.returncode == 2 and "--depth limits --focus" in p.stderr


def test_a_plain_template_scan_imports_only_what_it_uses() -> None:
    """Start-up: a CloudFormation scan must not import networkx, the SAM translator, boto3,
    cfn-lint or pydantic (each costs 0.1-0.7 s), nor tarfile (a diff's git work, load/gitrev.py).
    Checked on the modules loaded, not by timing."""
    code = (
        "import sys, iacscan.cli as c\n"
        "sys.argv = ['iacscan', sys.argv[1], '-f', sys.argv[2]]\n"
        "try:\n    c.main()\nexcept SystemExit as e:\n    print('EXIT', e.code)\n"
        "heavy = ('networkx', 'samtranslator', 'boto3', 'botocore', 'cfnlint', 'pydantic',"
        " 'tarfile')\n"
        "print('LOADED', sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    for fmt in ("text", "json"):
        p = subprocess.run(
            [sys.executable, "-c", code, str(T / "prime-video-before.yaml"), fmt],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert "LOADED []" in p.stdout, (fmt, p.stdout[-500:], p.stderr[-2000:])
        assert "EXIT 0" in p.stdout and "MonitorStateMachine" in p.stdout, p.stdout[-500:]


def test_version_and_each(tmp_path: Path) -> None:
    assert run("--version").stdout.startswith("iacscan ")
    p = run(
        "--each", str(T / "prime-video-before.yaml"), str(T / "storage-only.yaml"), "-f", "json"
    )
    reports = json.loads(p.stdout)
    assert [r["verdict"]["level"] for r in reports] == ["serverless", "no-compute"]


def test_each_in_a_process_pool_matches_one_by_one(tmp_path: Path) -> None:
    names = sorted(p.name for p in T.glob("*.yaml") if not p.name.endswith(".expected.yaml"))[:10]
    for name in names:
        (tmp_path / name).write_text((T / name).read_text())
    (tmp_path / "notes.json").write_text('{"not": "a template"}')
    p = run("--each", str(tmp_path), "-f", "json")
    assert p.returncode == 0, p.stderr
    reports = json.loads(p.stdout)
    assert [r["inputs"][0]["path"] for r in reports] == [str(tmp_path / n) for n in names]
    for name, report in zip(names, reports, strict=True):
        single = json.loads(run(str(T / name), "-f", "json").stdout)
        assert report["verdict"]["level"] == single["verdict"]["level"], name
        assert {n["id"] for n in report["topology"]["nodes"]} == {
            n["id"] for n in single["topology"]["nodes"]
        }


def test_diff_ids_count_the_stacks_of_both_sides(tmp_path: Path) -> None:
    """A PR that adds a second stack renames nothing: ids are STACK/LogicalId on both sides."""
    base, head = tmp_path / "base", tmp_path / "head"
    base.mkdir()
    head.mkdir()
    one = "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n"
    (base / "t.yaml").write_text(one)
    (head / "t.yaml").write_text(one)
    (head / "u.yaml").write_text("Resources:\n  T:\n    Type: AWS::SNS::Topic\n")
    changes = json.loads(run("diff", str(base), str(head), "-f", "json").stdout)["changes"]
    assert changes["nodes"]["added"] == ["u/T"]
    assert changes["nodes"]["removed"] == []


def test_each_json_is_always_a_list_and_sarif_has_one_run(tmp_path: Path) -> None:
    (tmp_path / "only.yaml").write_text((T / "prime-video-before.yaml").read_text())
    one = json.loads(run("--each", str(tmp_path), "-f", "json").stdout)
    assert isinstance(one, list) and len(one) == 1
    sarif = json.loads(
        run(
            "--each",
            str(T / "prime-video-before.yaml"),
            str(T / "lambda-calls-lambda.yaml")
            if (T / "lambda-calls-lambda.yaml").exists()
            else str(T / "extract-iam.yaml"),
            "-f",
            "sarif",
        ).stdout
    )
    assert len(sarif["runs"]) == 1  # code scanning takes at most 20 runs: one per invocation
    assert len(sarif["runs"][0]["properties"]["verdicts"]) == 2  # one verdict per report
    rules = {r["ruleId"] for run_ in sarif["runs"] for r in run_["results"]}
    assert {"sfn-standard-per-item", "lambda-calls-lambda"} <= rules


def test_usage_errors_exit_2() -> None:
    assert run(str(T / "storage-only.yaml"), "--definition", "no-such-profile").returncode == 2
    assert run("diff", "--head-ref", "HEAD", str(T)).returncode == 2


def test_nested_template_outside_the_repository_is_refused(tmp_path: Path) -> None:
    tpl = tmp_path / "parent.yaml"
    tpl.write_text(
        "Resources:\n  Child:\n    Type: AWS::CloudFormation::Stack\n"
        "    Properties:\n      TemplateURL: /etc/hostname\n"
    )
    p = run(str(tpl), "-f", "json", cwd=tmp_path)
    assert p.returncode == 3
    err = json.loads(p.stdout)["errors"][0]
    assert "outside" in err["message"] and err["line"] == 3


def test_all_stacks_needs_no_path_and_no_path_is_a_usage_error(tmp_path: Path) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    p = subprocess.run(
        [*IACSCAN, "--all-stacks", "-q"], capture_output=True, text=True, env=env, timeout=120
    )
    assert p.returncode == 3 and "stack:*" in p.stderr and "region" in p.stderr
    assert run("scan").returncode == 2


def test_output_creates_missing_folders_and_refuses_a_folder(tmp_path: Path) -> None:
    target = tmp_path / "reports" / "pr-7" / "report.json"
    p = run(str(T / "storage-only.yaml"), "-f", "json", "-o", str(target))
    assert p.returncode == 0, p.stderr
    assert json.loads(target.read_text())["verdict"]["level"] == "no-compute"
    for args in (["scan"], ["graph"], ["diff", str(T / "storage-only.yaml")]):
        p = run(*args, str(T / "storage-only.yaml"), "-o", str(tmp_path))
        assert p.returncode == 2, (args, p.stderr)
        assert f"--output {tmp_path} is a folder" in p.stderr and "Traceback" not in p.stderr


def test_a_folder_without_templates_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# infra\n")
    (tmp_path / "values.yaml").write_text("replicas: 2\n")  # YAML, but not a template
    for args in ([str(tmp_path)], ["--each", str(tmp_path)]):
        p = run(*args, "-f", "json")
        assert p.returncode == 3, (args, p.stderr)
        assert f"error: {tmp_path}: no CloudFormation or SAM template in this folder" in p.stderr
        data = json.loads(p.stdout)
        report = data[0] if isinstance(data, list) else data
        assert report["verdict"]["summary"].startswith("Could not analyse: the input ")
        assert report["verdict"]["level"] == "indeterminate"
        assert report["verdict"]["serverless"] is None
        assert report["verdict"]["criteria"] == []


def test_nothing_read_is_not_judged(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("Resources: [unclosed\n")
    p = run(str(bad), "-q")
    assert p.returncode == 3
    assert p.stdout.startswith(f"Could not analyse: the input {bad}")
    assert "No compute in scope" not in p.stdout


def test_a_database_alone_is_not_serverless_and_says_what_bills(tmp_path: Path) -> None:
    # definitions.md (revised, issue 13): a stack of only servers or instance-sized capacity
    # is not-serverless, not no-compute: it is paid for whether used or not.
    db = tmp_path / "db.yaml"
    db.write_text(
        "Resources:\n  Db:\n    Type: AWS::RDS::DBInstance\n    Properties:\n"
        "      Engine: postgres\n      DBInstanceClass: db.t4g.micro\n"
        "      AllocatedStorage: '20'\n"
    )
    data = json.loads(run(str(db), "-f", "json").stdout)
    v = data["verdict"]
    assert v["level"] == "not-serverless" and v["serverless"] is False
    assert [i["node"] for i in v["idle_costs"]] == ["Db"]
    assert v["summary"].startswith(
        "Not serverless by johnston-2023 (level not-serverless): servers or instance-sized "
        "capacity you pay for whether used or not (Db: "
    )
    statuses = {c["id"]: c["status"] for c in v["criteria"]}
    assert statuses["no-instance-priced-data"] == "fail" and statuses["no-idle-cost"] == "fail"


def test_each_names_the_template_of_every_report() -> None:
    folder = ROOT / "fixtures" / "multi" / "cross-stack"
    lines = run("--each", str(folder), "-q").stdout.splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [
        str(folder / "orders-consumer.yaml"),
        str(folder / "orders-producer.yaml"),
    ]
    text = run("--each", str(folder)).stdout
    assert f"== {folder / 'orders-consumer.yaml'} ==" in text
    assert "orders-producer.yaml" in run("--each", str(folder), "-f", "markdown").stdout


def test_a_lone_instance_is_a_fixed_fleet(tmp_path: Path) -> None:
    box = tmp_path / "box.yaml"
    box.write_text(
        "Resources:\n  Box:\n    Type: AWS::EC2::Instance\n"
        "    Properties:\n      ImageId: ami-12345678\n      InstanceType: t3.micro\n"
    )
    criteria = {
        c["id"]: c for c in json.loads(run(str(box), "-f", "json").stdout)["verdict"]["criteria"]
    }
    assert criteria["scales-with-use"]["status"] == "fail"
    assert [e["node"] for e in criteria["scales-with-use"]["evidence"]] == ["Box"]


def test_a_criterion_names_each_resource_once() -> None:
    data = json.loads(run(str(T / "ecs-ec2-fixed-count.yaml"), "-f", "json").stdout)
    c1 = next(c for c in data["verdict"]["criteria"] if c["id"] == "no-servers-you-manage")
    assert [e["node"] for e in c1["evidence"]] == ["WorkerService", "WorkerAutoScalingGroup"]


def test_typos_are_caught_with_a_suggestion() -> None:
    p = run("defintions")
    assert p.returncode == 2 and "hint: did you mean `iacscan definitions`?" in p.stderr
    p = run(str(T / "storage-only.yaml"), "-q", "--ignore", "s3-intermediate-buss")
    assert p.returncode == 0
    assert (
        "--ignore s3-intermediate-buss: no such rule; did you mean s3-intermediate-bus?" in p.stderr
    )
    p = run("explain", "lambda-call-lambda")
    assert p.returncode == 2 and "did you mean lambda-calls-lambda?" in p.stderr
    assert "  lambda-calls-lambda (note):" in run("definitions").stdout
    assert run(str(T / "storage-only.yaml"), "--max-depth", "0").returncode == 2


def test_diff_quiet_prints_the_summary_sentences() -> None:
    p = run(
        "diff", str(T / "prime-video-before.yaml"), str(T / "prime-video-after-task.yaml"), "-q"
    )
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == "Still serverless (johnston-2023): serverless"
    assert "Architecture: distributed -> single-service" in lines
    assert "Topology" not in p.stdout  # the full report is left out
