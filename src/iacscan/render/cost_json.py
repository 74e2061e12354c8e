"""The ``cost`` sections of the JSON report and diff (docs/cost.md), present only when asked."""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter
from typing import Any

from iacscan.model import Assumption, CostComparison, CostPoint, CostReport, LineItem
from iacscan.render.json_text import Rows

_ITEM = (
    "subject",
    "subject_kind",
    "what",
    "quantity",
    "unit_price",
    "price_key",
    "source",
    "monthly",
    "idle_monthly",
)
_ROUNDED = frozenset(("monthly", "idle_monthly"))  # dollars, as _usd writes them
_ASSUMPTION = ("subject", "what", "value", "source", "default")


def _usd(value: float) -> float:
    return round(value, 6)


def _item_columns(items: Sequence[LineItem]) -> list[list[Any]]:
    """The fields of the line items, a column per field of ``_ITEM``, each by one C map."""
    return [
        [round(v, 6) for v in map(attrgetter(f), items)]
        if f in _ROUNDED
        else list(map(attrgetter(f), items))
        for f in _ITEM
    ]


def _assumption_columns(assumptions: Sequence[Assumption]) -> list[list[Any]]:
    return [list(map(attrgetter(f), assumptions)) for f in _ASSUMPTION]


def cost_to_dict(c: CostReport, *, rows: bool = False) -> dict[str, Any]:
    """The ``cost`` section. ``rows``: items and assumptions as ``json_text.Rows`` (the same
    JSON text from ``json_text.dumps``, without a dict per item; ``json.dumps`` refuses it)."""
    return {
        "currency": "USD",
        "region": c.region,
        "prices": c.prices,
        "load": [{"node": node, "events_per_second": rate} for node, rate in c.load],
        "events_per_month": c.events_per_month,
        "idle_monthly": _usd(c.idle_monthly),
        "monthly": _usd(c.monthly),
        "per_million_events": None if c.per_million_events is None else _usd(c.per_million_events),
        "items": Rows(_ITEM, _item_columns(c.items)) if rows else _item_dicts(c.items),
        "assumptions": (
            Rows(_ASSUMPTION, _assumption_columns(c.assumptions))
            if rows
            else _assumption_dicts(c.assumptions)
        ),
        "warnings": list(c.warnings),
    }


# The same fields as dicts (tests/test_cost_render.py checks that both give the same JSON).
def _item_dicts(items: Sequence[LineItem]) -> list[dict[str, Any]]:
    return [
        {
            "subject": i.subject,
            "subject_kind": i.subject_kind,
            "what": i.what,
            "quantity": i.quantity,
            "unit_price": i.unit_price,
            "price_key": i.price_key,
            "source": i.source,
            "monthly": _usd(i.monthly),
            "idle_monthly": _usd(i.idle_monthly),
        }
        for i in items
    ]


def _assumption_dicts(assumptions: Sequence[Assumption]) -> list[dict[str, Any]]:
    return [
        {
            "subject": a.subject,
            "what": a.what,
            "value": a.value,
            "source": a.source,
            "default": a.default,
        }
        for a in assumptions
    ]


def _point(p: CostPoint) -> dict[str, Any]:
    return {
        "scale": p.scale,
        "events_per_month": p.events_per_month,
        "before": _usd(p.before),
        "after": _usd(p.after),
    }


def comparison_to_dict(d: CostComparison) -> dict[str, Any]:
    return {
        "before_monthly": _usd(d.before_monthly),
        "after_monthly": _usd(d.after_monthly),
        "saving_percent": None if d.saving_percent is None else round(d.saving_percent, 4),
        "break_even": None
        if d.break_even_scale is None
        else {
            "scale": d.break_even_scale,
            "events_per_month": d.break_even_events_per_month,
            "cheaper_below": d.cheaper_below,
        },
        "summary": list(d.summary),
        "curve": [_point(p) for p in d.curve],
        "zoom": [_point(p) for p in d.zoom],
    }
