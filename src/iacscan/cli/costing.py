"""``--usage``, ``--rate`` and ``--prices``: the cost model, only when asked.

Nothing here imports ``iacscan.cost`` at module level: a scan without these options (and without
an ``iacscan-usage.yaml`` beside its path) never loads the cost package.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Annotated, Any

import typer

USAGE_FILE = "iacscan-usage.yaml"

UsageOpt = Annotated[
    str | None,
    typer.Option(
        "--usage",
        help="Usage profile (YAML, docs/cost.md): price the system at its load. Default: "
        f"{USAGE_FILE} beside the scanned path, when there is one.",
    ),
]
RateOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--rate",
        help="Events arriving at a node, e.g. StartRule=2000/s (also /min, /h, /day, /month); "
        "repeatable; wins over the usage file.",
    ),
]
PricesOpt = Annotated[
    str | None,
    typer.Option("--prices", help="Price table file (default: the shipped us-east-1 table)."),
]


@dataclass(frozen=True, slots=True)
class CostOptions:
    usage: str | None
    rates: tuple[str, ...]
    prices: str | None

    def load(self) -> tuple[Any, Any]:
        from iacscan.cost.prices import load_table
        from iacscan.cost.usage import Usage, load_usage, parse_rate_flags

        usage = load_usage(self.usage) if self.usage else Usage(origin="--rate")
        parse_rate_flags(self.rates, usage)
        return usage, load_table(self.prices)


def cost_options(
    paths: Sequence[str], usage: str | None, rates: Sequence[str] | None, prices: str | None
) -> CostOptions | None:
    """The options when cost was asked for (or a usage file sits beside the first path)."""
    if usage is None and paths and not paths[0].startswith("stack:") and paths[0] != "-":
        folder = paths[0] if os.path.isdir(paths[0]) else os.path.dirname(paths[0]) or "."
        found = os.path.join(folder, USAGE_FILE)
        usage = found if os.path.isfile(found) else None
    if usage is None and not rates and prices is None:
        return None
    return CostOptions(usage=usage, rates=tuple(rates or ()), prices=prices)


def _check_names(usage: Any, node_ids: set[str]) -> None:
    """A --rate naming no node is a typo: say so, with the closest id."""
    import difflib

    from iacscan.errors import UsageError

    for flag in usage.rates:
        if flag not in node_ids and usage.rates[flag].where.startswith("--rate"):
            close = difflib.get_close_matches(flag, sorted(node_ids), n=1)
            hint = f"did you mean {close[0]}?" if close else "node ids are in the report's topology"
            raise UsageError(f"--rate {flag}: no such node", hint)


def with_cost(report: Any, templates: Sequence[Any], opts: CostOptions) -> Any:
    from iacscan.cost.price import price

    usage, table = opts.load()
    _check_names(usage, {n.id for n in report.topology.nodes})
    return replace(report, cost=price(report, templates, usage, table))


def diff_with_cost(
    before: Any, after: Any, base: Sequence[Any], head: Sequence[Any], opts: CostOptions
) -> tuple[Any, Any, Any]:
    """Both sides priced with one profile, and their comparison."""
    from iacscan.cost.breakeven import compare
    from iacscan.cost.price import Pricing

    usage, table = opts.load()
    ids_before = {n.id for n in before.topology.nodes}
    ids_after = {n.id for n in after.topology.nodes}
    _check_names(usage, ids_before | ids_after)
    p_before = Pricing(before, base, usage, table)
    p_after = Pricing(after, head, usage, table)
    comparison = compare(p_before, p_after)
    return (
        replace(before, cost=p_before.report(ids_after)),
        replace(after, cost=p_after.report(ids_before)),
        comparison,
    )
