"""The public corpus (../shared/corpus, 934 real templates): every template gives a report or a
clean per-file error, never a crash or an internal error."""

from __future__ import annotations

import csv
import time
from collections import Counter
from pathlib import Path

import pytest

from scan_helpers import scan

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
MANIFEST = CORPUS / "MANIFEST.tsv"

pytestmark = pytest.mark.skipif(not MANIFEST.is_file(), reason="../shared/corpus is not present")


def _rows() -> list[dict[str, str]]:
    with MANIFEST.open() as f:
        return list(csv.DictReader(f, delimiter="\t"))


def _scan_all(rows: list[dict[str, str]]) -> tuple[Counter[str], list[str], float]:
    outcomes: Counter[str] = Counter()
    problems: list[str] = []
    start = time.perf_counter()
    for row in rows:
        path = CORPUS / row["path"]
        try:
            a = scan([path])
        except Exception as err:  # a crash is exactly what this test exists to catch
            problems.append(f"{row['path']}: crash {type(err).__name__}: {err}")
            continue
        if a.internal_errors:
            problems.append(f"{row['path']}: internal {[e.message for e in a.internal_errors]}")
        if a.errors:
            for e in a.errors:
                outcomes[f"error:{e.kind}"] += 1
                assert e.message and e.file, e
        else:
            outcomes[f"report:{a.verdict.level}"] += 1
    return outcomes, problems, time.perf_counter() - start


def test_non_sam_corpus_never_crashes() -> None:
    rows = [r for r in _rows() if r["is_sam"] == "false"]
    assert len(rows) == 329
    outcomes, problems, seconds = _scan_all(rows)
    print(
        f"\nnon-SAM corpus: {len(rows)} templates in {seconds:.1f} s: {dict(sorted(outcomes.items()))}"
    )
    assert not problems, "\n".join(problems[:20])
    assert sum(outcomes.values()) == len(rows)


def _orphans(a: object) -> tuple[int, int]:
    """(compute nodes with no incoming edge, compute nodes) when the template has an event source."""
    topo = a.topology  # type: ignore[attr-defined]
    has_source = any(n.role in ("ingress", "router", "channel") for n in topo.nodes)
    if not has_source:
        return 0, 0
    targets = {e.target for e in topo.edges}
    compute = [n for n in topo.nodes if n.role == "compute" and not n.deploy_time]
    return sum(1 for n in compute if n.id not in targets), len(compute)


def test_whole_corpus_never_crashes() -> None:
    rows = _rows()
    assert len(rows) == 934
    outcomes: Counter[str] = Counter()
    problems: list[str] = []
    orphan = total = 0
    start = time.perf_counter()
    for row in rows:
        path = CORPUS / row["path"]
        try:
            a = scan([path])
        except Exception as err:
            problems.append(f"{row['path']}: crash {type(err).__name__}: {err}")
            continue
        if a.internal_errors:
            problems.append(f"{row['path']}: internal {[e.message for e in a.internal_errors]}")
        if a.errors:
            outcomes[f"error:{a.errors[0].kind}"] += 1
        else:
            outcomes[f"report:{a.verdict.level}"] += 1
            o, t = _orphans(a)
            orphan, total = orphan + o, total + t
    seconds = time.perf_counter() - start
    print(
        f"\nwhole corpus: {len(rows)} templates in {seconds:.1f} s: {dict(sorted(outcomes.items()))}; "
        f"orphan compute {orphan}/{total} ({orphan / max(total, 1):.1%})"
    )
    assert not problems, "\n".join(problems[:20])
    assert sum(outcomes.values()) == len(rows)
