"""No Python object repr ever reaches a report: every fixture, in every renderer that prints
values from templates (JSON, text, Markdown, SARIF)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from iacscan.render.json_report import render_json
from iacscan.render.markdown import render_markdown
from iacscan.render.sarif import render_sarif
from iacscan.render.text import render_text
from scan_helpers import scan

TEMPLATES = Path(__file__).resolve().parent.parent / "fixtures" / "templates"
CASES = sorted(p for p in TEMPLATES.glob("*.yaml") if not p.name.endswith(".expected.yaml"))
REPR = re.compile(r"<[A-Za-z_.]+ object at 0x|\bUnknown\(|\bRef\(|\bGetAtt\(|<object object")


@pytest.mark.parametrize("template", CASES, ids=[c.stem for c in CASES])
def test_no_object_repr_in_reports(template: Path) -> None:
    a = scan([template])
    outputs = {
        "json": render_json(a),
        "text": render_text(a, color=False),
        "markdown": render_markdown(a),
        "sarif": render_sarif(a, ()),
    }
    for name, out in outputs.items():
        found = REPR.search(out)
        assert found is None, f"{name}: {out[max(0, found.start() - 120) : found.end() + 40]}"


def test_pattern_catches_a_repr() -> None:
    assert REPR.search(f"InstanceType = [{object()!r}]")
    assert REPR.search("Unknown(options=())")
