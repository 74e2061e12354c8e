"""The zero-load run of a system with no load anywhere (no schedule, every rate scaled to 0)
skips the walk of the edges: its rates are the ones the walk gives, key for key and in order,
and it warns the same. Checked on every fixture template with each ingress rated."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from iacscan.cost.engine import Ledger, Run
from iacscan.cost.price import Pricing
from iacscan.cost.prices import load_table
from iacscan.cost.propagate import Rates, propagate
from iacscan.cost.usage import Usage, parse_rate_flags
from iacscan.load.discover import load_paths
from scan_helpers import scan

T = Path(__file__).resolve().parent.parent / "fixtures" / "templates"
TEMPLATES = sorted(p for p in T.glob("*.yaml") if not p.name.endswith(".expected.yaml"))


def _shown(r: Rates) -> list[str]:
    return [repr(list(d.items())) for d in (r.node, r.edge, r.reads, r.read_total)]


def _zero_load(p: Pricing, plan_zero: bool) -> tuple[list[str], list[str]]:
    ledger = Ledger()
    run = Run(p.facts, p.usage, p.table, ledger, 0.0)
    plan = p.flow if plan_zero else replace(p.flow, zero=None)
    rates = propagate(run, p.analysis.boundary.ingress, p.counts, plan)
    return _shown(rates), list(ledger.warnings)


@pytest.mark.parametrize("path", TEMPLATES, ids=[p.stem for p in TEMPLATES])
def test_no_load_anywhere_gives_the_rates_of_the_walk(path: Path) -> None:
    analysis = scan([str(path)])
    usage = Usage()
    parse_rate_flags([f"{n}=2/s" for n in analysis.boundary.ingress], usage)
    p = Pricing(analysis, load_paths([str(path)]).templates, usage, load_table(None))
    assert p.flow.zero is None
    p.run(1.0)  # the first run fills the counts, then the keys of its rates
    assert p.flow.zero is not None
    walked = _zero_load(p, plan_zero=False)
    assert _zero_load(p, plan_zero=True) == walked


def test_a_negative_count_keeps_the_walk() -> None:
    path = T / "prime-video-before.yaml"
    analysis = scan([str(path)])
    usage = Usage()
    parse_rate_flags([f"{n}=2/s" for n in analysis.boundary.ingress], usage)
    p = Pricing(analysis, load_paths([str(path)]).templates, usage, load_table(None))
    p.run(1.0)
    assert p.flow.zero is not None and p.flow.multipliers
    p.flow.zero = None
    first = next(iter(p.flow.multipliers))
    p.flow.multipliers[first] = -1.0  # 0.0 times -1 is -0.0: the walk must give it
    p.run(1.0)
    assert p.flow.zero is None
