"""One pricing run: the facts, the usage, the prices, and what the run assumed and found."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from iacscan.cost.facts import Facts
from iacscan.cost.prices import PriceTable
from iacscan.cost.usage import DEFAULTS, Usage
from iacscan.model import Assumption, LineItem

HOURS_PER_MONTH = 730.0
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600


@dataclass(slots=True)
class Ledger:
    """What every run of one report assumed and warned (kept across the runs at other loads)."""

    assumptions: dict[tuple[str, str], Assumption] = field(default_factory=dict)
    warnings: dict[str, None] = field(default_factory=dict)

    def assume(self, subject: str, what: str, value: object, source: str, default: bool) -> None:
        key = (subject, what)
        if key not in self.assumptions:
            shown = f"{value:g}" if isinstance(value, float) else str(value)
            self.assumptions[key] = Assumption(subject, what, shown, source, default)

    def warn(self, text: str) -> None:
        self.warnings.setdefault(text, None)


@dataclass(slots=True)
class Run:
    """One load (the profile's rates times ``scale``): rates, then line items."""

    facts: Facts
    usage: Usage
    table: PriceTable
    ledger: Ledger
    scale: float
    items: list[LineItem] = field(default_factory=list)

    # ------------------------------------------------------------------ facts

    def fact(self, node: str, name: str, default_key: str | None = None) -> float:
        """A usage fact for a node, or the documented default (both recorded)."""
        f = self.usage.fact(node, name)
        if f is not None and isinstance(f.value, int | float):
            self.ledger.assume(node, name, float(f.value), f.where, False)
            return float(f.value)
        value, why = DEFAULTS[default_key or name]
        self.ledger.assume(node, name, value, f"default: {why}", True)
        return value

    def template_or_default(
        self, node: str, name: str, found: float | None, default: float, why: str
    ) -> float:
        """A value the template gives (usage may override), else a documented default."""
        f = self.usage.fact(node, name)
        if f is not None and isinstance(f.value, int | float):
            self.ledger.assume(node, name, float(f.value), f.where, False)
            return float(f.value)
        if found is not None:
            return found
        self.ledger.assume(node, name, default, f"default: {why}", True)
        return default

    # ------------------------------------------------------------------ items

    def add(
        self,
        subject: str,
        what: str,
        quantity_per_second: float,
        key: str,
        *,
        edge: bool = False,
        per_month: float | None = None,
    ) -> None:
        """A line item: ``quantity_per_second`` (or ``per_month``) units of price row ``key``."""
        price = self.table.rows.get(key)
        if price is None:
            self.ledger.warn(f"{subject}: no price for {key} in the price table; not priced")
            return
        quantity = per_month if per_month is not None else quantity_per_second * SECONDS_PER_MONTH
        if quantity <= 0:
            return
        usd = price.usd
        self.items.append(  # by position: a third faster than by keyword, thousands of times
            LineItem(
                subject,
                "edge" if edge else "node",
                what,
                quantity,
                usd,
                key,
                price.cite(),
                quantity * usd,
            )
        )

    def total(self) -> float:
        return sum(i.monthly for i in self.items)


def edge_label(source: str, kind: str, target: str) -> str:
    return f"{source} -{kind}-> {target}"


def merge_idle(at_load: Sequence[LineItem], idle: Sequence[LineItem]) -> tuple[LineItem, ...]:
    """The items at load, each with the part of it paid at zero load."""
    from dataclasses import replace

    floor: dict[tuple[str, str], float] = {}
    for i in idle:
        k = (i.subject, i.price_key)
        floor[k] = floor.get(k, 0.0) + i.monthly
    out = []
    for i in at_load:  # an item with nothing idle keeps idle_monthly 0.0 (Run.add never sets it)
        k = (i.subject, i.price_key)
        out.append(replace(i, idle_monthly=floor.pop(k)) if k in floor else i)
    return tuple(out)
