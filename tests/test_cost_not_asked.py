"""Issue 19 goal 5: the cost model costs nothing when it is not asked for.

A scan without --usage, --rate or --prices (and without an iacscan-usage.yaml beside the path)
imports no module of the cost model or of its renderers, in any format, and its report is the
same byte for byte as a scan in which importing them fails.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "fixtures" / "templates" / "prime-video-before.yaml"
COST_MODULES = (
    "iacscan.cost",
    "iacscan.render.costs",
    "iacscan.render.cost_json",
    "iacscan.render.cost_markdown",
)
COST_PREFIXES = ("iacscan.cost.",)

# Runs one scan in this process; with "block", every cost module fails to import.
_CODE = """
import json, sys
block = sys.argv[1] == "block"
if block:
    for name in {modules!r}:
        sys.modules[name] = None  # `import name` now raises ImportError
import iacscan.cli as cli
sys.argv = ["iacscan", *sys.argv[2:]]
try:
    cli.main()
except SystemExit as e:
    code = e.code
sys.stdout.flush()
loaded = sorted(
    m for m, mod in sys.modules.items()
    if mod is not None and (m in {modules!r} or m.startswith({prefixes!r}))
)
print("\\nLOADED " + json.dumps(loaded) + " EXIT " + str(code), file=sys.stderr)
"""


def _scan(block: bool, *args: str) -> tuple[str, list[str], str]:
    code = _CODE.format(modules=COST_MODULES, prefixes=COST_PREFIXES)
    p = subprocess.run(
        [sys.executable, "-c", code, "block" if block else "run", str(TEMPLATE), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    tail = p.stderr.rsplit("\nLOADED ", 1)
    assert len(tail) == 2, p.stderr[-2000:]
    loaded, _, exit_code = tail[1].partition(" EXIT ")
    return p.stdout, json.loads(loaded), exit_code.strip()


@pytest.mark.parametrize("fmt", ["json", "text", "markdown", "sarif"])
def test_a_scan_without_cost_options_loads_and_runs_nothing_of_the_cost_model(fmt: str) -> None:
    assert not (TEMPLATE.parent / "iacscan-usage.yaml").exists()
    args = ("-f", fmt, "--no-color")
    out, loaded, code = _scan(False, *args)
    assert code == "0" and loaded == [], (code, loaded)
    assert out.strip()
    blocked_out, _, blocked_code = _scan(True, *args)
    assert blocked_code == "0" and blocked_out == out


def test_the_block_is_real() -> None:
    """With a rate, the blocked scan cannot price: the comparison above can fail."""
    out, loaded, code = _scan(False, "--rate", "StartRule=1/s", "-f", "json")
    assert code == "0" and "iacscan.cost.price" in loaded and '"cost": {' in out
    blocked_out, _, blocked_code = _scan(True, "--rate", "StartRule=1/s", "-f", "json")
    assert blocked_code != "0" and blocked_out != out
