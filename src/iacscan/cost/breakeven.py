"""Before and after at one usage profile: the saving, the break-even load, a cost curve.

Both sides are priced at multiples of the profile's load (every rate the profile gives times
``scale``; schedules keep their own rate). The break-even is found by bisection on the
difference of the two costs, between the largest sampled load where one side is cheaper and the
smallest where the other is; costs are step functions of load (whole tasks and instances), so
it is the load where the cheaper side changes, to 0.1%.
"""

from __future__ import annotations

import math
from typing import Literal

from iacscan.cost.price import Pricing
from iacscan.model import CostComparison, CostPoint

# Loads sampled for the curve and the search: 1e-6 to 10 times the profile's load.
SCALES: tuple[float, ...] = (0.0, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)


def _money(value: float) -> str:
    return f"${value:,.2f}"


def _events(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:,.2f}"


def compare(before: Pricing, after: Pricing) -> CostComparison:
    curve = tuple(_point(before, after, s) for s in SCALES)
    at = next(p for p in curve if p.scale == 1.0)
    saving = (at.before - at.after) / at.before * 100 if at.before > 0 else None
    crossing: float | None = None
    below: Literal["before", "after"] | None = None
    for lo, hi in zip(curve, curve[1:], strict=False):
        d_lo, d_hi = lo.before - lo.after, hi.before - hi.after
        if (d_lo < 0 < d_hi) or (d_lo > 0 > d_hi):
            below = "before" if d_lo < 0 else "after"
            a, b = lo.scale, hi.scale
            for _ in range(60):
                mid = (a + b) / 2
                d = before.monthly(mid) - after.monthly(mid)
                if (d < 0) == (d_lo < 0):
                    a = mid
                else:
                    b = mid
                if b - a <= b * 1e-3:
                    break
            crossing = b
            break
    summary: list[str] = [
        f"Cost at the profile's load: before {_money(at.before)}/month, after "
        f"{_money(at.after)}/month"
        + (f" ({saving:.1f}% {'saved' if saving >= 0 else 'more'})." if saving is not None else ".")
    ]
    events = None
    if crossing is not None:
        events = max(before.events_per_month(crossing), after.events_per_month(crossing))
        summary.append(
            f"Break-even at {crossing:.3g} times the profile's load ({_events(events)} events/"
            f"month): below it the {below} side is cheaper."
        )
    elif all(math.isclose(p.before, p.after, rel_tol=1e-9, abs_tol=1e-9) for p in curve):
        summary.append("Both sides cost the same at every load sampled.")
    else:
        cheaper = "after" if at.after <= at.before else "before"
        summary.append(
            f"No break-even between {SCALES[1]:g} and {SCALES[-1]:g} times the profile's load: "
            f"the {cheaper} side is cheaper throughout."
        )
    zoom: tuple[CostPoint, ...] = ()
    if crossing is not None:
        zoom = tuple(_point(before, after, crossing * 2 * i / 8) for i in range(9))
    return CostComparison(
        before_monthly=at.before,
        after_monthly=at.after,
        saving_percent=saving,
        break_even_scale=crossing,
        break_even_events_per_month=events,
        cheaper_below=below,
        summary=tuple(summary),
        curve=curve,
        zoom=zoom,
    )


def _point(before: Pricing, after: Pricing, s: float) -> CostPoint:
    return CostPoint(
        scale=s,
        events_per_month=max(before.events_per_month(s), after.events_per_month(s)),
        before=before.monthly(s),
        after=after.monthly(s),
    )
