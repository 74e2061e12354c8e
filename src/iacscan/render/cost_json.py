"""The ``cost`` sections of the JSON report and diff (docs/cost.md), present only when asked."""

from __future__ import annotations

from typing import Any

from iacscan.model import CostComparison, CostPoint, CostReport


def _usd(value: float) -> float:
    return round(value, 6)


def cost_to_dict(c: CostReport) -> dict[str, Any]:
    return {
        "currency": "USD",
        "region": c.region,
        "prices": c.prices,
        "load": [{"node": node, "events_per_second": rate} for node, rate in c.load],
        "events_per_month": c.events_per_month,
        "idle_monthly": _usd(c.idle_monthly),
        "monthly": _usd(c.monthly),
        "per_million_events": None if c.per_million_events is None else _usd(c.per_million_events),
        "items": [
            {
                "subject": i.subject,
                "subject_kind": i.subject_kind,
                "what": i.what,
                "quantity": i.quantity,
                "unit_price": i.unit_price,
                "price_key": i.price_key,
                "source": i.source,
                "monthly": round(i.monthly, 6),  # _usd, inline: one call fewer per item
                "idle_monthly": round(i.idle_monthly, 6),
            }
            for i in c.items
        ],
        "assumptions": [
            {
                "subject": a.subject,
                "what": a.what,
                "value": a.value,
                "source": a.source,
                "default": a.default,
            }
            for a in c.assumptions
        ],
        "warnings": list(c.warnings),
    }


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
