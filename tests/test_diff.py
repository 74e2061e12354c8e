"""diff_analyses: matching by id and construct path, boundary, findings, summary sentences."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from builders import (
    analysis,
    edge,
    huge,
    node,
    prime_after,
    prime_after_service,
    prime_before,
    verdict,
)
from iacscan.diff import diff_analyses
from iacscan.model import Analysis, Cases, Finding, InputError
from iacscan.render.json_report import diff_to_dict
from iacscan.render.markdown import render_diff_markdown
from iacscan.render.mdblocks import MAX_CHARS
from scan_helpers import (
    SIBLING_DEFINITION,
    asl_sending_to,
    git_repo,
    run_cli,
    scan,
    sibling_definition,
)

T = Path(__file__).resolve().parent.parent / "fixtures" / "templates"


def test_prime_video_before_to_after() -> None:
    d = diff_analyses(prime_before(), prime_after())
    assert d.summary[0] == "Still serverless (johnston-2023): serverless"
    assert d.summary[1] == (
        "Same black box: ingress {StartRule}, egress {AlertsTopic, ResultsBucket}"
    )
    assert set(d.nodes_removed) == {
        "MonitorStateMachine",
        "FramesBucket",
        "ConverterFunction",
        "DetectorFunction",
    }
    assert set(d.nodes_added) == {"LauncherFunction", "MonitorTask"}
    assert d.nodes_changed == ()
    text = "\n".join(d.summary)
    assert (
        "Removed: ConverterFunction (AWS::Lambda::Function), DetectorFunction "
        "(AWS::Lambda::Function), FramesBucket (AWS::S3::Bucket), MonitorStateMachine "
        "(AWS::StepFunctions::StateMachine)"
    ) in d.summary
    assert (
        "Added: LauncherFunction (AWS::Lambda::Function), MonitorTask (AWS::ECS::TaskDefinition)"
    ) in d.summary
    assert "Architecture: distributed -> single-service" in d.summary
    assert (
        "Findings: 0 new, 3 fixed (fan-out-reread, s3-as-bus, standard-workflow-per-item)" in text
    )
    assert not (d.ingress_added or d.ingress_removed or d.egress_added or d.egress_removed)
    assert {(e.source, e.target, e.kind) for e in d.edges_added} == {
        ("StartRule", "LauncherFunction", "triggers"),
        ("LauncherFunction", "MonitorTask", "invokes"),
        ("MonitorTask", "AlertsTopic", "writes"),
        ("MonitorTask", "ResultsBucket", "writes"),
    }
    assert len(d.findings_fixed) == 3 and d.findings_new == ()


def test_same_analysis_has_no_changes() -> None:
    d = diff_analyses(prime_before(), prime_before())
    assert not (
        d.nodes_added
        or d.nodes_removed
        or d.nodes_changed
        or d.edges_added
        or d.edges_removed
        or d.findings_new
        or d.findings_fixed
    )
    assert d.summary[0] == "Still serverless (johnston-2023): serverless"
    assert "Architecture unchanged: distributed" in d.summary


def _cdk(logical: str, memory: int, *, path: str = "App/Worker/Resource") -> Analysis:
    nodes = [
        node("JobsQueue1A2B3C4D", "AWS::SQS::Queue", "channel", 3, path="App/Jobs/Resource"),
        node(logical, "AWS::Lambda::Function", "compute", 10, path=path, MemorySize=memory),
        node("OutTopic5E6F7A8B", "AWS::SNS::Topic", "channel", 20, path="App/Out/Resource"),
    ]
    edges = [
        edge("JobsQueue1A2B3C4D", logical, "triggers", "EventSourceMapping", 12),
        edge(logical, "OutTopic5E6F7A8B", "writes", "IAM sns:Publish", 14),
    ]
    finding = Finding("sustained-work", "note", f"{logical} polls", (logical,), "t.json", 10)
    return analysis(
        nodes,
        edges,
        verdict(architecture="single-service"),
        ingress=("JobsQueue1A2B3C4D",),
        egress=("OutTopic5E6F7A8B",),
        findings=(finding,),
    )


def test_construct_path_turns_a_hash_change_into_a_change() -> None:
    d = diff_analyses(_cdk("WorkerFunctionA1B2C3D4", 512), _cdk("WorkerFunctionE5F6A7B8", 1024))
    assert d.nodes_added == () and d.nodes_removed == ()
    assert len(d.nodes_changed) == 1
    change = d.nodes_changed[0]
    assert change.id == "WorkerFunctionE5F6A7B8"
    assert change.changes == {
        "id": ("WorkerFunctionA1B2C3D4", "WorkerFunctionE5F6A7B8"),
        "properties.MemorySize": (512, 1024),
    }
    assert d.edges_added == () and d.edges_removed == ()
    assert d.findings_new == () and d.findings_fixed == ()
    assert (
        "Changed: WorkerFunctionE5F6A7B8 (id: WorkerFunctionA1B2C3D4 -> "
        "WorkerFunctionE5F6A7B8, properties.MemorySize: 512 -> 1024)"
    ) in d.summary
    report = diff_to_dict(d)["changes"]["nodes"]
    assert report == {
        "added": [],
        "removed": [],
        "changed": [
            {
                "id": "WorkerFunctionE5F6A7B8",
                "changes": {
                    "id": ["WorkerFunctionA1B2C3D4", "WorkerFunctionE5F6A7B8"],
                    "properties.MemorySize": [512, 1024],
                },
            }
        ],
        "not_analysed": [],
        "replaced": [],
    }


def test_different_construct_paths_stay_remove_and_add() -> None:
    d = diff_analyses(
        _cdk("WorkerFunctionA1B2C3D4", 512), _cdk("OtherFunction99", 512, path="App/Other/Resource")
    )
    assert d.nodes_removed == ("WorkerFunctionA1B2C3D4",)
    assert d.nodes_added == ("OtherFunction99",)
    assert len(d.edges_added) == 2 and len(d.edges_removed) == 2
    # the only function removed and the only one added in the stack: said as a possible
    # replacement (a new logical id), still removed and added
    assert d.nodes_replaced == (("WorkerFunctionA1B2C3D4", "OtherFunction99"),)
    assert diff_to_dict(d)["changes"]["nodes"]["replaced"] == [
        {"before": "WorkerFunctionA1B2C3D4", "after": "OtherFunction99"}
    ]


REPLACED = """
Resources:
  TABLE:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
  Queue:
    Type: AWS::SQS::Queue
"""


def test_a_new_logical_id_for_a_store_warns_of_replacement(tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    (tmp_path / "head").mkdir()
    (tmp_path / "base" / "t.yaml").write_text(REPLACED.replace("TABLE", "Orders"))
    (tmp_path / "head" / "t.yaml").write_text(REPLACED.replace("TABLE", "OrdersTable"))
    d = diff_analyses(scan([tmp_path / "base" / "t.yaml"]), scan([tmp_path / "head" / "t.yaml"]))
    assert d.nodes_removed == ("Orders",) and d.nodes_added == ("OrdersTable",)
    assert d.nodes_replaced == (("Orders", "OrdersTable"),)
    # two single files under different names are two versions of one stack
    (tmp_path / "before.yaml").write_text(REPLACED.replace("TABLE", "Orders"))
    (tmp_path / "after.yaml").write_text(REPLACED.replace("TABLE", "OrdersTable"))
    files = diff_analyses(scan([tmp_path / "before.yaml"]), scan([tmp_path / "after.yaml"]))
    assert files.nodes_replaced == (("Orders", "OrdersTable"),)
    assert (
        "Replaced? Orders -> OrdersTable (AWS::DynamoDB::Table, the only one removed and added "
        "in its stack): a new logical id makes CloudFormation create the new resource and "
        "delete the old one; a store's data does not move; keep the old id if it is a rename"
    ) in d.summary
    # two tables gone and one added: no pairing is guessed
    (tmp_path / "base" / "t.yaml").write_text(
        REPLACED.replace("TABLE", "Orders")
        + REPLACED.split("Resources:")[1].split("  Queue:")[0].replace("TABLE", "Carts")
    )
    d = diff_analyses(scan([tmp_path / "base" / "t.yaml"]), scan([tmp_path / "head" / "t.yaml"]))
    assert d.nodes_replaced == ()
    assert not [s for s in d.summary if s.startswith("Replaced?")]


def test_level_change_names_the_idle_costs() -> None:
    d = diff_analyses(prime_after(), prime_after_service())
    assert d.summary[0] == (
        "Still serverless (johnston-2023): serverless -> serverless-with-floor; paid while idle: "
        "MonitorService (container-floor): MinCapacity 2 of its ScalableTarget: two tasks run "
        "while idle"
    )
    assert d.nodes_changed == ()  # MonitorTask removed, MonitorService added: different ids


def test_stops_and_becomes_serverless() -> None:
    strict = replace(
        prime_after(), verdict=replace(prime_after().verdict, definition="johnston-2017")
    )
    floor = prime_after_service(serverless=False)
    floor = replace(floor, verdict=replace(floor.verdict, definition="johnston-2017"))
    stops = diff_analyses(strict, floor).summary[0]
    assert stops.startswith(
        "Stops being serverless (johnston-2017): serverless -> "
        "serverless-with-floor; paid while idle: MonitorService"
    )
    becomes = diff_analyses(floor, strict).summary[0]
    assert becomes == (
        "Becomes serverless (johnston-2017): serverless-with-floor -> serverless; "
        "nothing is paid for while idle any more"
    )


def test_undecided_after_lists_what_is_missing() -> None:
    after = prime_after_service("indeterminate", None)
    cases = replace(
        after.verdict,
        cases=Cases("serverless-with-floor", "not-serverless", ("LaunchType of MonitorService",)),
    )
    d = diff_analyses(prime_after(), replace(after, verdict=cases))
    assert d.summary[0].startswith(
        "Serverless verdict becomes undecided (johnston-2023): serverless -> indeterminate"
    )
    assert d.summary[0].endswith("undecided until known: LaunchType of MonitorService")


def test_boundary_change_is_said() -> None:
    after = prime_after()
    after = replace(
        after,
        boundary=replace(
            after.boundary, egress=("AlertsTopic",), ingress=("StartRule", "ApiGateway")
        ),
    )
    d = diff_analyses(prime_before(), after)
    assert d.ingress_added == ("ApiGateway",) and d.egress_removed == ("ResultsBucket",)
    assert (
        "Boundary changed: ingress added {ApiGateway}; egress removed {ResultsBucket} "
        "(now ingress {ApiGateway, StartRule}, egress {AlertsTopic})"
    ) in d.summary


def test_findings_keyed_by_rule_and_sorted_resources() -> None:
    before = prime_before()
    moved = tuple(
        Finding(
            f.rule,
            f.severity,
            f.message + " (reworded)",
            tuple(reversed(f.resources)),
            f.file,
            (f.line or 0) + 40,
        )
        for f in before.findings
    )
    extra = Finding("functions-calling-functions", "warning", "A calls B", ("A", "B"), "t", 1)
    d = diff_analyses(before, replace(before, findings=(*moved[1:], extra)))
    assert d.findings_new == (extra,)
    assert [f.rule for f in d.findings_fixed] == ["standard-workflow-per-item"]
    assert (
        "Findings: 1 new (functions-calling-functions), 1 fixed (standard-workflow-per-item)"
    ) in d.summary


def test_errors_make_the_summary_careful() -> None:
    broken = replace(prime_after(), errors=(InputError("x.yaml", 1, "parse", "bad", "fix"),))
    d = diff_analyses(prime_before(), broken)
    assert d.summary[-1] == "Incomplete: the after side has 1 error(s); this diff may miss changes"


def test_diff_json_contract() -> None:
    data = json.loads(json.dumps(diff_to_dict(diff_analyses(prime_before(), prime_after()))))
    assert list(data) == ["schema_version", "before", "after", "changes", "summary"]
    changes = data["changes"]
    assert list(changes) == ["nodes", "edges", "boundary", "verdict", "findings", "systems"]
    assert changes["systems"] == []  # one system on each side
    assert changes["boundary"] == {
        "ingress": {"added": [], "removed": []},
        "egress": {"added": [], "removed": []},
    }
    assert set(changes["verdict"]) == {"before", "after"}
    assert set(changes["findings"]) == {"new", "fixed"}
    assert data["before"]["schema_version"] == 1 and data["after"]["verdict"]["level"]


def test_diff_markdown_marker_summary_and_diagram() -> None:
    text = render_diff_markdown(diff_analyses(prime_before(), prime_after()))
    lines = text.splitlines()
    assert lines[0] == "<!-- iacscan-report -->"
    assert "- Still serverless &#40;" not in text and "- Still serverless (johnston-2023)" in text
    assert "| ➖ removed | node | MonitorStateMachine | AWS::StepFunctions::StateMachine |" in lines
    assert "class n2,n3,n4,n6 removed" in text and "class n5,n7 added" in text


def test_diff_markdown_cap_on_huge_topologies() -> None:
    d = diff_analyses(huge(2000, prefix="Old"), huge(2500, prefix="New"))
    assert len(d.summary[2]) < 2000  # "Removed: ..." names 25 nodes, then counts the rest
    assert len(render_diff_markdown(d)) > MAX_CHARS  # files and stdout are never cut
    text = render_diff_markdown(d, MAX_CHARS)  # a pull request comment is
    assert len(text) <= MAX_CHARS
    assert text.splitlines()[0] == "<!-- iacscan-report -->"
    note = text.rstrip().splitlines()[-1]
    assert note.startswith("_Cut to stay under 65,536 characters: removed the collapsible details")
    assert "the diagram" in note and "rows after the first" in note


# --------------------------------------------------------------------------- --base-ref


def _repo_with(tmp_path: Path, files: dict[str, Path]) -> Path:
    import shutil

    repo = tmp_path / "repo"
    (repo / "infra").mkdir(parents=True)
    for name, source in files.items():
        shutil.copy(source, repo / "infra" / name)
    git_repo(repo)
    return repo


def _diff_json(cwd: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    p = run_cli("diff", *args, "-f", "json", cwd=cwd)
    return p.returncode, (json.loads(p.stdout) if p.stdout.strip() else {}), p.stderr


def test_base_ref_with_a_path_the_change_deletes(tmp_path: Path) -> None:
    """A pull request deletes a template it lists: the head side is empty for it, not an
    error; the repository is the one the paths are in, whatever the working directory."""
    repo = _repo_with(
        tmp_path,
        {
            "before.yaml": T / "prime-video-before.yaml",
            "storage.yaml": T / "storage-only.yaml",
        },
    )
    (repo / "infra" / "before.yaml").unlink()
    code, data, err = _diff_json(
        tmp_path,  # not the repository
        "--base-ref",
        "HEAD",
        str(repo / "infra" / "before.yaml"),
        str(repo / "infra" / "storage.yaml"),
    )
    assert code == 0, err
    removed = set(data["changes"]["nodes"]["removed"])
    assert "before/MonitorStateMachine" in removed and "before/FramesBucket" in removed
    assert data["changes"]["nodes"]["added"] == []


def test_base_ref_names_the_revisions_files_as_in_the_work_tree(tmp_path: Path) -> None:
    """The base side is extracted into a temporary folder; the report (evidence, inputs,
    errors) names its files where they are in the repository, as the head side's are."""
    repo = _repo_with(tmp_path, {"before.yaml": T / "prime-video-before.yaml"})
    (repo / "infra" / "broken.yaml").write_text("Resources: [unclosed\n")
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(
        ["git", "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "broken"],
        cwd=repo,
        check=True,
    )
    for args in (
        ("--base-ref", "HEAD", "infra"),
        ("--base-ref", "HEAD", "--head-ref", "HEAD", "infra"),
    ):
        p = run_cli("diff", *args, "-f", "json", cwd=repo)
        assert "iacscan-diff-" not in p.stdout + p.stderr, (p.stdout + p.stderr)[:2000]
        files = {
            v["file"] for e in json.loads(p.stdout)["before"]["topology"]["edges"] for v in e["via"]
        }
        assert files == {"infra/before.yaml"}
        assert "error: infra/broken.yaml" in p.stderr


def test_base_ref_with_a_path_missing_on_both_sides_is_an_error(tmp_path: Path) -> None:
    repo = _repo_with(tmp_path, {"storage.yaml": T / "storage-only.yaml"})
    code, _, err = _diff_json(repo, "--base-ref", "HEAD", "infra/typo.yaml")
    assert code == 3 and "no such file or folder" in err and "Traceback" not in err


def test_base_ref_copy_of_a_typescript_cdk_app_borrows_node_modules(
    tmp_path: Path, monkeypatch: Any
) -> None:
    from iacscan.load.gitrev import materialize

    repo = tmp_path / "repo"
    app = repo / "cdk"
    (app / "node_modules" / "aws-cdk-lib").mkdir(parents=True)
    (app / "cdk.json").write_text('{"app": "npx ts-node bin/app.ts"}')
    (repo / ".gitignore").write_text("node_modules/\n")

    git_repo(repo)
    monkeypatch.chdir(tmp_path)
    out = materialize("HEAD", [str(app)], tmp_path / "base")
    copy = Path(out[str(app)])
    assert (copy / "cdk.json").is_file()
    assert (copy / "node_modules").is_symlink()
    assert (copy / "node_modules").resolve() == (app / "node_modules").resolve()


# A SAM template whose state machine definition lives beside the folder the diff is asked for
# (scan_helpers.sibling_definition): the base side reads it at the base revision, as the head
# side reads it in the work tree.
_asl = asl_sending_to


def _repo_with_sibling_definition(tmp_path: Path) -> Path:
    repo = sibling_definition(tmp_path / "repo")
    git_repo(repo)
    return repo


def _edges(side: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(e["source"], e["target"], e["kind"]) for e in side["topology"]["edges"]}


def test_base_ref_reads_a_file_outside_the_paths_at_the_base_revision(tmp_path: Path) -> None:
    repo = _repo_with_sibling_definition(tmp_path)
    # unchanged: both sides read the definition, neither has an error, nothing moves
    code, data, err = _diff_json(repo, "--base-ref", "HEAD", "infra", "--no-cache")
    assert code == 0, err
    assert data["before"]["errors"] == [] and data["after"]["errors"] == []
    assert _edges(data["before"]) == _edges(data["after"]) == {("Machine", "Topic", "writes")}
    assert data["before"]["verdict"]["level"] == data["after"]["verdict"]["level"] == "serverless"
    assert data["changes"]["edges"]["added"] == data["changes"]["edges"]["removed"] == []
    # the pull request changes only the definition (the folder asked for is unchanged): the base
    # side still reads the base revision's definition, so the diff shows the new target
    sibling_definition(repo, "Queue")
    code, data, err = _diff_json(repo, "--base-ref", "HEAD", "infra", "--no-cache")
    assert code == 0, err
    assert _edges(data["before"]) == {("Machine", "Topic", "writes")}
    assert _edges(data["after"]) == {("Machine", "Queue", "writes")}


def test_base_ref_fetches_only_regular_files_of_the_revision_inside_it(tmp_path: Path) -> None:
    """What the base side may fetch: a regular file of the revision, inside the repository
    (through its links that stay inside, as the head side reads them). A file the revision
    lacks, a link out of it, a path outside and a folder stay missing."""
    from iacscan.load import gitrev

    repo = _repo_with_sibling_definition(tmp_path)
    (repo / "definitions" / "link.json").symlink_to("machine.asl.json")
    (repo / "definitions" / "out.json").symlink_to("../../elsewhere.json")
    (tmp_path / "elsewhere.json").write_text("{}")
    (repo / "definitions" / "sub").mkdir()
    (repo / "definitions" / "sub" / "x.json").write_text("{}")
    git_repo(repo)  # a second commit with the link and the folder
    dest = tmp_path / "base"
    out = gitrev.materialize("HEAD", [str(repo / "infra")], dest)
    assert set(out) == {str(repo / "infra")}
    assert not (dest / "definitions").exists()  # only the paths asked for are extracted
    base = dest.resolve()
    assert gitrev.fetch(base / "definitions" / "machine.asl.json", 1 << 20)
    assert (base / "definitions" / "machine.asl.json").read_text() == _asl("sns:publish")
    assert gitrev.fetch(base / "definitions" / "link.json", 1 << 20)  # a link inside: its target
    assert not (base / "definitions" / "link.json").is_symlink()
    assert (base / "definitions" / "link.json").read_text() == _asl("sns:publish")
    assert not gitrev.fetch(base / "definitions" / "out.json", 1 << 20)  # a link out
    assert not gitrev.fetch(base / "definitions" / "sub", 1 << 20)  # a folder
    assert not gitrev.fetch(base / "definitions" / "absent.json", 1 << 20)
    assert not gitrev.fetch(tmp_path / "elsewhere.json", 1 << 20)  # not in a revision's folder
    assert not gitrev.fetch(base / "definitions" / "sub" / "x.json", 1)  # over the size given
    assert not (base / "definitions" / "out.json").exists()
    assert (tmp_path / "elsewhere.json").read_text() == "{}"


def test_base_ref_follows_the_revisions_links_inside_it_as_the_head_side_does(
    tmp_path: Path,
) -> None:
    """The head side reads a definition through a link in the work tree (a linked file, a
    linked folder) when the link stays in the repository; the base side reads the same files
    at the base revision, so an unchanged pull request changes nothing."""
    repo = tmp_path / "repo"
    (repo / "infra").mkdir(parents=True)
    (repo / "shared").mkdir()
    (repo / "definitions").mkdir()
    (repo / "shared" / "machine.asl.json").write_text(_asl("sns:publish"))
    (repo / "definitions" / "machine.asl.json").symlink_to("../shared/machine.asl.json")
    (repo / "linked").symlink_to("shared", target_is_directory=True)
    (repo / "infra" / "sam.yaml").write_text(SIBLING_DEFINITION.format(target="Topic"))
    (repo / "infra" / "via_folder.yaml").write_text(
        SIBLING_DEFINITION.format(target="Topic").replace(
            "../definitions/machine.asl.json", "../linked/machine.asl.json"
        )
    )
    git_repo(repo)
    code, data, err = _diff_json(repo, "--base-ref", "HEAD", "infra", "--no-cache")
    assert code == 0, err
    assert data["before"]["errors"] == [] and data["after"]["errors"] == []
    assert _edges(data["after"]) == {
        ("sam/Machine", "sam/Topic", "writes"),
        ("via_folder/Machine", "via_folder/Topic", "writes"),
    }
    assert _edges(data["before"]) == _edges(data["after"])
    assert data["changes"]["edges"]["added"] == data["changes"]["edges"]["removed"] == []


def test_base_ref_fetch_never_writes_through_a_link_the_revision_holds(tmp_path: Path) -> None:
    """A fetched file is written under a name nothing in the extracted revision can hold: a
    link the revision placed beside it (named as a temporary file would be) is not followed to
    overwrite another file of the revision."""
    import os

    from iacscan.load import gitrev

    repo = _repo_with_sibling_definition(tmp_path)
    (repo / "definitions" / "victim.json").write_text('{"kept": true}')
    git_repo(repo)
    dest = tmp_path / "base"
    # the paths asked for hold the victim, not the definition beside it
    gitrev.materialize("HEAD", [str(repo / "infra"), str(repo / "definitions/victim.json")], dest)
    base = dest.resolve()
    assert not (base / "definitions" / "machine.asl.json").exists()  # to be fetched
    # a link such as the revision could hold, named as a predictable temporary file would be
    (base / "definitions" / f".machine.asl.json.{os.getpid()}.partial").symlink_to("victim.json")
    assert gitrev.fetch(base / "definitions" / "machine.asl.json", 1 << 20)
    assert (base / "definitions" / "victim.json").read_text() == '{"kept": true}'
    fetched = base / "definitions" / "machine.asl.json"
    assert not fetched.is_symlink()
    assert fetched.read_text() == _asl("sns:publish")


def test_base_ref_fetches_up_to_the_file_size_limit_given(tmp_path: Path) -> None:
    """--max-file-size bounds what the base side fetches as it bounds what either side reads:
    a nested template over the default limit but under the one given is read on both sides."""
    repo = tmp_path / "repo"
    (repo / "infra").mkdir(parents=True)
    (repo / "nested").mkdir()
    (repo / "infra" / "root.yaml").write_text(
        "Resources:\n"
        "  Child:\n"
        "    Type: AWS::CloudFormation::Stack\n"
        "    Properties:\n"
        "      TemplateURL: ../nested/child.yaml\n"
    )
    padding = "#" + "x" * (21 * 1024 * 1024) + "\n"  # over the default 20 MiB
    (repo / "nested" / "child.yaml").write_text(
        "Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n" + padding
    )
    git_repo(repo)
    code, data, err = _diff_json(
        repo, "--base-ref", "HEAD", "infra", "--no-cache", "--max-file-size", str(32 << 20)
    )
    assert code == 0, err
    assert data["before"]["errors"] == [] and data["after"]["errors"] == []
    after = {n["id"] for n in data["after"]["topology"]["nodes"]}
    assert any(i.endswith("Queue") for i in after)
    assert {n["id"] for n in data["before"]["topology"]["nodes"]} == after


def test_base_ref_fetches_are_bounded_and_end_with_the_diff(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """One blob may stand under many names at no cost to a revision: what is written into an
    extracted revision is bounded in bytes as well as in files. A revision forgotten (its folder
    removed with the diff's) is fetched into no more."""
    from iacscan.load import gitrev

    repo = tmp_path / "repo"
    (repo / "infra").mkdir(parents=True)
    (repo / "infra" / "t.yaml").write_text("Resources: {}\n")
    for i in range(4):
        (repo / f"copy{i}.json").write_text("x" * 1000)
    git_repo(repo)
    monkeypatch.setattr(gitrev, "FETCH_BYTES", 2500)
    dest = tmp_path / "base"
    gitrev.materialize("HEAD", [str(repo / "infra")], dest)
    base = dest.resolve()
    try:
        assert gitrev.fetch(base / "copy0.json", 1 << 20)
        assert gitrev.fetch(base / "copy1.json", 1 << 20)
        assert not gitrev.fetch(base / "copy2.json", 1 << 20)  # 3,000 bytes would pass 2,500
        assert not (base / "copy2.json").exists()
    finally:
        gitrev.forget(dest)
    assert gitrev.tree_of(base / "copy3.json") is None
    assert not gitrev.fetch(base / "copy3.json", 1 << 20)  # not a revision's folder any more
    again = tmp_path / "again"
    gitrev.materialize("HEAD", [str(repo / "infra")], again)
    try:  # a new revision folder starts with the whole budget
        assert gitrev.fetch(again.resolve() / "copy2.json", 1 << 20)
    finally:
        gitrev.forget(again)


def test_base_ref_links_are_made_last_and_must_lead_inside(tmp_path: Path) -> None:
    """The revision's links are made after its files (no file of the archive is written through
    one), and each must lead inside the folder once all exist: a chain that leaves it only
    through another link (what Python's data_filter, checking each link alone, let past before
    3.11.13) is removed and named; a hard link is refused."""
    import tarfile

    from iacscan.load.gitrev import _make_links

    dest = tmp_path / "base"
    (dest / "x" / "y").mkdir(parents=True)
    (dest / "x" / "y" / "f.json").write_text("{}")

    def link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.type = kind
        info.linkname = target
        return info

    refused = _make_links(
        dest,
        [
            link("p", "x/y"),  # inside
            link("q", "p/f.json"),  # inside, through p
            link("r", "p/../../.."),  # x/y/../../.. : out, only once p exists
            link("h", "x/y/f.json", tarfile.LNKTYPE),  # a hard link
        ],
    )
    assert sorted(refused) == ["h", "r"]
    assert (dest / "q").read_text() == "{}"
    assert (dest / "p").is_symlink() and not os.path.lexists(dest / "r")
    assert not os.path.lexists(dest / "h")


# A CDK app in infra/ that reads a file elsewhere in the repository when it synthesizes (as
# Code.from_asset("../services/x") or an import of shared code does): the base side of a diff
# needs that file at the base revision too.
SIBLING_READING_APP = """\
with open(os.path.join("..", "services", "queue-name.txt")) as f:
    RESOURCES.append(f.read().strip())
synth()
"""


def _repo_with_cdk_app(tmp_path: Path) -> Path:
    from untrusted_helpers import cdk_app

    repo = tmp_path / "repo"
    cdk_app(repo / "infra", SIBLING_READING_APP)
    (repo / "services").mkdir()
    (repo / "services" / "queue-name.txt").write_text("OrdersQueue\n")
    (repo / "docs").mkdir()
    (repo / "docs" / "big.bin").write_bytes(b"x" * 4096)
    git_repo(repo)
    return repo


@pytest.mark.parametrize("cache", [False, True], ids=["no-cache", "cache"])
def test_base_ref_extracts_the_whole_repository_for_a_cdk_app(tmp_path: Path, cache: bool) -> None:
    """The pull request changes only a file the app reads outside its folder. The base side
    synthesizes from the whole base revision; the app folder being the same on both sides, a
    cached assembly of one side must not stand for the other (the key holds the revision's
    tree), in the first run or in the next."""
    from untrusted_helpers import iacscan

    repo = _repo_with_cdk_app(tmp_path)
    (repo / "services" / "queue-name.txt").write_text("InvoicesQueue\n")  # the pull request

    def queues(side: dict[str, Any]) -> set[str]:
        return {n["id"].rsplit("/", 1)[-1] for n in side["topology"]["nodes"]}

    flags = [] if cache else ["--no-cache"]
    for _ in range(2 if cache else 1):
        result = iacscan(
            "diff", "--base-ref", "HEAD", "infra", "-f", "json", *flags,
            cwd=repo, cache=tmp_path / "cache",
        )  # fmt: skip
        assert result.code == 0, result.stderr
        data = result.report
        assert data["before"]["errors"] == [] and data["after"]["errors"] == []
        assert queues(data["before"]) == {"AppQueue", "OrdersQueue"}
        assert queues(data["after"]) == {"AppQueue", "InvoicesQueue"}


def test_base_ref_of_a_cdk_app_in_a_repository_too_big_to_extract_says_so(
    tmp_path: Path, monkeypatch: Any
) -> None:
    from iacscan.load import gitrev

    repo = _repo_with_cdk_app(tmp_path)
    monkeypatch.setattr(gitrev, "WHOLE_TREE_BYTES", 1024)  # docs/big.bin alone is 4 KiB
    dest = tmp_path / "base"
    try:
        out = gitrev.materialize("HEAD", [str(repo / "infra")], dest)
        assert set(out) == {str(repo / "infra")}
        assert (dest / "infra" / "cdk.json").is_file()
        assert not (dest / "services").exists()  # only the path asked for
        (note,) = gitrev.notes(dest)
        assert "over the 1,024 bytes" in note and "only infra was extracted" in note
        assert "files the app reads elsewhere in the repository" in note
    finally:
        gitrev.forget(dest)
    assert gitrev.notes(dest) == []
    # a plain template's folder is never extracted whole
    plain = _repo_with_sibling_definition(tmp_path / "plain")
    other = tmp_path / "plain-base"
    try:
        gitrev.materialize("HEAD", [str(plain / "infra")], other)
        assert not (other / "definitions").exists()
    finally:
        gitrev.forget(other)


def test_base_ref_of_a_cdk_app_ignores_links_out_elsewhere_in_the_repository(
    tmp_path: Path,
) -> None:
    """The whole repository is extracted for a CDK app's base side, but only the paths asked
    for must be free of links out: a link out elsewhere (``tools/python -> /usr/bin/python3``,
    a relative one climbing out) is left out with a note, not an error that fails the diff of a
    repository the head side scans without complaint. A link out inside the paths still is."""
    from iacscan.errors import UnsupportedInput
    from iacscan.load import gitrev
    from untrusted_helpers import cdk_app

    repo = tmp_path / "repo"
    cdk_app(repo / "infra", "synth()\n")
    (repo / "tools").mkdir()
    os.symlink("/usr/bin/python3", repo / "tools" / "python")
    os.symlink("../..", repo / "tools" / "up")
    git_repo(repo)
    dest = tmp_path / "base"
    try:
        out = gitrev.materialize("HEAD", [str(repo / "infra")], dest)
        assert set(out) == {str(repo / "infra")}
        assert (dest / "infra" / "cdk.json").is_file()
        assert not os.path.lexists(dest / "tools" / "python")
        assert not os.path.lexists(dest / "tools" / "up")
        (note,) = gitrev.notes(dest)
        assert "tools/python" in note and "tools/up" in note and "not extracted" in note
    finally:
        gitrev.forget(dest)
    os.symlink("/etc", repo / "infra" / "etc")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "a link out in the app"], check=True)
    other = tmp_path / "base2"
    try:
        with pytest.raises(UnsupportedInput, match="infra/etc is a link out"):
            gitrev.materialize("HEAD", [str(repo / "infra")], other)
    finally:
        gitrev.forget(other)


def test_base_ref_extraction_ignores_export_attributes(tmp_path: Path) -> None:
    """The folder stands for the repository at the revision, as a checkout would: an
    ``export-ignore`` (common in .gitattributes to slim release archives) must not drop the
    files a CDK app reads beside it, or an unchanged repository diffs as "everything added"."""
    from iacscan.load import gitrev

    repo = _repo_with_cdk_app(tmp_path)
    (repo / ".gitattributes").write_text(
        "/services export-ignore\n/infra/version.txt export-subst\n"
    )
    (repo / "infra" / "version.txt").write_text("$Format:%H$\n")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "slim archives"], check=True)
    dest = tmp_path / "base"
    try:
        gitrev.materialize("HEAD", [str(repo / "infra")], dest)
        assert (dest / "services" / "queue-name.txt").read_text() == "OrdersQueue\n"
        assert (dest / "infra" / "version.txt").read_text() == "$Format:%H$\n"  # as checked out
        assert (dest / ".gitattributes").is_file()
    finally:
        gitrev.forget(dest)
    # the repository's own configuration is untouched
    assert (
        not (repo / ".git" / "info" / "attributes").exists()
        or "export" not in (repo / ".git" / "info" / "attributes").read_text()
    )


def test_base_ref_keeps_a_link_inside_that_climbs_through_a_folder_link(tmp_path: Path) -> None:
    """``infra/b -> a/../../../infra/z`` with ``infra/a -> x/y`` stays inside (the work tree
    and git both follow it there); its target is judged once every link exists, not spelled
    out before ``a`` is made (where ``a/../../..`` looks like a way out)."""
    from iacscan.load import gitrev

    repo = tmp_path / "repo"
    (repo / "infra" / "x" / "y").mkdir(parents=True)
    (repo / "infra" / "x" / "y" / "f.txt").write_text("git keeps no empty folder")
    (repo / "infra" / "z").mkdir()
    (repo / "infra" / "z" / "t.json").write_text("{}")
    os.symlink("x/y", repo / "infra" / "a")
    os.symlink("a/../../../infra/z", repo / "infra" / "b")
    assert (repo / "infra" / "b" / "t.json").is_file()
    git_repo(repo)
    dest = tmp_path / "base"
    try:
        gitrev.materialize("HEAD", [str(repo / "infra")], dest)
        assert (dest / "infra" / "b" / "t.json").read_text() == "{}"
    finally:
        gitrev.forget(dest)


def test_base_ref_extraction_details(tmp_path: Path) -> None:
    """Without synthesis (``--no-synth``) a CDK app's paths come alone; a revision's committed
    ``node_modules`` link that leads nowhere is left as it is (the head's is not borrowed over
    it, and the extraction does not fail); a revision folder removed without ``forget`` (a diff
    that failed) is dropped at the next extraction."""
    import shutil

    from iacscan.load import gitrev

    repo = _repo_with_cdk_app(tmp_path)
    os.symlink("missing-modules", repo / "infra" / "node_modules")
    git_repo(repo)
    (repo / "infra" / "node_modules").unlink()  # the work tree has it installed
    (repo / "infra" / "node_modules" / "aws-cdk-lib").mkdir(parents=True)
    first = tmp_path / "first"
    gitrev.materialize("HEAD", [str(repo / "infra")], first, whole_for_cdk=False)
    assert not (first / "services").exists()  # the paths alone
    modules = first / "infra" / "node_modules"
    assert modules.is_symlink() and os.readlink(modules) == "missing-modules"
    shutil.rmtree(first)  # gone, never forgotten
    assert gitrev.tree_of(first.resolve() / "x") is not None
    second = tmp_path / "second"
    try:
        gitrev.materialize("HEAD", [str(repo / "infra")], second)
        assert (second / "services" / "queue-name.txt").is_file()  # whole, for the app
        assert gitrev.tree_of(first.resolve() / "x") is None
    finally:
        gitrev.forget(second)


def test_base_ref_of_a_partial_clone_is_archived_as_it_is(tmp_path: Path) -> None:
    """A partial clone fetches missing objects through its own configuration, which a borrowing
    repository would not have: it is archived plainly (its export attributes then apply)."""
    from iacscan.load import gitrev

    repo = _repo_with_cdk_app(tmp_path)
    (repo / ".gitattributes").write_text("/services export-ignore\n")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "slim archives"], check=True)
    subprocess.run([*git, "config", "extensions.partialClone", "origin"], check=True)
    dest = tmp_path / "base"
    try:
        gitrev.materialize("HEAD", [str(repo / "infra")], dest)
        assert (dest / "infra" / "cdk.json").is_file()
        assert not (dest / "services").exists()
    finally:
        gitrev.forget(dest)


def test_text_diff_shows_what_only_the_head_run_says(tmp_path: Path) -> None:
    """A nested template matched by its file name is said in the text diff, as in Markdown."""
    for side in ("base", "head"):
        (tmp_path / side).mkdir()
        (tmp_path / side / "root.yaml").write_text("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n")
    (tmp_path / "head" / "root.yaml").write_text(
        "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n  Child:\n"
        "    Type: AWS::CloudFormation::Stack\n"
        "    Properties: {TemplateURL: 'https://s3.amazonaws.com/bucket/child.yaml'}\n"
    )
    (tmp_path / "head" / "child.yaml").write_text("Resources:\n  T:\n    Type: AWS::SNS::Topic\n")
    p = run_cli("diff", "base", "head", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    notes = " ".join(p.stdout.split("Notes (after)\n", 1)[1].split())  # lines are wrapped
    assert notes.startswith(
        "- nested stack Child: its TemplateURL is remote or filled at deploy time; "
        "head/child.yaml (beside the including template) has the same file name, child.yaml, "
        "and was loaded as its template (head/root.yaml:5)"
    )


def test_a_property_that_appears_is_unset_before_in_every_renderer() -> None:
    from iacscan.render.text import render_diff_text

    def one(**props: str | int | None) -> Analysis:
        fn = node("Worker", "AWS::ECS::TaskDefinition", "compute", 3, **props)
        return analysis([fn], [], verdict())

    d = diff_analyses(one(), one(launch_type="FARGATE"))
    assert "Changed: Worker (properties.launch_type: unset -> FARGATE)" in d.summary
    text = render_diff_text(d, color=False)
    assert "~ Worker: properties.launch_type: unset -> FARGATE" in text
    assert "properties.launch&#95;type: unset → FARGATE |" in render_diff_markdown(d)
    assert "None" not in text


QUEUE_STACK = """
Resources:
  Jobs:
    Type: AWS::SQS::Queue
Outputs:
  JobsArn:
    Value: !GetAtt Jobs.Arn
    Export: {Name: jobs-arn}
"""
WORKER_STACK = """
Resources:
  Worker:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Code: {ZipFile: "def handler(e, c): pass"}
      Role: arn:aws:iam::123456789012:role/worker
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties: {FunctionName: !Ref Worker, EventSourceArn: SOURCE}
"""


def test_systems_linked_or_unlinked_by_a_change_are_one_sentence(tmp_path: Path) -> None:
    for side, source in (
        ("base", "arn:aws:sqs:us-east-1:123456789012:other"),
        ("head", "!ImportValue jobs-arn"),
    ):
        (tmp_path / side).mkdir()
        (tmp_path / side / "queue.yaml").write_text(QUEUE_STACK)
        (tmp_path / side / "worker.yaml").write_text(WORKER_STACK.replace("SOURCE", source))
    base, head = scan([tmp_path / "base"]), scan([tmp_path / "head"])
    assert {s.name for s in base.systems} == {"queue", "worker"} and not head.systems
    joined = diff_analyses(base, head)
    assert [(c.name, c.before, c.parts) for c in joined.systems_changed] == [
        ("queue + worker", None, ("queue", "worker"))
    ]
    assert joined.summary[1] == (
        "Systems queue and worker are now linked into one system (queue + worker): "
        f"{head.verdict.level}, {head.verdict.architecture}"
    )
    assert diff_to_dict(joined)["changes"]["systems"][0]["parts"] == ["queue", "worker"]
    split = diff_analyses(head, base)
    assert [(c.name, c.after, c.parts) for c in split.systems_changed] == [
        ("queue + worker", None, ("queue", "worker"))
    ]
    assert split.summary[1].startswith(
        "System queue + worker is now 2 unlinked systems: queue and worker (was "
    )
