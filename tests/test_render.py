"""Renderers: golden snapshots, the JSON and SARIF contracts, injection and the Markdown cap."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from builders import EVIL, evil, huge, prime_after, prime_before
from golden import assert_snapshot
from iacscan.diff import diff_analyses
from iacscan.render.dot import render_dot
from iacscan.render.json_report import analysis_to_dict, render_diff_json, render_json
from iacscan.render.markdown import render_diff_markdown, render_markdown
from iacscan.render.mdblocks import MAX_CHARS
from iacscan.render.mermaid import render_mermaid
from iacscan.render.sarif import RuleDoc, render_sarif
from iacscan.render.text import render_diff_text, render_text

SCHEMA_NAME = "sarif-schema-2.1.0.json"
ROOT = Path(__file__).resolve().parent.parent
# Vendored with its notice (tests/data/sarif-schema-2.1.0.NOTICE.md): no network, any clone.
SARIF_SCHEMA = Path(__file__).resolve().parent / "data" / SCHEMA_NAME
RULES = (
    RuleDoc(
        "standard-workflow-per-item",
        "StandardWorkflowPerItem",
        "Standard Step Functions doing per-item work",
        "Billed per state transition.",
        "Use EXPRESS.",
        "https://example.invalid/rules#standard-workflow-per-item",
        "warning",
    ),
    RuleDoc(
        "s3-as-bus",
        "S3AsBus",
        "S3 between compute steps",
        "Tier-1 requests.",
        "Co-locate producer and consumer.",
        "",
        "warning",
    ),
)


# ----------------------------------------------------------------------------- snapshots


@pytest.mark.parametrize(
    ("name", "render"),
    [
        ("prime_before.json", lambda: render_json(prime_before())),
        ("prime_before.md", lambda: render_markdown(prime_before())),
        ("prime_before.mmd", lambda: render_mermaid(prime_before().topology)),
        ("prime_before.dot", lambda: render_dot(prime_before().topology)),
        ("prime_before.txt", lambda: render_text(prime_before(), color=False)),
        ("prime_after.txt", lambda: render_text(prime_after(), color=False)),
        (
            "prime_diff.md",
            lambda: render_diff_markdown(diff_analyses(prime_before(), prime_after())),
        ),
        ("prime_diff.json", lambda: render_diff_json(diff_analyses(prime_before(), prime_after()))),
        (
            "prime_diff.txt",
            lambda: render_diff_text(diff_analyses(prime_before(), prime_after()), color=False),
        ),
    ],
)
def test_golden(name: str, render: Any) -> None:
    assert_snapshot(name, render())


# ----------------------------------------------------------------------------- JSON


def test_json_contract_keys_and_order() -> None:
    report = json.loads(render_json(prime_before()))
    assert list(report) == [
        "schema_version",
        "tool",
        "inputs",
        "verdict",
        "topology",
        "boundary",
        "findings",
        "errors",
        "notes",
    ]
    assert report["schema_version"] == 1
    assert report["tool"] == {"name": "iacscan", "version": "0.0.0-test"}
    assert set(report["verdict"]) == {
        "definition",
        "serverless",
        "level",
        "scales_to_zero",
        "monolith",
        "architecture",
        "summary",
        "criteria",
        "idle_costs",
        "cases",
        "warnings",
        "architecture_reasons",
    }
    ids = [n["id"] for n in report["topology"]["nodes"]]
    assert ids == sorted(ids)
    keys = [(e["source"], e["target"], e["kind"]) for e in report["topology"]["edges"]]
    assert keys == sorted(keys)
    assert set(report["topology"]["nodes"][0]) == {
        "id",
        "label",
        "type",
        "role",
        "stack",
        "file",
        "line",
        "path",
        "deploy_time",
        "properties",
    }
    assert set(report["topology"]["edges"][0]["via"][0]) == {"what", "file", "line", "weak"}
    assert set(report["findings"][0]) == {
        "rule",
        "severity",
        "message",
        "resources",
        "file",
        "line",
    }
    assert report["verdict"]["cases"] is None
    evidence = report["verdict"]["criteria"][1]["evidence"][0]
    assert evidence["default"] is True and evidence["line"] == 30


def test_json_internal_errors_and_notes() -> None:
    report = analysis_to_dict(evil())
    assert [e["kind"] for e in report["errors"]] == ["parse", "internal"]
    assert set(report["errors"][0]) == {"file", "line", "kind", "message", "hint"}
    assert report["notes"] == [EVIL]
    assert report["verdict"]["cases"] == {
        "best": "serverless",
        "worst": "not-serverless",
        "missing": [EVIL],
    }


def test_json_keeps_hostile_values_exact() -> None:
    text = render_json(evil())
    assert "\x1b" not in text and "\n%%" not in text  # escaped by JSON, not dropped
    report = json.loads(text)
    assert f"{EVIL}Fn" in {n["id"] for n in report["topology"]["nodes"]}
    assert report["verdict"]["summary"] == EVIL
    json.loads(render_diff_json(diff_analyses(evil(), prime_after())))


# ----------------------------------------------------------------------------- SARIF


def _validate_sarif(text: str) -> dict[str, Any]:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    log: dict[str, Any] = json.loads(text)
    validator = jsonschema.validators.validator_for(schema)
    validator(schema, format_checker=jsonschema.FormatChecker()).validate(log)
    return log


def test_sarif_valid_with_findings_and_rules() -> None:
    log = _validate_sarif(render_sarif(prime_before(), RULES))
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "iacscan" and driver["version"] == "0.0.0-test"
    rule_ids = [r["id"] for r in driver["rules"]]
    assert rule_ids[:2] == ["standard-workflow-per-item", "s3-as-bus"]
    assert "fan-out-reread" in rule_ids  # undocumented rule still gets a descriptor
    results = run["results"]
    assert {r["ruleId"] for r in results} == {
        "standard-workflow-per-item",
        "s3-as-bus",
        "fan-out-reread",
    }
    for r in results:
        assert rule_ids[r["ruleIndex"]] == r["ruleId"]
        assert re.fullmatch(r"[0-9a-f]{64}", r["partialFingerprints"]["iacscan/v2"])
        artifact = r["locations"][0]["physicalLocation"]["artifactLocation"]
        assert artifact == {"uri": "template.yaml", "uriBaseId": "%SRCROOT%"}
    assert {r["level"] for r in results} == {"warning", "note"}
    assert run["invocations"] == [{"executionSuccessful": True}]


def test_sarif_criteria_errors_and_hostile_input() -> None:
    log = _validate_sarif(render_sarif(evil(), RULES))
    run = log["runs"][0]
    criterion = [r for r in run["results"] if r["ruleId"] == EVIL]
    assert len(criterion) == 1 and criterion[0]["level"] == "error"
    assert criterion[0]["locations"][0]["physicalLocation"]["region"] == {"startLine": 3}
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    notes = invocation["toolExecutionNotifications"]
    assert [n["descriptor"]["id"] for n in notes] == ["iacscan/parse", "iacscan/internal"]
    assert "locations" not in notes[1]  # no file, no line: no location at all


def test_sarif_gives_a_line_without_one_and_fingerprint_is_stable() -> None:
    a = prime_before()
    finding = a.findings[0]
    moved = type(a)(
        **{
            **{f: getattr(a, f) for f in a.__dataclass_fields__},
            "findings": (
                type(finding)(
                    finding.rule, finding.severity, "moved", finding.resources, finding.file, None
                ),
            ),
        }
    )
    first = json.loads(render_sarif(a, RULES))["runs"][0]["results"][0]
    second = _validate_sarif(render_sarif(moved, RULES))["runs"][0]["results"][0]
    node = {n.id: n for n in a.topology.nodes}[finding.resources[0]]
    assert second["locations"][0]["physicalLocation"]["region"] == {"startLine": node.line}
    assert first["partialFingerprints"] == second["partialFingerprints"]


# ----------------------------------------------------------------------------- injection

RAW = [
    "<script",
    "`code`",
    "%%",
    "\x1b",
    "\x07",
    "\r",
    "Evil|",
    "[x](",
    "](javascript",
    "**bold**",
    "~~s~~",
    "$x$",
    "www.evil",
]


def _tables_are_rectangular(text: str) -> None:
    table: list[str] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            table.append(line)
            continue
        if table:
            assert len({row.count("|") for row in table}) == 1, table
        table = []


def _check_markdown(text: str) -> None:
    before, rest = text.split("```mermaid\n", 1)
    mermaid, after = rest.split("```", 1)
    _check_mermaid(mermaid)
    for raw in RAW:
        assert raw not in before + after, raw
    fences = sum(1 for line in text.splitlines() if line.startswith("```"))
    assert text.count("`") == 3 * fences
    _tables_are_rectangular(text)
    for line in text.splitlines():
        if line.startswith("<"):
            assert line.split(">")[0] in {"<details", "</details", "<!-- iacscan-report --"}


MERMAID_NODE = re.compile(
    r'    n\d+(\[|\[\[|\(\[|\[\(|\{\{|\[/|\(\()"([^"]*)"(\]|\]\]|\]\)|\)\]|\}\}|/\]|\\\]|\)\))'
)
MERMAID_EDGE = re.compile(
    r"    n\d+ (-- [a-z]+ -->|-\. [a-z]+ \.->|== [a-z]+ ==>|-- runs ---) n\d+"
)


def _check_mermaid(text: str) -> None:
    for raw in ["<script", "`", "%%", "\x1b", "\x07", "\r", "|", "javascript:", "[x]", "{"]:
        assert raw not in text, raw
    lines = text.splitlines()
    assert lines[0] in ("flowchart LR", "flowchart TD")
    for line in lines[1:]:
        node = MERMAID_NODE.fullmatch(line)
        if node:
            label = node.group(2).replace("<br/>", "")
            assert re.fullmatch(r"[A-Za-z0-9 _.,/:#;-]*", label), label
            continue
        assert MERMAID_EDGE.fullmatch(line) or re.match(
            r"    (classDef|class|linkStyle) [A-Za-z0-9,#:; .-]+$", line
        ), line


def test_markdown_escapes_user_strings() -> None:
    _check_markdown(render_markdown(evil()))
    diff = render_diff_markdown(diff_analyses(prime_before(), evil()))
    assert diff.splitlines()[0] == "<!-- iacscan-report -->"
    _check_markdown(diff)


def test_mermaid_escapes_user_strings() -> None:
    a = evil()
    text = render_mermaid(
        a.topology, added_nodes=[a.topology.nodes[0].id], removed_edges=[a.topology.edges[0]]
    )
    _check_mermaid(text)
    assert "#34;" in text and "#96;" in text and "#37;#37;" in text  # entities, not raw


def test_text_strips_escape_sequences() -> None:
    plain = render_text(evil(), color=False)
    assert "\x1b" not in plain and "\x07" not in plain and "\r" not in plain
    wide = render_text(evil(), color=False, width=5000)  # no wrapping: a new line is injected
    assert not any(line.lstrip().startswith("%%{init") for line in wide.splitlines())
    colored = render_text(evil(), color=True) + render_diff_text(
        diff_analyses(evil(), prime_after()), color=True
    )
    assert "\x1b[2J" not in colored and "\x1b]8" not in colored and "\x07" not in colored
    assert "\x1b[31mRED" not in colored
    assert re.sub(r"\x1b\[[0-9;]*m", "", colored).count("\x1b") == 0
    assert "\x1b" not in render_diff_text(diff_analyses(evil(), prime_after()), color=False)


def test_dot_strings_stay_closed() -> None:
    a = evil()
    text = render_dot(a.topology)
    lines = text.splitlines()
    ids = {n.id for n in a.topology.nodes} | {
        x for e in a.topology.edges for x in (e.source, e.target)
    }
    assert len(lines) == 4 + len(ids) + len(a.topology.edges) + 1
    for line in lines:
        inside, i = False, 0
        while i < len(line):
            if inside and line[i] == "\\":
                assert line[i + 1] in 'n"', line  # only our line breaks and escaped quotes
                i += 2
                continue
            if line[i] == '"':
                inside = not inside
            i += 1
        assert not inside, line
    assert "&#92;" in text  # the user's backslashes


# ----------------------------------------------------------------------------- size cap


def test_markdown_small_report_is_not_cut() -> None:
    text = render_markdown(prime_before())
    assert "Cut to stay under" not in text
    first = text.splitlines()[0]
    assert first.startswith("✅ **Serverless** under johnston-2023: level serverless")
    assert "<details><summary>Nodes (7)</summary>" in text


def test_markdown_is_never_cut_without_a_limit() -> None:
    """Files and standard output are whole; only a pull request comment is cut (the action)."""
    text = render_markdown(huge(3000))
    assert len(text) > MAX_CHARS and "Cut to stay under" not in text
    assert "<details><summary>Nodes (6000)</summary>" in text


def test_markdown_cap_on_huge_topology() -> None:
    text = render_markdown(huge(3000), MAX_CHARS)
    assert len(text) <= MAX_CHARS
    note = text.rstrip().splitlines()[-1]
    assert note.startswith(
        "_Cut to stay under 65,536 characters: removed the collapsible "
        "details (Nodes, Edges); the diagram (Topology); the rows after the "
        "first "
    )
    assert re.search(r"the first \d+ of each table and list \(\d+ rows\)", note)
    assert "more cut" in text and "<details>" not in text and "```mermaid" not in text


def test_markdown_cap_drops_only_details_when_enough() -> None:
    text = render_markdown(huge(120), MAX_CHARS)  # 240 nodes, 120 edges: details are the bulk
    assert len(text) <= MAX_CHARS
    if "Cut to stay under" in text:
        assert "```mermaid" in text and "the rows after" not in text


def test_markdown_bounds_one_enormous_message() -> None:
    a = prime_before()
    big = type(a.findings[0])(
        "s3-as-bus", "warning", "x" * 200_000, ("FramesBucket",), "template.yaml", 1
    )
    fields = {f: getattr(a, f) for f in a.__dataclass_fields__}
    text = render_markdown(type(a)(**{**fields, "findings": (big,)}), MAX_CHARS)
    assert len(text) < 20_000 and "…" in text


def test_sarif_has_a_result_per_piece_of_evidence() -> None:
    """A failing criterion with two resources is two results, one located at each."""
    from scan_helpers import run_cli

    template = "fixtures/templates/ec2-asg-behind-alb.yaml"
    log = _validate_sarif(run_cli(template, "-f", "sarif", cwd=ROOT).stdout)
    results = log["runs"][0]["results"]
    json_report = run_cli(template, "-f", "json", cwd=ROOT)
    criteria = json.loads(json_report.stdout)["verdict"]["criteria"]
    for c in (c for c in criteria if c["status"] in ("fail", "warn")):
        located = {
            (
                r["locations"][0]["logicalLocations"][0]["name"],
                r["locations"][0]["physicalLocation"]["region"]["startLine"],
            )
            for r in results
            if r["ruleId"] == c["id"]
        }
        assert located == {(e["node"], e["line"]) for e in c["evidence"]}, c["id"]
    assert sum(len(c["evidence"]) > 1 for c in criteria if c["status"] == "fail") >= 1


# ----------------------------------------------------------------------------- pull requests


def _failed(a: Any, with_inputs: bool) -> Any:
    from dataclasses import replace

    from iacscan.model import InputError

    error = InputError("infra/api.yaml", 12, "parse", "cannot parse the template", "fix line 12")
    return replace(a, errors=(error,), inputs=a.inputs if with_inputs else ())


def test_markdown_of_a_failed_scan_leads_with_could_not_analyse() -> None:
    text = render_markdown(_failed(prime_before(), with_inputs=False))
    lines = text.splitlines()
    assert lines[0] == "### ⛔ iacscan could not analyse 1 input(s)"
    assert "| infra/api.yaml:12 | parse | cannot parse the template | fix line 12 |" in lines
    assert "```mermaid" not in text and "Serverless" not in text  # no verdict of nothing
    assert "Nothing could be read, so there is no verdict" in text
    partial = render_markdown(_failed(prime_before(), with_inputs=True))
    assert partial.index("could not analyse") < partial.index("**Serverless**")


def test_diff_markdown_of_a_failed_head_leads_with_could_not_analyse() -> None:
    d = diff_analyses(prime_before(), _failed(prime_after(), with_inputs=False))
    text = render_diff_markdown(d)
    lines = text.splitlines()
    assert lines[0] == "<!-- iacscan-report -->"
    assert lines[2] == "### ⛔ iacscan could not analyse 1 input(s) (head)"
    assert "Still" not in text and "No topology change" not in text and "```" not in text
    partial = render_diff_markdown(diff_analyses(prime_before(), _failed(prime_after(), True)))
    assert partial.index("could not analyse") < partial.index("what this change does (incomplete)")


def test_diff_markdown_reads_top_down_with_the_diagram_before_the_tables() -> None:
    from builders import prime_after_service

    d = diff_analyses(prime_after(), prime_after_service())
    text = render_diff_markdown(d)
    assert "```mermaid\nflowchart TD\n" in text
    assert text.index("```mermaid") < text.index("#### Changes") < text.index("#### Findings")
    assert " → " in text and "-&gt;" not in text  # arrows, not entities, in the raw Markdown
    # the service that brought the idle floor moved the verdict: highlighted, and only it
    mermaid = text.split("```mermaid\n", 1)[1].split("```", 1)[0]
    alias = {
        m.group(2): m.group(1) for m in re.finditer(r'    (n\d+)\S*?"([A-Za-z]+)<br/>', mermaid)
    }
    assert f"class {alias['MonitorService']} decisive" in mermaid
    assert "classDef decisive" in mermaid and "thick border: moved the verdict" in text
    assert "Lambda Function" in mermaid and "AWS::" not in mermaid  # short labels
    same = render_diff_markdown(diff_analyses(prime_after(), prime_after()))
    assert "decisive" not in same


def test_no_empty_mermaid_block() -> None:
    from dataclasses import replace

    from iacscan.model import Topology

    empty = replace(prime_before(), topology=Topology((), ()))
    text = render_markdown(empty)
    assert "```mermaid" not in text and "_Nothing to draw: no resources._" in text
    assert "classDef" not in render_mermaid(prime_before().topology)  # only classes in use


def test_capacity_is_drawn_connected_to_the_service_it_runs() -> None:
    from scan_helpers import run_cli

    text = run_cli("graph", "fixtures/templates/prime-video-after-ec2.yaml", cwd=ROOT).stdout
    alias = {m.group(2): m.group(1) for m in re.finditer(r'    (n\d+)\S*?"([A-Za-z]+)<br/>', text)}
    links = {line.strip() for line in text.splitlines() if "-. runs .->" in line}
    service = alias["MonitorService"]
    assert links == {
        f"{alias['MonitorCapacityProvider']} -. runs .-> {service}",
        f"{alias['MonitorAutoScalingGroup']} -. runs .-> {service}",
    }
    _check_mermaid(text)


def test_cells_keep_only_the_entities_markdown_needs() -> None:
    from iacscan.render.mdblocks import cell

    assert cell("2 units read it") == "2 units read it"
    assert cell("2. a list") == "&#50;. a list" and cell("10) x") == "&#49;0) x"
    assert cell('A -> B\'s "queue"') == 'A -> B\'s "queue"'
    assert cell("> quoted") == "&gt; quoted"
    assert cell("<b>x</b>") == "&lt;b>x&lt;/b>"  # no tag can open: "<" stays escaped
    assert (
        cell("**b** _i_ [l](u) @me") == "&#42;&#42;b&#42;&#42; &#95;i&#95; &#91;l&#93;(u) &#64;me"
    )


def test_mermaid_labels_cdk_nodes_by_construct_not_by_hashed_id() -> None:
    """Mermaid draws the labels the product assigns (topology/labels.py): construct paths, not
    hashed logical ids, and never two nodes with one name."""
    from dataclasses import replace

    from builders import node
    from iacscan.model import Topology
    from iacscan.topology.labels import assign_labels

    nodes = (
        node("OrdersFnC133B895", "AWS::Lambda::Function", "compute", path="App/Orders/Fn/Resource"),
        node("QueueA1B2C3D4", "AWS::SQS::Queue", "channel", path="App/Queue/Default"),
        node("OtherQueue12345678", "AWS::SQS::Queue", "channel", path="Other/Queue/Resource"),
        node("PlainTopic", "AWS::SNS::Topic", "channel"),
    )
    labels = assign_labels(nodes, {}, one_stack=False)
    text = render_mermaid(Topology(tuple(replace(n, label=labels[n.id]) for n in nodes), ()))
    for n in nodes:
        assert f'"{labels[n.id]}<br/>' in text
    assert "C133B895" not in text and "12345678" not in text and "A1B2C3D4" not in text
    assert '"PlainTopic<br/>SNS Topic"' in text
    assert len({labels[n.id] for n in nodes}) == len(nodes)


def test_look_alike_ids_are_shown_distinguishably(tmp_path: Path) -> None:
    """A logical id with a Cyrillic O that imitates another id is escaped in every human-facing
    output (its label); JSON keeps the id exactly."""
    from iacscan.render.markdown import render_markdown
    from iacscan.render.mermaid import render_mermaid
    from iacscan.render.text import render_text
    from scan_helpers import scan

    template = tmp_path / "lookalike.yaml"
    template.write_text(
        "Resources:\n"
        "  OrdersQueue: {Type: AWS::SQS::Queue}\n"
        "  \u041erdersQueue: {Type: AWS::SQS::Queue}\n"
        "  Fn:\n"
        "    Type: AWS::Lambda::Function\n"
        "    Properties: {Runtime: python3.12, Handler: i.h, Role: arn:aws:iam::1:role/r,"
        " Code: {ZipFile: x}}\n"
        "  Map:\n"
        "    Type: AWS::Lambda::EventSourceMapping\n"
        "    Properties: {EventSourceArn: !GetAtt \u041erdersQueue.Arn, FunctionName: !Ref Fn}\n",
        encoding="utf-8",
    )
    a = scan([str(template)])
    fake = next(n for n in a.topology.nodes if not n.id.isascii())
    assert fake.label == "\\u041erdersQueue"
    for text in (render_text(a, color=False), render_markdown(a), render_mermaid(a.topology)):
        # Markdown and Mermaid write the backslash as an entity; both render \u041erdersQueue
        assert any(f"{b}u041erdersQueue" in text for b in ("\\", "&#92;", "#92;"))
        assert "\u041erdersQueue" not in text
