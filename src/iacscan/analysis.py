"""The library API: loaded stacks in, an ``Analysis`` out (topology, verdict, findings)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from iacscan import __version__
from iacscan.classify.engine import classify
from iacscan.classify.profile import Profile
from iacscan.model import Analysis, Cases, InputError, InputInfo, Template
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
    if not by_stack and errors:
        # Every input failed (a CDK app that does not synthesize, a template that cannot be
        # read): "could not analyse", never "no compute, no idle cost".
        verdict = replace(
            verdict,
            serverless=None,
            level="indeterminate",
            scales_to_zero=None,
            monolith=None,
            summary=f"Could not analyse: {_failed(errors)} (see errors); no verdict.",
            criteria=(),
            idle_costs=(),
            cases=Cases(
                best="serverless",
                worst="not-serverless",
                missing=("the inputs that could not be analysed (see errors)",),
            ),
            architecture_reasons=("nothing was analysed",),
        )
    elif not by_stack:
        # Nothing was read: the verdict must not read like a judgement of an empty system.
        verdict = replace(
            verdict,
            summary="Nothing was analysed: no template in the input.",
            criteria=(),
            architecture_reasons=("nothing was analysed",),
        )
    else:
        unseen = [e for e in errors if e.kind == "synth"]
        if unseen:
            verdict = replace(
                verdict,
                warnings=(
                    *verdict.warnings,
                    f"Could not analyse {_failed(unseen)}: the verdict covers the other inputs "
                    "only.",
                ),
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


def _failed(errors: Sequence[InputError]) -> str:
    """``the CDK app app/ (it failed to synthesize)`` / ``2 inputs``, for a sentence."""
    if len(errors) == 1:
        e = errors[0]
        what = "the CDK app" if e.kind == "synth" else "the input"
        why = " (it failed to synthesize)" if e.kind == "synth" else ""
        return f"{what} {e.file or '-'}{why}"
    return f"{len(errors)} inputs ({', '.join(e.file or '-' for e in errors[:5])})"
