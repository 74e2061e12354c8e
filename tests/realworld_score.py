"""Score iacscan against the labelled real-world set in ``tests/realworld/``.

Each case is scanned the way the CLI scans it (``scan_helpers.scan``: the library API with the
default profile) and compared field by field with its hand-written label. Edges are scored by
recall: how many of the edges a careful reader draws iacscan also draws.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from scan_helpers import edge_set, scan

ROOT = Path(__file__).resolve().parent / "realworld"
CASES = ROOT / "cases"
LABELS = ROOT / "labels"
KNOWN_WRONG = ROOT / "known_wrong.yaml"

# The label fields that must agree exactly (ingress and egress as sets of node ids).
FIELDS = ("level", "scales_to_zero", "architecture", "ingress", "egress")

Value = str | bool | None | frozenset[str]


@dataclass(frozen=True)
class Label:
    name: str
    scan: tuple[str, ...]
    expected: dict[str, Value]
    edges: frozenset[str]


@dataclass(frozen=True)
class Result:
    label: Label
    says: dict[str, Value]
    edges: frozenset[str]
    errors: tuple[str, ...]

    def wrong(self) -> dict[str, Value]:
        """The fields on which iacscan disagrees with the label, with what iacscan says."""
        return {f: self.says[f] for f in FIELDS if self.says[f] != self.label.expected[f]}

    @property
    def edges_found(self) -> frozenset[str]:
        return self.label.edges & self.edges

    @property
    def edges_missed(self) -> frozenset[str]:
        return self.label.edges - self.edges


@dataclass(frozen=True)
class KnownWrong:
    case: str
    field: str
    iacscan_says: object
    why: str


def case_names() -> list[str]:
    return sorted(p.stem for p in LABELS.glob("*.yaml"))


def load_label(name: str) -> Label:
    spec = yaml.safe_load((LABELS / f"{name}.yaml").read_text())
    expected: dict[str, Value] = {
        "level": spec["level"],
        "scales_to_zero": spec["scales_to_zero"],
        "architecture": spec["architecture"],
        "ingress": frozenset(spec["ingress"]),
        "egress": frozenset(spec["egress"]),
    }
    return Label(name, tuple(spec["scan"]), expected, frozenset(spec["edges"]))


@cache
def result(name: str) -> Result:
    """Scan one case (once per test session) and read off what iacscan says."""
    label = load_label(name)
    a = scan([str(CASES / name / p) for p in label.scan])
    says: dict[str, Value] = {
        "level": a.verdict.level,
        "scales_to_zero": a.verdict.scales_to_zero,
        "architecture": a.verdict.architecture,
        "ingress": frozenset(a.boundary.ingress),
        "egress": frozenset(a.boundary.egress),
    }
    errors = tuple(f"{e.kind}: {e.message}" for e in (*a.errors, *a.internal_errors))
    return Result(label, says, frozenset(edge_set(a)), errors)


def load_known_wrong() -> tuple[list[KnownWrong], float]:
    spec = yaml.safe_load(KNOWN_WRONG.read_text())
    entries = [
        KnownWrong(e["case"], e["field"], e.get("iacscan_says"), e["why"])
        for e in spec.get("known_wrong") or []
    ]
    return entries, float(spec["edge_recall_floor"])


@dataclass(frozen=True)
class Scores:
    cases: int
    level: int
    label: int
    scales_to_zero: int
    boundary: int
    edges_expected: int
    edges_found: int

    @property
    def edge_recall(self) -> float:
        return self.edges_found / self.edges_expected if self.edges_expected else 1.0


def scores(results: Sequence[Result]) -> Scores:
    def agree(r: Result, *fields: str) -> bool:
        return all(r.says[f] == r.label.expected[f] for f in fields)

    return Scores(
        cases=len(results),
        level=sum(agree(r, "level") for r in results),
        label=sum(agree(r, "architecture") for r in results),
        scales_to_zero=sum(agree(r, "scales_to_zero") for r in results),
        boundary=sum(agree(r, "ingress", "egress") for r in results),
        edges_expected=sum(len(r.label.edges) for r in results),
        edges_found=sum(len(r.edges_found) for r in results),
    )


def _mark(ok: bool) -> str:
    return "ok" if ok else "WRONG"


def table(results: Iterable[Result]) -> str:
    """The score table: one row per case, then the agreement totals."""
    results = list(results)
    rows = [
        f"{'case':40} {'level':6} {'s2z':6} {'label':6} {'bound':6} edges",
    ]
    for r in results:
        wrong = r.wrong()
        rows.append(
            f"{r.label.name:40} {_mark('level' not in wrong):6} "
            f"{_mark('scales_to_zero' not in wrong):6} {_mark('architecture' not in wrong):6} "
            f"{_mark('ingress' not in wrong and 'egress' not in wrong):6} "
            f"{len(r.edges_found)}/{len(r.label.edges)}" + ("  (input errors)" if r.errors else "")
        )
    s = scores(results)

    def pct(n: int) -> str:
        return f"{n}/{s.cases} ({100 * n / s.cases:.0f}%)" if s.cases else "0/0"

    rows += [
        "",
        f"level agreement:          {pct(s.level)}",
        f"label agreement:          {pct(s.label)}",
        f"scales_to_zero agreement: {pct(s.scales_to_zero)}",
        f"boundary agreement:       {pct(s.boundary)}",
        f"edge recall:              {s.edges_found}/{s.edges_expected} ({100 * s.edge_recall:.1f}%)",
    ]
    return "\n".join(rows)


def describe(r: Result) -> str:
    """Every disagreement of one case, for an assertion message or the report."""
    lines = [f"{r.label.name}:"]
    for f, says in r.wrong().items():
        lines.append(f"  {f}: iacscan says {_show(says)}, label {_show(r.label.expected[f])}")
    for e in sorted(r.edges_missed):
        lines.append(f"  missing edge: {e}")
    for e in r.errors:
        lines.append(f"  error: {e}")
    return "\n".join(lines)


def _show(v: object) -> str:
    return str(sorted(v)) if isinstance(v, frozenset) else repr(v)


if __name__ == "__main__":  # python tests/realworld_score.py: the table and every disagreement
    _results = [result(n) for n in case_names()]
    print(table(_results))
    for _r in _results:
        if _r.wrong() or _r.edges_missed or _r.errors:
            print(describe(_r))
