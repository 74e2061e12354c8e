"""Every finding rule and criterion has a fixture where it fires and one where it stays quiet;
every decider is seen giving at least two different answers (a decider that always answers the
same is a table row, not a decider). A registry entry no fixture exercises is named here."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from iacscan.classify import deciders as deciders_module
from iacscan.classify.criteria import CRITERIA
from iacscan.classify.findings.registry import RULES
from iacscan.classify.profile import all_profiles
from scan_helpers import scan
from test_golden_reports import CASES

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def outcomes() -> dict[str, dict[str, set[str]]]:
    """For each registry entry: the fixtures where it fired and those where it stayed quiet."""
    seen: dict[str, dict[str, set[str]]] = defaultdict(
        lambda: {"fired": set(), "quiet": set(), "answers": set()}
    )
    current = {"case": ""}
    originals = dict(deciders_module.DECIDERS)

    def recording(name: str, fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def wrapped(d: Any) -> Any:
            a = fn(d)
            seen[f"decider:{name}"]["answers"].add(a.level if a is not None else "none")
            return a

        return wrapped

    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)
        for name, fn in originals.items():
            patch.setitem(deciders_module.DECIDERS, name, recording(name, fn))
        for case, paths in CASES:
            for profile in all_profiles():
                current["case"] = f"{case} ({profile.id})"
                a = scan(paths, profile.id)
                rules = {f.rule for f in a.findings}
                for doc, _ in RULES:
                    seen[f"rule:{doc.id}"]["fired" if doc.id in rules else "quiet"].add(case)
                for c in a.verdict.criteria:
                    if c.status in ("fail", "warn"):
                        seen[f"criterion:{c.id}"]["fired"].add(current["case"])
                    elif c.status == "pass":
                        seen[f"criterion:{c.id}"]["quiet"].add(current["case"])
    return seen


def _entries() -> list[str]:
    return (
        [f"rule:{doc.id}" for doc, _ in RULES]
        + [f"criterion:{c.id}" for c in CRITERIA]
        + [f"decider:{name}" for name in deciders_module.DECIDERS]
    )


@pytest.mark.parametrize("entry", _entries())
def test_fires_somewhere_and_stays_quiet_somewhere(
    entry: str, outcomes: dict[str, dict[str, set[str]]]
) -> None:
    seen = outcomes[entry]
    if entry.startswith("decider:"):
        answers = seen["answers"]
        assert len(answers) >= 2, f"{entry}: fixtures only ever get {answers}; add a fixture"
        return
    assert seen["fired"], f"{entry}: no fixture makes it fire; add one under fixtures/"
    assert seen["quiet"], f"{entry}: no fixture where it stays quiet; add one under fixtures/"
