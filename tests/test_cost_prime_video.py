"""Prime Video, reproduced in money (issue 17 §4): with the documented usage profile, each
after-state saves more than 90% at Prime Video's load, the break-even load is far below that
load, and at very low load the before-state (which scales to zero) is cheaper than an after-state
with a floor. The exact dollars are not pinned: they follow the price table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iacscan.cost.breakeven import compare
from iacscan.cost.price import Pricing
from iacscan.cost.prices import load_table
from iacscan.cost.usage import load_usage
from iacscan.load.discover import load_paths
from scan_helpers import run_cli, scan

ROOT = Path(__file__).resolve().parent.parent
T = ROOT / "fixtures" / "templates"
PROFILE = ROOT / "fixtures" / "usage" / "prime-video.yaml"
AFTER = ("prime-video-after-task", "prime-video-after-service", "prime-video-after-ec2")


def pricing(name: str) -> Pricing:
    path = str(T / f"{name}.yaml")
    return Pricing(
        scan([path]), load_paths([path]).templates, load_usage(str(PROFILE)), load_table(None)
    )


@pytest.fixture(scope="module")
def before() -> Pricing:
    return pricing("prime-video-before")


@pytest.mark.parametrize("after", AFTER)
def test_each_after_state_saves_over_90_percent_at_prime_videos_load(
    before: Pricing, after: str
) -> None:
    c = compare(before, pricing(after))
    assert c.saving_percent is not None and c.saving_percent > 90, c.summary
    assert c.after_monthly < c.before_monthly


@pytest.mark.parametrize("after", ("prime-video-after-service", "prime-video-after-ec2"))
def test_an_after_state_with_a_floor_breaks_even_far_below_the_load_and_loses_below_it(
    before: Pricing, after: str
) -> None:
    side = pricing(after)
    c = compare(before, side)
    assert c.break_even_scale is not None and c.break_even_scale < 0.01, c.summary
    assert c.cheaper_below == "before"
    # at very low load the before-state is cheaper: it scales to zero, the after-state has a floor
    low = c.break_even_scale / 10
    assert before.monthly(low) < side.monthly(low)
    assert before.monthly(0.0) == 0 and side.monthly(0.0) > 0
    # and above the break-even the after-state is cheaper
    assert before.monthly(c.break_even_scale * 10) > side.monthly(c.break_even_scale * 10)


def test_the_task_per_stream_after_state_has_no_floor_and_no_break_even(before: Pricing) -> None:
    side = pricing("prime-video-after-task")
    c = compare(before, side)
    assert side.monthly(0.0) == 0
    assert c.break_even_scale is None and "cheaper throughout" in c.summary[-1]


def test_the_before_state_costs_what_the_posts_name_transitions_and_tier1_s3_calls(
    before: Pricing,
) -> None:
    report = before.report()
    top = sorted(report.items, key=lambda i: -i.monthly)
    assert top[0].price_key == "states.standard.transition"
    assert top[0].subject == "MonitorStateMachine"
    # 1 + 4 states at the top level and 4 per frame (convert, parallel, 2 detectors), per second
    assert "75601 per execution" in top[0].what
    puts = {i.subject for i in report.items if i.price_key == "s3.put"}
    assert "ConverterFunction -writes-> FramesBucket" in puts
    assumed = {(a.subject, a.what) for a in report.assumptions if not a.default}
    assert ("MonitorStateMachine", "loop_iterations") in assumed
    assert ("StartRule", "rate (events/s)") in assumed
    # the rule's events are published by someone else: said, not priced
    defaults = {(a.subject, a.what) for a in report.assumptions if a.default}
    assert ("StartRule", "events published") in defaults


def test_the_cli_diff_shows_the_saving_the_break_even_and_a_chart() -> None:
    base, head = str(T / "prime-video-before.yaml"), str(T / "prime-video-after-service.yaml")
    p = run_cli("diff", base, head, "--usage", str(PROFILE))
    assert p.returncode == 0, p.stderr
    assert "Cost (before -> after)" in p.stdout and "% saved" in p.stdout
    assert "Break-even at" in p.stdout and "Idle floor: $0.00/month" in p.stdout
    md = run_cli("diff", base, head, "--usage", str(PROFILE), "-f", "markdown")
    assert "```mermaid\nxychart-beta" in md.stdout and md.stdout.count("    line [") == 2
    data = json.loads(run_cli("diff", base, head, "--usage", str(PROFILE), "-f", "json").stdout)
    assert data["cost"]["saving_percent"] > 90
    assert data["cost"]["break_even"]["cheaper_below"] == "before"
    assert data["before"]["cost"]["idle_monthly"] == 0
    assert data["after"]["cost"]["idle_monthly"] > 0
    kinds = {i["subject_kind"] for i in data["before"]["cost"]["items"]}
    assert kinds == {"node", "edge"}


def test_a_scan_prices_only_when_asked_and_never_imports_the_cost_package_otherwise(
    tmp_path: Path,
) -> None:
    plain = run_cli(str(T / "prime-video-before.yaml"), "-f", "json")
    assert "cost" not in json.loads(plain.stdout)
    code = (
        "import sys, iacscan.cli as c\n"
        "sys.argv = ['iacscan', sys.argv[1]]\n"
        "try:\n    c.main()\nexcept SystemExit as e:\n    print('EXIT', e.code)\n"
        "print('COST', sorted(m for m in sys.modules if m.startswith('iacscan.cost')))\n"
    )
    import subprocess
    import sys

    p = subprocess.run(
        [sys.executable, "-c", code, str(T / "prime-video-before.yaml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "EXIT 0" in p.stdout and "COST []" in p.stdout, p.stdout[-300:] + p.stderr[-1000:]
    # --rate alone prices at that rate with documented defaults, shown as assumptions
    rated = run_cli(str(T / "prime-video-before.yaml"), "--rate", "StartRule=10/h", "-f", "json")
    cost = json.loads(rated.stdout)["cost"]
    assert cost["load"] == [{"node": "StartRule", "events_per_second": pytest.approx(10 / 3600)}]
    assert {a["what"] for a in cost["assumptions"] if a["default"]} >= {"duration_ms", "map_items"}
    # a usage file beside the template is found without --usage
    (tmp_path / "t.yaml").write_text((T / "prime-video-before.yaml").read_text())
    (tmp_path / "iacscan-usage.yaml").write_text("rates: {StartRule: 1/h}\n")
    found = run_cli(str(tmp_path / "t.yaml"), "-f", "json")
    assert json.loads(found.stdout)["cost"]["load"][0]["node"] == "StartRule"
    # --each reports templates separately and prices only when asked explicitly
    each = run_cli("--each", str(tmp_path), "-f", "json")
    assert each.returncode == 0, each.stderr
    assert all("cost" not in r for r in json.loads(each.stdout))
    asked = run_cli("--each", str(tmp_path), "--rate", "StartRule=1/s")
    assert asked.returncode == 2 and "not --each" in asked.stderr


def test_bad_cost_input_is_a_clear_error_never_a_traceback(tmp_path: Path) -> None:
    path = str(T / "prime-video-before.yaml")
    typo = run_cli(path, "--rate", "StartRul=1/s")
    assert typo.returncode == 2 and "did you mean StartRule" in typo.stderr
    bad = tmp_path / "u.yaml"
    bad.write_text("rates:\n  StartRule: 1/s\nresources:\n  StartFunction: {duration_ms: fast}\n")
    p = run_cli(path, "--usage", str(bad))
    assert p.returncode == 3 and f"{bad}:4" in p.stderr and "Traceback" not in p.stderr
    broken = tmp_path / "p.yaml"
    broken.write_text("rows:\n  s3.put: {usd: 1, unit: r}\n")
    q = run_cli(path, "--rate", "StartRule=1/s", "--prices", str(broken))
    assert q.returncode == 3 and "has no `source`" in q.stderr and "Traceback" not in q.stderr


def test_a_side_against_itself_saves_nothing_and_has_no_break_even(before: Pricing) -> None:
    c = compare(before, before)
    assert c.saving_percent == 0 and c.break_even_scale is None
    assert c.summary[-1] == "Both sides cost the same at every load sampled."
