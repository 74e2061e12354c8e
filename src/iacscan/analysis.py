"""The library API: loaded stacks in, an ``Analysis`` out (topology, verdict, findings)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from iacscan import __version__
from iacscan.classify.engine import classify
from iacscan.classify.profile import Profile
from iacscan.classify.systems_verdict import combine_verdicts
from iacscan.model import (
    Analysis,
    Boundary,
    Cases,
    Edge,
    InputError,
    InputInfo,
    Node,
    System,
    Template,
    Topology,
)
from iacscan.topology.build import build_topology
from iacscan.topology.labels import labels_across, relabel, unignored
from iacscan.topology.locations import relocate
from iacscan.topology.systems import StackGroup, group_stacks

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
    systems: Sequence[str | Sequence[str]] = (),
) -> Analysis:
    """``multi`` forces ``STACK/LogicalId`` ids (a diff whose other side has several stacks).

    Templates that nothing links (topology/systems.py; ``systems`` are configured globs that
    group files) are separate systems: each gets its own topology and verdict, and the report's
    verdict summarises them (classify/systems_verdict.py)."""
    by_stack: dict[str, Template] = {}
    for t in templates:
        by_stack[t.stack] = t
    ignore = tuple(ignore)
    roots = [t for t in by_stack.values() if t.parent is None]
    groups = group_stacks(by_stack, inputs, systems) if len(roots) > 1 else []
    if len(groups) <= 1:
        one = _analyze_system(by_stack, profile, actions, inputs, errors, notes, ignore, multi)
        return _for_people(one, by_stack, ignore, multi)
    raw = []
    for g in groups:
        stacks = {s: by_stack[s] for s in g.stacks}
        part = _analyze_system(
            stacks, profile, actions, inputs, _errors_near(errors, g, groups), (), ignore, True
        )
        raw.append((g, stacks, part))
    # labels chosen over every system's nodes at once: unique in the whole report
    chosen = labels_across((n for _, _, p in raw for n in p.topology.nodes), by_stack.values())
    # each system's verdict, nodes and evidence named and placed as people read them
    parts = [(g, _for_people(p, stacks, ignore, True, chosen)) for g, stacks, p in raw]
    return _combine(parts, profile, inputs, errors, notes)


def _for_people(
    analysis: Analysis,
    by_stack: Mapping[str, Template],
    ignore: Sequence[str],
    multi: bool | None,
    chosen: Mapping[str, str] | None = None,
) -> Analysis:
    """Names people read (CDK construct paths as labels), suppressions by resource, and
    locations in the user's source (topology/labels.py, topology/locations.py)."""
    labelled = unignored(relabel(analysis, by_stack.values(), multi=multi, chosen=chosen), ignore)
    return relocate(labelled, by_stack.values())


def _analyze_system(
    by_stack: Mapping[str, Template],
    profile: Profile,
    actions: Mapping[str, tuple[tuple[str, str], ...]],
    inputs: Sequence[InputInfo],
    errors: Sequence[InputError],
    notes: Sequence[str],
    ignore: Iterable[str],
    multi: bool | None,
) -> Analysis:
    result = build_topology(by_stack, actions, multi=multi, unseen_errors=errors)
    # ``RULE:RESOURCE`` ignores suppress one resource's finding: applied after labelling
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
    return Analysis(
        tool_version=__version__,
        inputs=tuple(inputs),
        verdict=verdict,
        topology=c.topology,
        boundary=c.boundary,
        findings=c.findings,
        errors=tuple(errors) + result.input_errors,
        internal_errors=internal,
        notes=tuple(notes) + result.notes,
        suppressed=c.suppressed,
    )


def _errors_near(
    errors: Sequence[InputError], group: StackGroup, groups: Sequence[StackGroup]
) -> list[InputError]:
    """The failed inputs that may belong to a system: those in one of its folders; a failure in
    no system's folder may belong to any, so every system is told it was not seen."""

    def folders(g: StackGroup) -> set[str]:
        return {os.path.dirname(f) for f in g.files}

    mine = folders(group)
    anyone = set().union(*(folders(g) for g in groups))
    return [
        e
        for e in errors
        if os.path.dirname(e.file) in mine or os.path.dirname(e.file) not in anyone
    ]


def _combine(
    parts: Sequence[tuple[StackGroup, Analysis]],
    profile: Profile,
    inputs: Sequence[InputInfo],
    errors: Sequence[InputError],
    notes: Sequence[str],
) -> Analysis:
    nodes: dict[str, Node] = {}
    edges: dict[tuple[str, str, str], Edge] = {}
    for _, a in parts:
        for n in a.topology.nodes:
            nodes.setdefault(n.id, n)
        for e in a.topology.edges:
            key = (e.source, e.target, e.kind)
            prev = edges.get(key)
            via = e.via if prev is None else tuple(dict.fromkeys(prev.via + e.via))
            edges[key] = replace(e, via=via)
    systems = tuple(
        System(
            name=g.name,
            stacks=g.stacks,
            files=g.files,
            nodes=tuple(n.id for n in a.topology.nodes),
            verdict=a.verdict,
        )
        for g, a in parts
    )
    analyses = [a for _, a in parts]

    def union(items: Iterable[str]) -> tuple[str, ...]:
        return tuple(sorted(set(items)))

    return Analysis(
        tool_version=__version__,
        inputs=tuple(inputs),
        verdict=combine_verdicts(systems, profile),
        topology=Topology(
            nodes=tuple(nodes[i] for i in sorted(nodes)),
            edges=tuple(edges[k] for k in sorted(edges)),
        ),
        boundary=Boundary(
            ingress=union(i for a in analyses for i in a.boundary.ingress),
            egress=union(i for a in analyses for i in a.boundary.egress),
        ),
        findings=tuple(
            sorted(
                dict.fromkeys(f for a in analyses for f in a.findings),
                key=lambda f: (f.rule, f.resources),
            )
        ),
        errors=tuple(
            dict.fromkeys([*errors, *(e for a in analyses for e in a.errors if e not in errors)])
        ),
        internal_errors=tuple(dict.fromkeys(e for a in analyses for e in a.internal_errors)),
        notes=tuple(dict.fromkeys([*notes, *(n for a in analyses for n in a.notes)])),
        suppressed=tuple(dict.fromkeys(s for a in analyses for s in a.suppressed)),
        systems=systems,
        resource_labels={k: v for a in analyses for k, v in a.resource_labels.items()},
    )


def _failed(errors: Sequence[InputError]) -> str:
    """``the CDK app app/ (it failed to synthesize)`` / ``2 inputs``, for a sentence."""
    if len(errors) == 1:
        e = errors[0]
        what = "the CDK app" if e.kind == "synth" else "the input"
        why = " (it failed to synthesize)" if e.kind == "synth" else ""
        return f"{what} {e.file or '-'}{why}"
    return f"{len(errors)} inputs ({', '.join(e.file or '-' for e in errors[:5])})"
