"""One verdict for several unlinked systems, each judged on its own.

The rule (README, "Several systems"): the level is the worst of the systems' levels in the order
not-serverless, indeterminate, serverless-with-floor, serverless (no-compute only when every
system has no compute), so ``verdict.serverless`` is false as soon as one system is not
serverless and the ``--fail-on`` gate trips when any system trips. Criteria take the worst status
of each criterion with the evidence of every system; idle costs and warnings are the union. The
architecture is the label of the only system with business compute, else ``distributed`` with
``monolith`` unknown: whether each system is a monolith is in ``systems[]``.
"""

from __future__ import annotations

from collections.abc import Sequence

from iacscan.classify.profile import Profile
from iacscan.model import Cases, Criterion, Level, Status, System, Verdict

_WORST_FIRST: tuple[Level, ...] = (
    "not-serverless",
    "indeterminate",
    "serverless-with-floor",
    "serverless",
    "no-compute",
)
# for the best and worst cases of an indeterminate whole (a case may be no-compute: a root whose
# nested stacks were not seen and which shows no compute itself)
_RANK = {"no-compute": 0, "serverless": 1, "serverless-with-floor": 2, "not-serverless": 3}
_STATUS_WORST_FIRST: tuple[Status, ...] = ("fail", "unknown", "warn", "pass", "n/a")


def combine_verdicts(systems: Sequence[System], profile: Profile) -> Verdict:
    verdicts = [s.verdict for s in systems]
    present = {v.level for v in verdicts}
    level: Level = next(lv for lv in _WORST_FIRST if lv in present)
    serverless = None if level in ("indeterminate", "no-compute") else level in profile.passes
    scales = None if level in ("indeterminate", "no-compute") else level == "serverless"
    cases = _cases(verdicts) if level == "indeterminate" else None
    with_compute = [s for s in systems if s.verdict.architecture != "none"]
    if len(with_compute) == 1:
        architecture, monolith = with_compute[0].verdict.architecture, with_compute[0].verdict.monolith
    elif with_compute:
        architecture, monolith = "distributed", None
    else:
        architecture, monolith = "none", None
    listing = "; ".join(
        f"{s.name}: {s.verdict.level}, {s.verdict.architecture}" for s in systems
    )
    reasons = (
        f"{len(systems)} unlinked systems (no nested stack, import, SSM parameter or configured "
        f"group joins them), each with its own verdict and label: {listing}",
    )
    worst = next(s for s in systems if s.verdict.level == level)
    counts = ", ".join(
        f"{n} {lv}" for lv in _WORST_FIRST if (n := sum(v.level == lv for v in verdicts))
    )
    summary = (
        f"{len(systems)} unlinked systems by {profile.id} ({counts}); the verdict is the worst "
        f"one, {worst.name}: {worst.verdict.summary}"
    )
    warnings = tuple(dict.fromkeys(w for v in verdicts for w in v.warnings))
    return Verdict(
        definition=profile.id,
        serverless=serverless,
        level=level,
        scales_to_zero=scales,
        monolith=monolith,
        architecture=architecture,
        summary=summary,
        criteria=_criteria(verdicts),
        idle_costs=tuple(i for v in verdicts for i in v.idle_costs),
        cases=cases,
        warnings=warnings,
        architecture_reasons=reasons,
    )


def _cases(verdicts: Sequence[Verdict]) -> Cases:
    def bound(v: Verdict, which: str) -> int:
        if v.cases is not None:
            return _RANK[getattr(v.cases, which)]
        return _RANK.get(v.level, _RANK["serverless"])

    names = list(_RANK)
    best = max(bound(v, "best") for v in verdicts)
    worst = max(bound(v, "worst") for v in verdicts)
    missing = tuple(dict.fromkeys(m for v in verdicts if v.cases for m in v.cases.missing))
    return Cases(best=names[best], worst=names[worst], missing=missing)  # type: ignore[arg-type]


def _criteria(verdicts: Sequence[Verdict]) -> tuple[Criterion, ...]:
    by_id: dict[str, list[Criterion]] = {}
    for v in verdicts:
        for c in v.criteria:
            by_id.setdefault(c.id, []).append(c)
    out = []
    for cid, items in by_id.items():
        status = next(s for s in _STATUS_WORST_FIRST if any(c.status == s for c in items))
        evidence = tuple(dict.fromkeys(e for c in items for e in c.evidence))
        out.append(Criterion(id=cid, title=items[0].title, status=status, evidence=evidence))
    return tuple(out)
