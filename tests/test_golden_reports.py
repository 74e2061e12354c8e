"""The real ``--format json`` report of every fixture, evidence included, against its snapshot.

The hand-written ``*.expected.yaml`` files pin what a reader checks (nodes, edges, verdict); these
snapshots pin everything else the JSON contract carries: edge evidence (``via`` what, file, line,
weak), node lines and deploy-time marks, criteria evidence, idle costs, findings with their
locations, notes. A change to any of it must show up here and be named in a commit.
``UPDATE_SNAPSHOTS=1`` rewrites them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from golden import assert_snapshot
from iacscan.render.json_report import analysis_to_dict
from scan_helpers import scan

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


def _inputs() -> list[tuple[str, list[str]]]:
    cases: list[tuple[str, list[str]]] = []
    for folder in ("templates", "sam", "stacks"):
        for path in sorted((FIXTURES / folder).glob("*.yaml")):
            if path.name.endswith(".expected.yaml"):
                continue
            cases.append((f"{folder}-{path.stem}", [str(path.relative_to(ROOT))]))
    for folder in sorted((FIXTURES / "multi").iterdir()):
        cases.append((f"multi-{folder.name}", [str(folder.relative_to(ROOT))]))
    return cases


CASES = _inputs()


def report(paths: list[str]) -> dict[str, object]:
    data = analysis_to_dict(scan(paths))
    data["tool"] = {"name": "iacscan", "version": "<version>"}
    return data


@pytest.mark.parametrize(("name", "paths"), CASES, ids=[c[0] for c in CASES])
def test_json_report_matches_snapshot(
    name: str, paths: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)  # files in the report are relative to the repository, as in CI
    text = json.dumps(report(paths), indent=2, sort_keys=False) + "\n"
    assert_snapshot(f"json/{name}.json", text)


def test_every_fixture_has_a_snapshot() -> None:
    """No stale snapshots: each one belongs to a fixture that still exists."""
    names = {f"{c[0]}.json" for c in CASES}
    present = {p.name for p in (Path(__file__).parent / "snapshots" / "json").glob("*.json")}
    assert present == names
