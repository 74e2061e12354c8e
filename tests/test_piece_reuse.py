"""A head decoded with the base's unchanged resources reused (load/piece_reuse.py) is what a
fresh decode of the head gives: the same values and types, every mark (line, column, offset;
start and end) of every value and key, the same warnings, the same error. Checked on every
fixture template with edits, on generated templates with generated edits, and on the
layouts where nothing may be reused."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iacscan.errors import IacscanError
from iacscan.load.cfn import DEFAULT_LIMITS, decode_text
from iacscan.load.discover import LoadMemo, load_paths
from iacscan.load.piece_reuse import PieceMemo, split

TEMPLATES = Path(__file__).resolve().parent.parent / "fixtures" / "templates"


def marks(value: Any, path: str = "", out: list[Any] | None = None) -> list[Any]:
    """Every value and key with its type and marks, in document order."""
    out = [] if out is None else out

    def mark(m: Any) -> Any:
        return None if m is None else (m.line, m.column, getattr(m, "index", None))

    start, end = getattr(value, "start_mark", None), getattr(value, "end_mark", None)
    out.append((path, type(value).__name__, mark(start), mark(end)))
    if isinstance(value, dict):
        for k, v in value.items():
            marks(k, f"{path}/key", out)
            marks(v, f"{path}/{k}", out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            marks(v, f"{path}/{i}", out)
    return out


def outcome(decode: Any) -> tuple[Any, ...]:
    warnings: list[str] = []
    try:
        data = decode(warnings)
    except IacscanError as err:
        return ("error", type(err).__name__, err.message, err.line)
    return ("ok", data, marks(data), warnings)


def both(base: str, head: str, *, file: str = "t.yaml") -> tuple[tuple[Any, ...], int]:
    """(the head decoded after the base with reuse, entries reused) checked against a fresh
    decode of the head."""
    memo = PieceMemo(min_size=0)
    with contextlib.suppress(IacscanError):
        memo.decode(base, "base.yaml", DEFAULT_LIMITS, [], "s")
    got = outcome(lambda w: memo.decode(head, file, DEFAULT_LIMITS, w, "s"))
    fresh = outcome(lambda w: decode_text(head, file, DEFAULT_LIMITS, w))
    assert got == fresh
    return got, memo.reused


# --------------------------------------------------------------------------- fixtures


def _entries(text: str) -> list[tuple[int, int]]:
    parts = split(text)
    return [(e.start, e.end) for e in parts.entries] if parts else []


def _edits(text: str) -> list[tuple[str, str]]:
    """Edits of a template's resources: a property line added to a middle resource, a
    resource inserted, one deleted, a value changed in place (same lines, other length)."""
    entries = _entries(text)
    if len(entries) < 3:
        return []
    mid_start, mid_end = entries[len(entries) // 2]
    body = text[mid_start:mid_end]
    key_line_end = body.index("\n") + 1
    extra = "    Metadata:\n      Edited: yes\n"
    new = "  Inserted0:\n    Type: AWS::SQS::Queue\n"
    return [
        (
            "line added",
            text[:mid_start] + body[:key_line_end] + extra + text[mid_start + key_line_end :],
        ),
        ("inserted", text[:mid_start] + new + text[mid_start:]),
        ("deleted", text[:mid_start] + text[mid_end:]),
        ("first deleted", text[: entries[0][0]] + text[entries[0][1] :]),
        (
            "renamed",
            text[:mid_start]
            + body.replace(body.split(":")[0].strip(), "Renamed0", 1)
            + text[mid_end:],
        ),
        (
            "longer key",
            text[:mid_start]
            + body[: key_line_end - 2]
            + "Longer:\n"
            + text[mid_start + key_line_end :],
        ),
    ]


FIXTURE_TEXTS = {p.name: p.read_text() for p in sorted(TEMPLATES.glob("*.yaml"))}


@pytest.mark.parametrize("name", sorted(FIXTURE_TEXTS))
def test_fixture_templates_with_edits_decode_as_fresh(name: str) -> None:
    text = FIXTURE_TEXTS[name]
    both(text, text)
    for _, head in _edits(text):
        both(text, head)
        both(head, text)


def test_the_fixtures_do_reuse() -> None:
    """The comparisons above pass through the reuse, not only through its fall-backs."""
    reused = 0
    tried = 0
    for text in FIXTURE_TEXTS.values():
        for what, head in _edits(text):
            if what in ("line added", "inserted", "deleted"):
                tried += 1
                reused += both(text, head)[1] > 0
    assert tried > 20 and reused > tried // 2


# --------------------------------------------------------------------------- generated

PROPERTY_LINES = [
    "      Name: plain-{i}\n",
    "      Timeout: {i}\n",
    "      Arn: !GetAtt Other{i}.Arn\n",
    "      Ref: !Ref Other{i}\n",
    '      Sub: !Sub "${{AWS::StackName}}-{i}"\n',
    '      Quoted: "multi {i}\n        line"\n',
    "      Block: |\n        line {i}\n\n        more\n",
    "      Kept: |+\n        kept {i}\n\n",
    "      Folded: >-\n        a {i}\n        b\n",
    "      List:\n        - a{i}\n        - !Ref B{i}\n        - !Join ['', [x, !Ref C]]\n",
    "      Flow: [a{i}, b, {{c: d}}]\n",
    "      Spread: [a{i},\n        b]\n",
    "      Map: {{k: v{i},\n        j: w}}\n",
    "      Stamp: 2020-01-0{d}\n",
    "      Answer: yes\n",
    "      Nothing: ~\n",
    "      Octal: 0o1{d}\n",
    "      Float: {i}.5\n",
    '      Label: "café {i} ✓ 𝄞"\n',
    "      Spaced: a\u00a0b {i}\n",
    "      # a comment {i}\n",
    "# a comment at column 0 {i}\n",
    "\n",
    "      Deep:\n        A:\n          B:\n            - C: {i}\n",
    "      Plain: a plain\n        continued {i}\n",
    "      Tagged: !Sub\n        - x{i}\n        - k: !Ref K\n",
    "      TaggedMap: !Transform {{Name: n{i}, Parameters: {{a: b}}}}\n",
    "      TaggedBlock: !Foo\n        Key{i}: v\n        Other: w\n",
]


@st.composite
def resource(draw: Any, lid: str) -> str:
    lines = draw(st.lists(st.sampled_from(PROPERTY_LINES), max_size=6, unique=True))
    i = draw(st.integers(0, 99))
    body = "".join(line.format(i=i, d=i % 8 + 1) for line in lines)
    props = "    Properties:\n" + body if body.strip() else ""
    trailer = draw(st.sampled_from(["", "\n", "  # between\n", "\n\n"]))
    return f"  {lid}:\n    Type: AWS::SQS::Queue\n{props}{trailer}"


@st.composite
def template_pair(draw: Any) -> tuple[str, str]:
    n = draw(st.integers(2, 8))
    ids = [f"Res{k}" for k in range(n)]
    bodies = [draw(resource(lid)) for lid in ids]
    head_bodies = list(bodies)
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["modify", "insert", "delete", "swap"]))
        at = draw(st.integers(0, max(len(head_bodies) - 1, 0)))
        if op == "modify" and head_bodies:
            head_bodies[at] = draw(resource(f"Res{at}"))
        elif op == "insert":
            head_bodies.insert(at, draw(resource(f"New{draw(st.integers(0, 999))}")))
        elif op == "delete" and len(head_bodies) > 1:
            head_bodies.pop(at)
        elif op == "swap" and len(head_bodies) > 1:
            head_bodies[0], head_bodies[-1] = head_bodies[-1], head_bodies[0]
    before = draw(st.sampled_from(["", "Parameters:\n  P:\n    Type: String\n", "# c\n"]))
    after = draw(st.sampled_from(["", "Outputs:\n  O:\n    Value: !Ref Res0\n", "# end\n"]))
    head_after = draw(st.sampled_from([after, "Outputs:\n  O:\n    Value: x\n"]))
    header = "AWSTemplateFormatVersion: '2010-09-09'\n" + before + "Resources:\n"
    return header + "".join(bodies) + after, header + "".join(head_bodies) + head_after


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(template_pair())
def test_generated_edits_decode_as_fresh(pair: tuple[str, str]) -> None:
    base, head = pair
    both(base, head)
    both(head, base)


def test_a_tagged_mapping_keeps_its_keys_marks_when_moved() -> None:
    """A short tag on a mapping (``!Sub {a: b}``) is built as a plain dict inside the tag's
    DictNode; its keys carry marks too, and they move with the entry (they once did not)."""
    tagged = PLAIN.replace(
        "  C:\n    Type: AWS::SNS::Topic\n",
        "  C:\n    Type: AWS::SNS::Topic\n    Properties: !Foo\n      Key: v\n"
        "    Metadata:\n      M: !Sub {a: b}\n",
    )
    moved = tagged.replace("DelaySeconds: 1", "DelaySeconds: 1\n      Extra: x")
    assert both(tagged, moved)[1] == 2  # A and C reused, C one line further on
    assert both(moved, tagged)[1] == 2


# --------------------------------------------------------------------------- fall-backs

PLAIN = (
    "Resources:\n"
    "  A:\n    Type: AWS::SQS::Queue\n"
    "  B:\n    Type: AWS::SQS::Queue\n    Properties:\n      DelaySeconds: 1\n"
    "  C:\n    Type: AWS::SNS::Topic\n"
    "  D:\n    Type: AWS::SNS::Topic\n"
)


def test_a_plain_edit_reuses_the_unchanged_entries() -> None:
    head = PLAIN.replace("DelaySeconds: 1", "DelaySeconds: 2\n      MaximumMessageSize: 1024")
    got, reused = both(PLAIN, head)
    assert got[0] == "ok" and reused == 2  # A and C; B changed, D is last


@pytest.mark.parametrize(
    "head",
    [
        PLAIN.replace("  B:", "  B: &b").replace("  C:\n", "  C: *b\n  X:\n"),  # anchors
        PLAIN.replace("DelaySeconds: 1", "DelaySeconds:\t1"),  # a tab
        PLAIN.replace("\n", "\r\n"),  # CR LF
        "---\n" + PLAIN,  # a document marker
        "%YAML 1.1\n---\n" + PLAIN,  # a directive
        PLAIN.replace("  C:\n    Type: AWS::SNS::Topic\n", "  C: {Type: AWS::SNS::Topic}\n"),
        PLAIN.replace("  D:\n", "  A:\n"),  # a repeated logical id: a warning
        PLAIN + "Resources:\n  E:\n    Type: AWS::SNS::Topic\n",  # a repeated section
        "Transform: AWS::Serverless-2016-10-31\n" + PLAIN,
        PLAIN.replace("AWS::SNS::Topic", "AWS::CloudFormation::Stack", 1),
        PLAIN.replace("DelaySeconds: 1", 'DelaySeconds: "1'),  # a quote that swallows C
        PLAIN.replace("DelaySeconds: 1", "DelaySeconds: [1"),  # an open flow sequence
        # a quote opened in B and closed in D: C's unchanged text is inside the string
        PLAIN.replace("DelaySeconds: 1", 'DelaySeconds: "1').replace(
            "  D:\n    Type: AWS::SNS::Topic\n",
            '  D:\n    Type: AWS::SNS::Topic"\n  E:\n    Type: X\n',
        ),
        PLAIN.replace("DelaySeconds: 1", 'DelaySeconds: "1').replace(  # ...and E is null
            "  D:\n    Type: AWS::SNS::Topic\n",
            '  D:\n    Type: AWS::SNS::Topic"\n  E:\n  F:\n    Type: X\n',
        ),
        PLAIN.replace("DelaySeconds: 1", "DelaySeconds: [1").replace(
            "  D:\n    Type: AWS::SNS::Topic\n",
            "  D:\n    Type: AWS::SNS::Topic]\n  E:\n    Type: X\n",
        ),
        PLAIN.replace("  C:\n", " C:\n"),  # an entry at another indentation
        PLAIN.replace("    Type: AWS::SNS::Topic\n", "  Type: AWS::SNS::Topic\n", 1),
        PLAIN.replace("DelaySeconds: 1", "DelaySeconds: 1\n  x"),  # a broken line
        PLAIN.replace("DelaySeconds: 1", 'DelaySeconds: "1\u2028"'),  # YAML's other line breaks
        PLAIN.replace("DelaySeconds: 1", "DelaySeconds: 1\u0085"),
        '{"Resources": {"A": {"Type": "AWS::SQS::Queue"}}}',
        "Resources:\n  A: [1\n",
        "Resources: []\n",
        "",
    ],
)
def test_unusual_heads_decode_as_fresh(head: str) -> None:
    both(PLAIN, head)
    both(head, PLAIN)
    both(head, head)


def test_an_unusual_base_is_not_reused() -> None:
    swallowing = PLAIN.replace("DelaySeconds: 1", 'DelaySeconds: "1').replace(
        "  C:\n    Type: AWS::SNS::Topic\n", '  C:\n    Type: AWS::SNS::Topic"\n'
    )
    assert both(swallowing, PLAIN)[1] == 0
    assert both(swallowing, swallowing)[1] == 0


def test_duplicate_keys_warn_as_in_a_fresh_decode() -> None:
    head = PLAIN.replace(
        "      DelaySeconds: 1\n", "      DelaySeconds: 1\n      DelaySeconds: 2\n"
    )
    got, reused = both(PLAIN, head)
    assert got[0] == "ok" and len(got[3]) == 1 and reused == 0


# --------------------------------------------------------------------------- the loader


def test_load_sides_reuse_a_big_template(tmp_path: Path) -> None:
    text = "Resources:\n" + "".join(
        f"  Queue{i}:\n    Type: AWS::SQS::Queue\n    Properties:\n      DelaySeconds: {i}\n"
        for i in range(400)
    )
    base, head = tmp_path / "base.yaml", tmp_path / "head.yaml"
    base.write_text(text)
    head.write_text(text.replace("DelaySeconds: 7\n", "DelaySeconds: 8\n      Extra: x\n"))
    memo = LoadMemo()
    load_paths([str(base)], memo=memo)
    reused = load_paths([str(head)], memo=memo)
    fresh = load_paths([str(head)])
    assert memo.pieces.reused == 398
    assert reused.templates == fresh.templates
    for lid, res in fresh.templates[0].resources.items():
        assert marks(reused.templates[0].resources[lid].properties) == marks(res.properties)


@pytest.mark.parametrize("name", sorted(n for n, t in FIXTURE_TEXTS.items() if _edits(t)))
def test_a_diff_with_reuse_reports_what_two_separate_loads_report(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """End to end: the analyses and the diff JSON do not change when the head shares the
    base's decoded resources (every size is reused here, not only big templates)."""
    import json

    import iacscan.load.discover as discover
    from iacscan.batch import analyze_loaded
    from iacscan.classify.profile import load_profile
    from iacscan.diff import diff_analyses
    from iacscan.load.discover import SynthOptions
    from iacscan.load.sides import load_sides
    from iacscan.render.json_report import render_diff_json

    text = FIXTURE_TEXTS[name]
    edits = [head for what, head in _edits(text) if what in ("line added", "deleted")]
    monkeypatch.setattr(discover, "_piece_memo", lambda: PieceMemo(min_size=0))
    profile = load_profile("johnston-2023")
    base = tmp_path / "base.yaml"
    base.write_text(text)
    for i, edited in enumerate(edits):
        head = tmp_path / f"head{i}.yaml"
        head.write_text(edited)

        def diff(b: Any, h: Any) -> str:
            before = analyze_loaded(b, profile, (), False)
            after = analyze_loaded(h, profile, (), False)
            return render_diff_json(diff_analyses(before, after))

        shared = diff(
            *load_sides([str(base)], [str(head)], limits=DEFAULT_LIMITS, synth=SynthOptions())
        )
        separate = diff(load_paths([str(base)]), load_paths([str(head)]))
        assert shared == separate
        json.loads(shared)


def test_reused_resources_are_resolved_against_the_heads_parameters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A parameter default and a condition change around unchanged resources (same length, so
    the reused values are not even moved: the head holds the base's very objects). The diff
    must still analyse them against the head's parameters: same report as two separate loads,
    and a report that does see the change."""
    import iacscan.load.discover as discover
    from iacscan.batch import analyze_loaded
    from iacscan.classify.profile import load_profile
    from iacscan.diff import diff_analyses
    from iacscan.load.discover import SynthOptions
    from iacscan.load.sides import load_sides
    from iacscan.render.json_report import render_diff_json

    table = (
        "  Table{i}:\n    Type: AWS::DynamoDB::Table\n{cond}    Properties:\n"
        "      BillingMode: !If [IsProd, PROVISIONED, PAY_PER_REQUEST]\n"
        "      ProvisionedThroughput: !If\n        - IsProd\n"
        "        - {{ReadCapacityUnits: 5, WriteCapacityUnits: 5}}\n"
        "        - !Ref AWS::NoValue\n"
        "      TableName: !Sub '${{Env}}-table-{i}'\n"
        "      KeySchema: [{{AttributeName: id, KeyType: HASH}}]\n"
        "      AttributeDefinitions: [{{AttributeName: id, AttributeType: S}}]\n"
    )
    text = (
        "Parameters:\n  Env:\n    Type: String\n    Default: prod\n"
        "Conditions:\n  IsProd: !Equals [!Ref Env, prod]\n"
        "Resources:\n"
        + "".join(
            table.format(i=i, cond="" if i % 2 else "    Condition: IsProd\n") for i in range(6)
        )
    )
    monkeypatch.setattr(discover, "_piece_memo", lambda: PieceMemo(min_size=0))
    profile = load_profile("johnston-2023")
    base, head = tmp_path / "base.yaml", tmp_path / "head.yaml"
    base.write_text(text)
    head.write_text(text.replace("Default: prod", "Default: test"))

    def diff(b: Any, h: Any) -> str:
        before = analyze_loaded(b, profile, (), False)
        after = analyze_loaded(h, profile, (), False)
        return render_diff_json(diff_analyses(before, after))

    memo_sides = load_sides([str(base)], [str(head)], limits=DEFAULT_LIMITS, synth=SynthOptions())
    shared = diff(*memo_sides)
    separate = diff(load_paths([str(base)]), load_paths([str(head)]))
    assert shared == separate
    assert shared != diff(load_paths([str(base)]), load_paths([str(base)]))  # it sees the change
    reused = memo_sides[1].templates[0].resources["Table1"].properties
    assert reused is memo_sides[0].templates[0].resources["Table1"].properties  # truly shared
