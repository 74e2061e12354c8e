"""The cost sections of the renderers read only the model: built here by hand, with a hostile
node id, so that escaping and layout are checked without the cost package."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from iacscan.diff import diff_analyses
from iacscan.model import Assumption, CostComparison, CostPoint, CostReport, LineItem
from iacscan.render.json_report import analysis_to_dict, diff_to_dict, render_json
from iacscan.render.markdown import render_diff_markdown, render_markdown
from iacscan.render.text import render_diff_text, render_text
from scan_helpers import scan

T = Path(__file__).resolve().parent.parent / "fixtures" / "templates"
HOSTILE = "Evil|<b>`x`</b>\x1b[31m"

REPORT = CostReport(
    region="us-east-1",
    prices="shipped us-east-1 table",
    load=(("StartRule", 2.0),),
    events_per_month=5_256_000.0,
    idle_monthly=10.0,
    monthly=110.0,
    per_million_events=110.0 / 5.256,
    items=(
        LineItem(
            HOSTILE, "node", "requests", 5_256_000, 2e-7, "lambda.request", "https://a (d)", 1.05
        ),
        LineItem(
            "A -writes-> B",
            "edge",
            "PUT requests",
            100,
            5e-6,
            "s3.put",
            "https://b (d)",
            0.0005,
            0.0,
        ),
        LineItem(
            "Svc",
            "node",
            "vCPU-hours",
            1460,
            0.04048,
            "fargate.vcpu_hour.x86_64",
            "https://c (d)",
            59.1,
            10.0,
        ),
    ),
    assumptions=(Assumption(HOSTILE, "duration_ms", "100", "default: 100 ms", True),),
    warnings=(f"{HOSTILE}: not priced",),
)
COMPARISON = CostComparison(
    before_monthly=1000.0,
    after_monthly=50.0,
    saving_percent=95.0,
    break_even_scale=0.01,
    break_even_events_per_month=7300.0,
    cheaper_below="before",
    summary=(
        "Cost at the profile's load: before $1,000.00/month, after $50.00/month (95.0% saved).",
    ),
    curve=(CostPoint(0, 0, 0, 20), CostPoint(1, 730000, 1000, 50)),
    zoom=(CostPoint(0, 0, 0, 20), CostPoint(0.01, 7300, 20, 20), CostPoint(0.02, 14600, 40, 20.5)),
)


def test_text_and_markdown_show_floor_load_per_million_and_items_escaped() -> None:
    a = replace(scan([str(T / "prime-video-before.yaml")]), cost=REPORT)
    text = render_text(a, color=False)
    assert "Idle floor: $10.00/month" in text and "$110.00/month" in text
    assert "Per million events: $20.93" in text
    assert "\x1b" not in text and "$0.2 per million" in text and "[s3.put]" in text
    md = render_markdown(a)
    assert "#### Cost" in md and "| Node or edge |" in md
    assert "<b>" not in md and "\x1b" not in md
    assert "$0.2 per million" in md and "$10.00" in md  # the idle part of the Fargate row


def test_json_has_a_cost_section_only_when_priced() -> None:
    plain = scan([str(T / "prime-video-before.yaml")])
    assert "cost" not in analysis_to_dict(plain)
    data = json.loads(json.dumps(analysis_to_dict(replace(plain, cost=REPORT))))["cost"]
    assert data["idle_monthly"] == 10.0 and data["monthly"] == 110.0
    assert {i["subject_kind"] for i in data["items"]} == {"node", "edge"}
    assert data["assumptions"][0] == {
        "subject": HOSTILE,
        "what": "duration_ms",
        "value": "100",
        "source": "default: 100 ms",
        "default": True,
    }


def test_the_json_report_is_json_dumps_of_its_dict() -> None:
    """render_json writes the cost's items and assumptions from columns (json_text.Rows), not
    from the dicts analysis_to_dict has: the text is the same, for few items and for many."""
    plain = scan([str(T / "prime-video-before.yaml")])
    many = replace(
        REPORT,
        items=tuple(
            replace(i, monthly=m, quantity=q)
            for n, i in enumerate(REPORT.items * 150)
            for m, q in [((n % 7) / 3, n if n % 2 else n / 2)]
        )
        + (replace(REPORT.items[0], monthly=float("nan"), idle_monthly=float("inf")),),
        assumptions=REPORT.assumptions * 300,
    )
    for cost in (REPORT, many, replace(REPORT, items=(), assumptions=())):
        a = replace(plain, cost=cost)
        stdlib = json.dumps(analysis_to_dict(a), indent=2, ensure_ascii=False) + "\n"
        assert render_json(a) == stdlib
    items = json.loads(render_json(replace(plain, cost=many)))["cost"]["items"]
    assert items[1]["monthly"] == 0.333333 and items[1]["idle_monthly"] == 0.0  # dollars: 6 places


def test_the_diff_charts_both_sides_and_states_the_break_even() -> None:
    before = scan([str(T / "prime-video-before.yaml")])
    after = scan([str(T / "prime-video-after-service.yaml")])
    d = replace(diff_analyses(before, after), cost=COMPARISON)
    md = render_diff_markdown(d)
    chart = md.split("```mermaid\nxychart-beta\n", 1)[1].split("```", 1)[0]
    assert 'x-axis "events per month" ["0", "7,300", "14,600"]' in chart
    assert "line [0.00, 20.00, 40.00]" in chart and "line [20.00, 20.00, 20.50]" in chart
    assert "| 95.0% |" in md
    assert "Cost (before -> after)" in render_diff_text(d, color=False)
    data = diff_to_dict(d)["cost"]
    assert data["break_even"] == {
        "scale": 0.01,
        "events_per_month": 7300.0,
        "cheaper_below": "before",
    }
    assert "cost" not in diff_to_dict(diff_analyses(before, after))
