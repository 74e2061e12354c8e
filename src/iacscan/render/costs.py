"""The cost report as lines and rows, shared by the text and Markdown renderers (model only)."""

from __future__ import annotations

from collections.abc import Sequence

from iacscan.model import CostComparison, CostPoint, CostReport, LineItem


def money(value: float) -> str:
    if value != 0 and abs(value) < 0.01:
        return f"${value:.4f}"
    return f"${value:,.2f}"


def unit_price(value: float) -> str:
    """Small prices per million units, as AWS pages write them."""
    if 0 < value < 0.001:
        return f"${value * 1e6:,.6g} per million"
    return f"${value:.6g}"


def quantity(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.4g}"


def rate(value: float) -> str:
    return f"{value:.4g}/s"


def headline(c: CostReport) -> list[str]:
    per = money(c.per_million_events) if c.per_million_events is not None else "n/a (no events)"
    load = ", ".join(f"{node} {rate(r)}" for node, r in c.load) or "no rate given"
    return [
        f"Idle floor: {money(c.idle_monthly)}/month (paid at zero load)",
        f"At the profile's load: {money(c.monthly)}/month ({load}; "
        f"{quantity(c.events_per_month)} events/month)",
        f"Per million events: {per}",
        f"Prices: {c.prices}",
    ]


def item_cells(i: LineItem) -> tuple[str, str, str, str, str, str, str]:
    """subject, what, quantity, unit price, $/month, idle $/month ("" when none), price key."""
    return (
        i.subject,
        i.what,
        quantity(i.quantity),
        unit_price(i.unit_price),
        money(i.monthly),
        money(i.idle_monthly) if i.idle_monthly else "",
        i.price_key,
    )


def sources(c: CostReport) -> list[str]:
    """Each price row used, once: its key and its dated source."""
    seen: dict[str, str] = {}
    for i in c.items:
        seen.setdefault(i.price_key, i.source)
    return [f"{k}: {v}" for k, v in sorted(seen.items())]


def assumption_lines(c: CostReport) -> list[str]:
    return [f"{a.subject or 'profile'}: {a.what} = {a.value} ({a.source})" for a in c.assumptions]


def comparison_lines(d: CostComparison) -> list[str]:
    return list(d.summary)


def _axis(points: Sequence[CostPoint]) -> str:
    return "[" + ", ".join(f'"{quantity(p.events_per_month)}"' for p in points) + "]"


def _series(values: Sequence[float]) -> str:
    return "[" + ", ".join(f"{v:.2f}" for v in values) + "]"


def xychart(d: CostComparison) -> list[str]:
    """A Mermaid ``xychart-beta`` of cost against load, before then after."""
    points = d.zoom or tuple(p for p in d.curve if p.scale <= 1.0)
    title = "Cost against load near the break-even" if d.zoom else "Cost against load"
    return [
        "xychart-beta",
        f'    title "{title} ($/month)"',
        f'    x-axis "events per month" {_axis(points)}',
        '    y-axis "$/month"',
        f"    line {_series([p.before for p in points])}",
        f"    line {_series([p.after for p in points])}",
    ]
