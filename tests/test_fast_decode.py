"""``decode_fast`` against cfn-lint's ``decode_str``: the same values, types and line marks.

The corpus comparison decodes every template of ../shared/corpus and every YAML/JSON file under
fixtures/ both ways and compares them node by node (values, container and string types, the
marks of every mapping, list and string, keys included). Where cfn-lint reports a parse error,
``decode_fast`` must raise, and for duplicate keys with cfn-lint's message and line.
"""

from __future__ import annotations

import copy
import csv
import datetime
import math
import pickle
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from yaml.scanner import ScannerError

from iacscan.errors import IacscanError
from iacscan.load.cfn import read_text
from iacscan.load.fast_decode import (
    MAX_EXPANDED_NODES,
    AliasExpansionError,
    DecodeError,
    DictNode,
    DuplicateKeyError,
    ListNode,
    NestingError,
    StrNode,
    TemplateDecodeError,
    decode_fast,
)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
CORPUS = ROOT.parent / "shared" / "corpus"
MANIFEST = CORPUS / "MANIFEST.tsv"
SHARDS = 6


def decode_str(text: str) -> tuple[Any, list[Any]]:
    from cfnlint.decode.decode import decode_str as cfn_decode_str

    return cfn_decode_str(text)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- comparison


def _kind(value: Any) -> tuple[str, bool]:
    marked = hasattr(value, "start_mark")
    for base in (dict, list, str):
        if isinstance(value, base):
            return base.__name__, marked
    return type(value).__name__, marked


def _marks(value: Any) -> tuple[int, int, int, int] | None:
    start, end = getattr(value, "start_mark", None), getattr(value, "end_mark", None)
    if start is None or end is None:
        return None
    return start.line, start.column, end.line, end.column


def _same_scalar(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b)


def differences(fast: Any, ref: Any, limit: int = 10) -> list[str]:
    """Where ``fast`` differs from cfn-lint's ``ref``, each with its path in the template."""
    found: list[str] = []
    seen: set[tuple[int, int]] = set()
    stack: list[tuple[str, Any, Any]] = [("$", fast, ref)]
    while stack and len(found) < limit:
        path, a, b = stack.pop()
        if (id(a), id(b)) in seen:  # shared (aliased) values: compared once
            continue
        seen.add((id(a), id(b)))
        if _kind(a) != _kind(b):
            found.append(f"{path}: {type(a).__name__} where cfn-lint has {type(b).__name__}")
            continue
        if _marks(a) != _marks(b):
            found.append(f"{path}: marks {_marks(a)} where cfn-lint has {_marks(b)}")
        if isinstance(a, dict):
            if getattr(a, "using_merge", False) != getattr(b, "using_merge", False):
                found.append(f"{path}: using_merge differs")
            keys_a, keys_b = list(a), list(b)
            if len(keys_a) != len(keys_b) or not all(map(_same_scalar, keys_a, keys_b)):
                found.append(f"{path}: keys {keys_a[:8]} where cfn-lint has {keys_b[:8]}")
                continue
            for key_a, key_b in zip(keys_a, keys_b, strict=True):
                child = f"{path}.{key_a}"
                if _kind(key_a) != _kind(key_b) or _marks(key_a) != _marks(key_b):
                    found.append(
                        f"{child}: key {_kind(key_a)} {_marks(key_a)} where cfn-lint has "
                        f"{_kind(key_b)} {_marks(key_b)}"
                    )
                stack.append((child, a[key_a], b[key_b]))
        elif isinstance(a, list):
            if len(a) != len(b):
                found.append(f"{path}: {len(a)} items where cfn-lint has {len(b)}")
                continue
            stack.extend((f"{path}[{i}]", x, y) for i, (x, y) in enumerate(zip(a, b, strict=True)))
        elif not _same_scalar(a, b):
            found.append(f"{path}: {a!r} where cfn-lint has {b!r}")
    return found


def compare_with_cfn_lint(text: str, seconds: list[float] | None = None) -> tuple[str, list[str]]:
    """(outcome, problems): problems is empty when decode_fast agrees with cfn-lint.

    ``seconds``, when given, accumulates [cfn-lint's time, decode_fast's time].
    """
    start = time.perf_counter()
    ref, matches = decode_str(text)
    middle = time.perf_counter()
    error: DecodeError | yaml.YAMLError | None = None
    try:
        fast = decode_fast(text)
    except (DecodeError, yaml.YAMLError) as err:
        error = err
    if seconds is not None:
        seconds[0] += middle - start
        seconds[1] += time.perf_counter() - middle
    if error is not None:
        if ref is not None:
            return "fast fails", [f"decode_fast raised {error!r:.200}; cfn-lint decodes"]
        first = matches[0]
        if first.message.startswith("Duplicate found") and not (
            isinstance(error, DuplicateKeyError)
            and error.message == first.message
            and error.line == first.linenumber
        ):
            return "both fail", [
                f"cfn-lint: {first.message!r} at line {first.linenumber}; decode_fast: "
                f"{error!r:.100} at line {getattr(error, 'line', None)}"
            ]
        return "both fail", []
    if ref is None:
        return "cfn fails", [f"cfn-lint fails ({matches[0].message}); decode_fast decodes"]
    return "same", differences(fast, ref)


def assert_same_as_cfn_lint(text: str) -> str:
    outcome, problems = compare_with_cfn_lint(text)
    assert not problems, "\n".join(problems)
    return outcome


# --------------------------------------------------------------------------- corpus


def _templates() -> list[Path]:
    paths: list[Path] = []
    if MANIFEST.is_file():
        with MANIFEST.open() as f:
            paths += [CORPUS / row["path"] for row in csv.DictReader(f, delimiter="\t")]
    paths += sorted(p for p in FIXTURES.rglob("*") if p.suffix in (".yaml", ".json"))
    return paths


@pytest.mark.slow
@pytest.mark.parametrize("shard", range(SHARDS))
def test_corpus_and_fixtures_decode_exactly_like_cfn_lint(shard: int) -> None:
    paths = _templates()[shard::SHARDS]
    assert paths
    outcomes: dict[str, int] = {}
    problems: list[str] = []
    seconds = [0.0, 0.0]
    for path in paths:
        try:
            text = read_text(path)
        except IacscanError:  # not text: neither decoder is ever given it
            outcomes["unreadable"] = outcomes.get("unreadable", 0) + 1
            continue
        outcome, found = compare_with_cfn_lint(text, seconds)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        problems += [f"{path.relative_to(ROOT.parent)}: {p}" for p in found]
    print(
        f"\nshard {shard}: {len(paths)} templates {dict(sorted(outcomes.items()))}, "
        f"{len(problems)} mismatches; cfn-lint {seconds[0]:.2f} s, "
        f"decode_fast {seconds[1]:.2f} s"
    )
    assert not problems, "\n".join(problems[:40])


@pytest.mark.skipif(not MANIFEST.is_file(), reason="../shared/corpus is not present")
def test_the_comparison_covers_the_whole_corpus() -> None:
    paths = _templates()
    assert sum(1 for p in paths if CORPUS in p.parents) == 934
    assert sum(1 for p in paths if FIXTURES in p.parents) >= 70


# --------------------------------------------------------------------------- edge cases

EDGE_CASES = {
    "bools": "a: yes\nb: No\nc: on\nd: OFF\ne: y\nf: n\ng: True\nh: FALSE\ni: 'yes'\n",
    "numbers": "a: 012\nb: 0o12\nc: 0x1F\nd: 1_000\ne: 1:30\nf: .inf\ng: -.Inf\nh: 1e3\n"
    "i: 1.0e+3\nj: 0b101\nk: +12\nl: 08\nm: '012'\nn: 1.5\n",
    "nan": "a: .nan\nb: [.NaN]\n",
    "dates": "a: 2010-09-09\nb: 2001-12-14t21:59:43.10-05:00\nc: '2010-09-09'\n"
    "d: 2001-12-14 21:59:43.10\n",
    "nulls": "a: ~\nb: null\nc:\nd: NULL\ne: ''\n",
    "merge": "base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n  z: 4\n",
    "merge_list": "a: &a {x: 1}\nb: &b {x: 2, y: 2}\nm:\n  <<: [*a, *b]\n  z: 0\n",
    "merge_nested": "a: &a {x: 1}\nb: &b {<<: *a, y: 2}\nm: {<<: *b, z: 3}\n",
    "merge_repeats_a_key": "a: &a {x: 1}\nm:\n  <<: *a\n  z: 1\n  z: 2\n",
    "merge_inline": "m:\n  <<: {x: 1}\n  x: 2\n",
    "merge_of_a_scalar": "m:\n  <<: 1\n",
    "merge_in_a_tag": "a: &a {x: 1}\nm: !If {<<: *a, y: 2}\n",
    "value_key": "a: {=: 1, b: 2}\n",
    "short_tags": "a: !Ref X\nb: !GetAtt A.B.C\nc: !GetAtt [A, B.C]\nd: !Sub '${X}'\n"
    "e: !Join ['', [a, !Ref B]]\nf: !If [C, !Ref A, !Ref AWS::NoValue]\ng: !Equals [a, b]\n"
    "h: !Condition C\ni: !FindInMap [M, !Ref K, V]\nj: !ImportValue X\nk: !Select [0, !GetAZs '']\n"
    "l: !Split [',', x]\nm: !Base64 x\nn: !Cidr [x, 1, 2]\no: !And [!Condition A, !Not [!Ref B]]\n"
    "p: !Or [a, b]\nq: !Transform {Name: X, Parameters: {a: 1}}\nr: !Length [1, 2]\n"
    "s: !ToJsonString {a: 1}\nt: !GetAZs\nu: !Sub ['${A}', {A: !Ref B}]\n",
    "foreach": "Resources:\n  Fn::ForEach::X:\n    - T\n    - [a, b]\n    - R${T}:\n"
    "        Type: AWS::SNS::Topic\n  Other: !ForEach [a, [b], {c: d}]\n",
    "getatt_forms": "a: !GetAtt A\nb: !GetAtt A.B\nc: !GetAtt []\nd: !GetAtt {}\n"
    "e: !GetAtt [A, !Ref B]\nf: !GetAtt ''\ng: !GetAtt [A]\n",
    "getatt_mapping": "a: !GetAtt {A: B}\n",
    "getatt_mapping_repeats_a_key": "a: !GetAtt {A: B, A: C}\n",
    "unknown_tags": "a: !Foo x\nb: !Foo [1, 2]\nc: !Foo {a: 1}\nd: !Fn::Sub x\ne: !ref x\n",
    "tagged_numbers": "a: !Ref 5\nb: !Sub 1.5\nc: !Condition true\n",
    "tagged_mapping_repeats_a_key": "a: !If {x: 1, x: 2}\n",
    "tagged_mapping_unhashable_key": "a: !If {[1]: 2}\n",
    "core_tags": "a: !!str 123\nb: !!int '5'\nc: !!float '1'\nd: !!binary aGVsbG8=\n"
    "e: !!bool yes\nf: !!null ''\ng: !!timestamp 2020-01-01\n",
    "core_set": "a: !!set {x, y}\n",
    "core_omap": "a: !!omap [a: 1, b: 2]\n",
    "core_pairs": "a: !!pairs [a: 1, a: 2]\n",
    "core_seq_on_a_mapping": "a: !!seq {a: 1}\n",
    "core_map_on_a_scalar": "a: !!map x\n",
    "core_str_on_a_mapping": "a: !!str {=: x}\n",
    "python_tag": "a: !!python/object:os.system x\n",
    "verbatim_tag": "a: !<tag:foo> x\n",
    "verbatim_local_tag": "a: !<!Ref> x\n",
    "non_specific_tag": "a: ! 12\nb: ! [1]\nc: ! {a: 1}\n",
    "non_string_keys": "1: a\n2: b\n1.5: c\ntrue: d\n2020-01-01: e\n",
    "null_key": "~: a\n",
    "empty_key": "? \n: a\n",
    "key_true_repeats_1": "1: a\ntrue: b\n",
    "integer_key_repeated": "1: a\n1: b\n",
    "sequence_key": "[a]: 1\n",
    "tagged_key": "!Ref a: 1\n",
    "mapping_key": "{a: 1}: x\n",
    "explicit_keys": "? a\n: 1\n? [b, c]\n: 2\n",
    "duplicate": "A: 1\nB: 2\nA: 3\n",
    "duplicate_three_times": "A: 1\nA: 2\nB: 1\nA: 3\nB: 2\n",
    "duplicate_then_inner_duplicate": "A: 1\nA: 2\nB: {x: 1, x: 2}\n",
    "inner_duplicate_first": "B: {x: 1, x: 2}\nA: 1\nA: 2\n",
    "duplicate_flow": "{A: 1, A: 2}",
    "nan_keys": ".nan: 1\n.nan: 2\n",
    "nan_key_through_an_alias": "{&n .nan: 1, *n: 2}",
    "alias_scalar": "a: &x hello\nb: *x\n",
    "alias_mapping": "a: &x {k: [1, 2]}\nb: *x\nc: [*x, *x]\n",
    "alias_recursive": "a: &x [*x]\n",
    "alias_recursive_mapping": "a: &x {b: *x}\n",
    "alias_undefined": "a: *x\n",
    "alias_as_key": "a: &k key\n*k : 1\n",
    "anchors_without_aliases": "a: &x 1\nb: &y [2]\n",
    "ampersand_in_a_string": "a: 'x & y'\n",
    "two_documents": "a: 1\n---\nb: 2\n",
    "empty": "",
    "only_a_comment": "# hello\n",
    "null_document": "~\n",
    "document_marker": "---\n",
    "document_end": "a: 1\n...\n",
    "top_level_list": "- a\n- b\n",
    "top_level_string": "hello\n",
    "top_level_int": "42\n",
    "top_level_tag": "!Ref x\n",
    "unicode": 'a: héllo\nb: "\\u00e9\\U0001F600"\nc: 日本\n',
    "block_scalars": "a: |\n  line1\n  line2\nb: >-\n  folded\n  text\nc: |+\n  keep\n\n",
    "quoted": "a: 'it''s'\nb: \"x\\ty\"\nc: \"multi\n  line\"\n",
    "complex_flow": "a: [{b: c}, [d, {e: f}], !Ref g]\n",
    "empty_values": "a:\nb: []\nc: {}\nd: ''\n",
    "json": '{\n  "A": {"B": [1, 2.5, true, null, "s"]},\n  "C": {}\n}\n',
    "json_tab_indented": '{\n\t"A": {\n\t\t"B": "x"\n\t}\n}\n',
    "json_duplicate": '{"A": 1, "A": 2}',
    "json_unknown_escape": '{"a": "\\\'"}',
    "json_surrogate_escape": '{"a": "\\ud83d\\ude00"}',
    "syntax_error": "a: [1, 2\nb: 3\n",
    "tab_indentation": "a:\n\tb: 1\n",
    "bad_indentation": "a:\n  b: 1\n c: 2\n",
}


@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_edge_case_decodes_like_cfn_lint(name: str) -> None:
    assert_same_as_cfn_lint(EDGE_CASES[name])


def test_short_tags() -> None:
    text = (
        "A: !Ref Bucket\n"
        "B: !Sub 'arn:${AWS::Partition}:s3:::${Bucket}'\n"
        "C: !Join ['', [a, !Ref B]]\n"
        "D: !If [IsProd, !GetAtt Fn.Arn, !Ref AWS::NoValue]\n"
        "E: !Condition IsProd\n"
        "F: !Foo {x: 1}\n"
    )
    data = decode_fast(text)
    assert data == {
        "A": {"Ref": "Bucket"},
        "B": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}"},
        "C": {"Fn::Join": ["", ["a", {"Ref": "B"}]]},
        "D": {"Fn::If": ["IsProd", {"Fn::GetAtt": ["Fn", "Arn"]}, {"Ref": "AWS::NoValue"}]},
        "E": {"Condition": "IsProd"},
        "F": {"Fn::Foo": {"x": 1}},
    }
    ref = data["A"]
    assert isinstance(ref, DictNode) and (ref.start_mark.line, ref.start_mark.column) == (0, 3)
    # as in cfn-lint, a tagged scalar's value is a plain str and a tagged list a plain list
    assert type(ref["Ref"]) is str and type(data["C"]["Fn::Join"]) is list
    assert isinstance(data["C"]["Fn::Join"][1], ListNode)
    assert data["D"]["Fn::If"][1].start_mark.line == 3
    assert_same_as_cfn_lint(text)


def test_getatt_forms() -> None:
    data = decode_fast(
        "a: !GetAtt Fn.Arn\nb: !GetAtt Stack.Outputs.Url\nc: !GetAtt [Fn, Arn]\n"
        "d: !GetAtt [Fn, !Ref Attr]\ne: !GetAtt Fn\n"
    )
    assert data["a"] == {"Fn::GetAtt": ["Fn", "Arn"]}
    assert data["b"] == {"Fn::GetAtt": ["Stack", "Outputs.Url"]}
    assert data["c"] == {"Fn::GetAtt": ["Fn", "Arn"]}
    assert data["d"] == {"Fn::GetAtt": ["Fn", {"Ref": "Attr"}]}
    assert data["e"] == {"Fn::GetAtt": ["Fn"]}
    assert isinstance(data["a"]["Fn::GetAtt"], ListNode)
    assert data["b"]["Fn::GetAtt"].start_mark.line == 1


def test_duplicate_keys_report_cfn_lint_message_and_line() -> None:
    with pytest.raises(DuplicateKeyError) as caught:
        decode_fast("Resources:\n  A:\n    Type: X\n  B:\n    Type: Y\n  A:\n    Type: Z\n")
    assert caught.value.message == "Duplicate found 'A' (line 2)"
    assert caught.value.line == 2
    assert isinstance(caught.value, ValueError)
    # the first duplicate met while building, as cfn-lint builds: the inner mapping here
    with pytest.raises(DuplicateKeyError, match=r"Duplicate found 'x' \(line 3\)"):
        decode_fast("A: 1\nA: 2\nB: {x: 1,\n  x: 2}\n")
    # merge keys may override, and the keys of a tagged mapping are not checked (as in cfn-lint)
    assert decode_fast("a: &a {x: 1}\nb:\n  <<: *a\n  x: 2\n")["b"] == {"x": 2}
    assert decode_fast("a: !If {x: 1, x: 2}\n") == {"a": {"Fn::If": {"x": 2}}}


def _laughs(levels: int) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


def test_billion_laughs_is_refused_fast() -> None:
    bomb = _laughs(10)  # 10**10 strings once expanded
    with pytest.raises(AliasExpansionError, match="alias") as caught:
        decode_fast(bomb)  # refused while composing: 10**10 strings never exist
    assert caught.value.line == 1
    assert decode_str(bomb)[0] is None
    assert decode_fast(_laughs(4))["a3"][9][9][9][0] == "lol"  # 11,111 values: fine


def test_alias_limit_is_cfn_lints() -> None:
    def template(extra: int) -> str:
        # 1 (root) + 100 (a) + 1 + 2497 * 100 (b) + 1 + extra (c)
        a = ", ".join(["x"] * 99)
        b = ", ".join(["*a"] * 2497)
        c = ", ".join(["y"] * extra)
        return f"a: &a [{a}]\nb: [{b}]\nc: [{c}]\n"

    assert MAX_EXPANDED_NODES == 1 + 100 + 1 + 2497 * 100 + 1 + 197
    assert assert_same_as_cfn_lint(template(197)) == "same"
    assert assert_same_as_cfn_lint(template(198)) == "both fail"
    with pytest.raises(AliasExpansionError):
        decode_fast(template(198))


@pytest.mark.parametrize(
    "text",
    [
        "[" * 10_000 + "]" * 10_000,
        "{a: " * 10_000 + "x" + "}" * 10_000,
        # block mappings need an indent per level: 2,000 levels is already 2 MB
        "".join(" " * i + "k:\n" for i in range(2_000)) + " " * 2_000 + "v\n",
        "- " * 10_000 + "x\n",
        "!Join [" * 10_000 + "x" + "]" * 10_000,
    ],
    ids=["flow-lists", "flow-maps", "block-maps", "block-lists", "tags"],
)
def test_ten_thousand_levels_raise_a_clean_nesting_error(text: str) -> None:
    with pytest.raises(NestingError) as caught:
        decode_fast(text)
    assert isinstance(caught.value.line, int) and caught.value.line >= 1
    assert decode_str(text)[0] is None


def test_nesting_limit_follows_cfn_lints_recursion() -> None:
    """cfn-lint recurses; decode_fast refuses what it refuses at the same recursion limit."""
    maps = "{a: " * 600 + "x" + "}" * 600
    lists = "[" * 300 + "1" + "]" * 300
    for text in (maps, lists):
        with pytest.raises(NestingError):
            decode_fast(text)
        assert assert_same_as_cfn_lint(text) == "both fail"
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(4000)  # what iacscan.load.cfn sets around the decoder
    try:
        for text in (maps, lists):
            assert assert_same_as_cfn_lint(text) == "same"
    finally:
        sys.setrecursionlimit(old)


def test_nesting_boundary_matches_cfn_lint() -> None:
    def boundary(decodes: Any, build: Any) -> int:
        low, high = 1, 999
        while high - low > 1:
            middle = (low + high) // 2
            if decodes(build(middle)):
                low = middle
            else:
                high = middle
        return low

    from cfnlint.decode.decode import decode_str as cfn_decode_str

    def cfn_decodes(text: str) -> bool:  # called at the same stack depth as decode_fast
        return cfn_decode_str(text)[0] is not None

    def fast_decodes(text: str) -> bool:
        try:
            decode_fast(text)
        except NestingError:
            return False
        return True

    shapes = {
        "maps": lambda n: "{a: " * n + "x" + "}" * n,
        "lists": lambda n: "[" * n + "1" + "]" * n,
        "empty-map": lambda n: "[" * n + "{}" + "]" * n,
        "tags": lambda n: "!Join [" * n + "!GetAtt a.b" + "]" * n,
        "tagged-maps": lambda n: "!If {a: " * n + "x" + "}" * n,
        "getatt-lists": lambda n: "!GetAtt [" * n + "x" + "]" * n,
    }
    for name, build in shapes.items():
        assert boundary(fast_decodes, build) == boundary(cfn_decodes, build), name


def test_merge_keys() -> None:
    text = (
        "base: &base\n  Runtime: python3.12\n  Timeout: 3\n"
        "Fn:\n  <<: *base\n  Timeout: 30\n  Handler: app.handler\n"
    )
    data = decode_fast(text)
    assert list(data["Fn"].items()) == [
        ("Runtime", "python3.12"),
        ("Timeout", 30),
        ("Handler", "app.handler"),
    ]
    assert data["Fn"].using_merge is True and data["base"].using_merge is False
    # the anchor's own string, marks and all
    assert data["Fn"]["Runtime"] is data["base"]["Runtime"]
    assert data["Fn"]["Runtime"].start_mark.line == 1
    assert_same_as_cfn_lint(text)


def test_yaml_1_1_scalars_as_cfn_lint_reads_them() -> None:
    data = decode_fast(
        "a: yes\nb: off\nc: 'yes'\nd: 0755\ne: 0o755\nf: 0x1F\ng: 1_000\nh: 2010-09-09\n"
        "i: '2010-09-09'\nj: 1.5\nk: ~\nl: 1e3\nm: 190:20:30\n"
    )
    assert data["a"] is True and data["b"] is False and data["c"] == "yes"
    assert data["d"] == 493 and data["e"] == "0o755" and data["f"] == 31 and data["g"] == 1000
    assert data["h"] == datetime.date(2010, 9, 9) and isinstance(data["i"], StrNode)
    assert data["j"] == 1.5 and data["k"] is None and data["l"] == "1e3"
    assert data["m"] == 190 * 3600 + 20 * 60 + 30


def test_marks_are_yamls_own() -> None:
    data = decode_fast("Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n")
    queue = data["Resources"]["Queue"]
    assert (queue.start_mark.line, queue.start_mark.column) == (2, 4)
    key = next(iter(data["Resources"]))
    assert isinstance(key, StrNode) and key.start_mark.line == 1 and key.end_mark.column == 7
    assert data["Resources"]["Queue"]["Type"].end_mark.column == 25


def test_empty_and_null_documents_are_empty_mappings() -> None:
    for text in ("", "# nothing\n", "~\n", "---\n"):
        data = decode_fast(text)
        assert data == {} and isinstance(data, DictNode)
        assert (data.start_mark.line, data.start_mark.column) == (0, 0)


def test_other_failures() -> None:
    with pytest.raises(TemplateDecodeError, match=r"Null key '~' not supported \(line 2\)"):
        decode_fast("a: 1\n~: 2\n")
    with pytest.raises(TemplateDecodeError, match="Unhashable type"):
        decode_fast("[a]: 1\n")
    with pytest.raises(yaml.YAMLError) as caught:
        decode_fast("a: 1\nb: [1, 2\nc: 3\n")
    mark = getattr(caught.value, "problem_mark", None)
    assert mark is not None and mark.line == 2
    with pytest.raises(yaml.YAMLError):
        decode_fast("a: 1\n---\nb: 2\n")


def test_json_fallback_reports_the_json_error() -> None:
    # libyaml stops on the escape, so cfn-lint (and decode_fast) try the JSON decoder
    with pytest.raises(TemplateDecodeError, match="Invalid") as caught:
        decode_fast('{"a": "\\\'"}')
    assert caught.value.line == 1
    assert_same_as_cfn_lint('{"a": "\\\'"}')


def test_json_fallback_decodes_like_cfn_lints_json_decoder() -> None:
    from cfnlint.decode import cfn_json

    from iacscan.load import fast_decode

    text = '{\n\t"Resources": {\n\t\t"Q": {"Type": "AWS::SQS::Queue"}\n\t}\n}\n'
    error = ScannerError(problem="found character '\\t' that cannot start any token")
    assert differences(fast_decode._load_json(text, error), cfn_json.loads(text)) == []
    with pytest.raises(DuplicateKeyError):
        fast_decode._load_json('{"a": 1, "a": 2}', error)


def test_nodes_behave_like_cfn_lints() -> None:
    data = decode_fast("a:\n  b: [x, {c: d}]\n")
    inner = data["a"]
    assert isinstance(inner.get("missing", {}), DictNode)
    assert inner.get("missing", {}).start_mark is inner.start_mark
    for clone in (copy.deepcopy(data), pickle.loads(pickle.dumps(data))):
        assert clone == data
        assert clone["a"]["b"].start_mark.line == 1
        assert isinstance(clone["a"]["b"][0], StrNode) and clone["a"]["b"][0].start_mark.line == 1
    assert DictNode({"k": 1}).start_mark.line == 1  # cfn-lint's default Mark(1, 1)
    assert StrNode("s", None, None).end_mark.column == 1


def test_module_imports_nothing_from_cfn_lint() -> None:
    code = (
        "import sys\nfrom iacscan.load.fast_decode import decode_fast\n"
        "decode_fast('Resources: {Q: {Type: AWS::SQS::Queue}}')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('cfnlint', 'sympy')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"


# --------------------------------------------------------------------------- the largest input


def _largest_corpus_file() -> Iterator[Path]:
    if MANIFEST.is_file():
        with MANIFEST.open() as f:
            row = max(csv.DictReader(f, delimiter="\t"), key=lambda r: int(r["bytes"]))
        yield CORPUS / row["path"]


@pytest.mark.slow
def test_largest_corpus_file_decodes_like_cfn_lint() -> None:
    """What the decoders' speed is worth is measured in `make bench`; here only that they agree
    on the biggest real template."""
    files = list(_largest_corpus_file())
    if not files:
        pytest.skip("the corpus (../shared/corpus) is not beside this clone")
    for path in files:
        text = read_text(path)
        ref, _ = decode_str(text)
        assert differences(decode_fast(text), ref) == []


def test_a_second_build_near_the_limit_composes_the_text_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A template met once is built while its composed tree is freed (peak memory); when the
    probe near the recursion limit asks for a second build, the text is composed again and the
    result is the same, marks included."""
    import iacscan.load.fast_decode as fast

    text = "Resources:\n" + "".join(
        f"  R{i}:\n    Type: AWS::SNS::Topic\n    Properties: {{A: [x, y]}}\n"
        for i in range(20)
    )
    expected = decode_fast(text)
    probe = fast._FastLoader(text)
    root = probe.get_single_node()
    probe.dispose()
    probe.build(root, 10**6, False)
    assert root.value == ()  # the first build consumed the tree
    builds: list[int] = []
    build = fast._FastLoader.build

    def counted(self: Any, node: Any, budget: int, shared: bool = True) -> Any:
        builds.append(budget)
        return build(self, node, budget, shared)

    monkeypatch.setattr(fast._FastLoader, "build", counted)
    monkeypatch.setattr(fast, "_PROBE_SLACK", 10**6)  # always measure the headroom
    monkeypatch.setattr(fast, "_headroom", lambda: probe.max_need - 1 + fast._HEADROOM_OFFSET)
    got = decode_fast(text)
    assert builds[1:] == [probe.max_need - 1]
    assert got == expected
    assert differences(got, expected) == []
