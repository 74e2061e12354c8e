"""The library API: loaded stacks in, an ``Analysis`` out (topology, verdict, findings)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from iacscan import __version__
from iacscan.classify.engine import classify
from iacscan.classify.profile import Profile
from iacscan.model import Analysis, InputError, InputInfo, Template
from iacscan.topology.build import build_topology
from iacscan.topology.labels import relabel, unignored
from iacscan.topology.locations import relocate

REPORT_BUGS = "this is a bug in iacscan: please report it with the template that triggers it"


def analyze(
    templates: Sequence[Template],
    *,
    profile: Profile,
    actions: Mapping[str, tuple[tuple[str, str], ...]],
    inputs: Sequence[InputInfo] = (),
    errors: Sequence[InputError] = (),
    notes: Sequence[str] = (),
    ignore: Iterable[str] = (),
    multi: bool | None = None,
) -> Analysis:
    """``multi`` forces ``STACK/LogicalId`` ids (a diff whose other side has several stacks)."""
    by_stack: dict[str, Template] = {}
    for t in templates:
        by_stack[t.stack] = t
    result = build_topology(by_stack, actions, multi=multi)
    ignore = list(ignore)
    c = classify(result, profile, [i for i in ignore if ":" not in i])
    verdict = c.verdict
    if not by_stack:
        # Nothing was read: the verdict must not read like a judgement of an empty system.
        why = "every input failed (see errors)" if errors else "no template in the input"
        verdict = replace(
            verdict,
            summary=f"Nothing was analysed: {why}.",
            criteria=(),
            architecture_reasons=("nothing was analysed",),
        )
    internal = tuple(
        InputError(file="", line=None, kind="internal", message=f, hint=REPORT_BUGS)
        for f in c.failures
    )
    analysis = Analysis(
        tool_version=__version__,
        inputs=tuple(inputs),
        verdict=verdict,
        topology=c.topology,
        boundary=c.boundary,
        findings=c.findings,
        errors=tuple(errors) + result.input_errors,
        internal_errors=internal,
        notes=tuple(notes) + result.notes,
    )
    labelled = unignored(relabel(analysis, by_stack.values(), multi=multi), ignore)
    return relocate(labelled, by_stack.values())
