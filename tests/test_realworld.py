"""The labelled real-world set (tests/realworld/): iacscan against hand-written labels.

Every case not listed in ``known_wrong.yaml`` must agree with its label on every field; every
listed entry must still be wrong (a fix forces the table to be updated); edge recall over the
whole set must not drop below the recorded floor. Run with ``-s`` to see the score table.
"""

from __future__ import annotations

import pytest

from realworld_score import (
    CASES,
    FIELDS,
    ROOT,
    case_names,
    describe,
    load_known_wrong,
    load_label,
    result,
    scores,
    table,
)

NAMES = case_names()
KNOWN, RECALL_FLOOR = load_known_wrong()


def test_the_set_is_complete_and_sourced() -> None:
    assert len(NAMES) >= 30
    assert sorted(p.name for p in CASES.iterdir() if p.is_dir()) == NAMES
    sources = (ROOT / "SOURCES.md").read_text()
    for name in NAMES:
        assert f"| `{name}` |" in sources, name
        for path in load_label(name).scan:
            assert (CASES / name / path).exists(), (name, path)


def test_known_wrong_entries_name_real_cases_and_fields() -> None:
    keys = [(k.case, k.field) for k in KNOWN]
    assert len(keys) == len(set(keys))
    for k in KNOWN:
        assert k.case in NAMES, k
        assert k.field in FIELDS, k
        assert k.why.strip(), k


@pytest.mark.parametrize("name", NAMES)
def test_case_agrees_with_its_label(name: str) -> None:
    r = result(name)
    known = {k.field for k in KNOWN if k.case == name}
    wrong = r.wrong()
    unexpected = sorted(set(wrong) - known)
    assert not unexpected, f"new disagreement on {unexpected}\n{describe(r)}"
    fixed = sorted(known - set(wrong))
    assert not fixed, f"{name}: {fixed} now agree with the label: remove them from known_wrong.yaml"
    for k in KNOWN:  # still wrong the same way: a different wrong answer is news too
        if k.case == name:
            says = k.iacscan_says
            if isinstance(says, list):
                says = frozenset(says)
            assert wrong[k.field] == says, f"{name}.{k.field}: iacscan now says {wrong[k.field]}"


def test_score_table_and_edge_recall_floor() -> None:
    results = [result(n) for n in NAMES]
    print()
    print(table(results))
    for r in results:
        if r.wrong() or r.edges_missed or r.errors:
            print(describe(r))
    recall = scores(results).edge_recall
    assert recall >= RECALL_FLOOR, f"edge recall {recall:.3f} fell below the floor {RECALL_FLOOR}"
