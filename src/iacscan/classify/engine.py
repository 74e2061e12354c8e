"""Classification: level, architecture, criteria, boundary and findings for one topology.

The engine knows no profile by name: it reads the profile's passing levels and switches.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from iacscan.classify.architecture import label_architecture, outside_units
from iacscan.classify.boundary import find_boundary
from iacscan.classify.criteria import evaluate_criteria
from iacscan.classify.findings.base import RuleInput
from iacscan.classify.findings.registry import RULES
from iacscan.classify.levels import LevelResult, decide_level
from iacscan.classify.profile import Profile
from iacscan.knowledge.resource_types import may_be_capacity
from iacscan.knowledge.transforms import KNOWN_AWS_TRANSFORMS
from iacscan.model import (
    Boundary,
    Finding,
    IdleCost,
    Level,
    Suppression,
    Template,
    Topology,
    Verdict,
)
from iacscan.topology.result import TopologyResult


@dataclass(frozen=True, slots=True)
class Classification:
    verdict: Verdict
    topology: Topology
    boundary: Boundary
    findings: tuple[Finding, ...]
    failures: tuple[str, ...]
    unclassified: Mapping[str, int]
    suppressed: tuple[Suppression, ...] = ()


_log = logging.getLogger("iacscan.classify")  # rule tracebacks, shown by `iacscan --debug`

LEVEL_WORDS = {
    "serverless": "nothing costs money while idle except data storage",
    "serverless-with-floor": "no servers you manage, but something is paid for while idle",
    "not-serverless": "servers or instance-sized capacity you pay for whether used or not",
    "indeterminate": "indeterminate",
    "no-compute": "no compute in scope",
}


def classify(
    result: TopologyResult, profile: Profile, ignore: Iterable[str] = ()
) -> Classification:
    levels = decide_level(result, profile)
    props: dict[str, dict[str, str | int | bool | None]] = {}
    for a in levels.assessments:
        if a.properties:
            props.setdefault(a.node, {}).update(a.properties)
    topology = Topology(
        nodes=tuple(
            replace(n, properties={**n.properties, **props.get(n.id, {})})
            for n in result.topology.nodes
        ),
        edges=result.topology.edges,
    )
    ctx = result.view
    arch = label_architecture(ctx, topology)
    level: Level = levels.level
    judged = levels.has_compute or level == "not-serverless"  # servers alone are judged too
    criteria = evaluate_criteria(levels.assessments, topology, profile, judged)
    serverless = None if level in ("indeterminate", "no-compute") else level in profile.passes
    scales = None if level in ("indeterminate", "no-compute") else level == "serverless"
    warnings = list(levels.warnings)
    warnings += [w for t in ctx.templates.values() for w in t.warnings]  # tolerated by the loader
    free = {t: n for t, n in levels.unclassified.items() if not may_be_capacity(t)}
    if free:
        names = ", ".join(f"{t} ({n})" for t, n in sorted(free.items()))
        warnings.append(
            f"resource types not in iacscan's table, treated as free configuration: {names}"
        )
    warnings += unknown_suppressions(result)
    failures = tuple(str(f) for f in result.failures)
    findings, suppressed, rule_failures = _findings(result, topology, set(ignore))
    warnings += _macro_warnings(ctx.templates.values())
    warnings += _undefined_references(ctx.undefined, _template_macros(ctx.templates.values()))
    verdict = Verdict(
        definition=profile.id,
        serverless=serverless,
        level=level,
        scales_to_zero=scales,
        monolith=arch.monolith,
        architecture=arch.label,
        # (what may hide compute out of scope makes the level indeterminate: levels.combine)
        summary=_summary(
            profile,
            level,
            serverless,
            arch.label,
            _decisive(levels),
            levels.cases,
            outside=bool(outside_units(topology)),
        )
        + _partial(arch.label, arch.monolith),
        criteria=criteria,
        idle_costs=levels.idle_costs,
        cases=levels.cases,
        warnings=tuple(warnings),
        architecture_reasons=arch.reasons,
    )
    return Classification(
        verdict=verdict,
        topology=topology,
        boundary=find_boundary(ctx, topology),
        findings=findings,
        failures=failures + rule_failures,
        unclassified=levels.unclassified,
        suppressed=suppressed,
    )


def _findings(
    result: TopologyResult, topology: Topology, ignore: set[str]
) -> tuple[tuple[Finding, ...], tuple[Suppression, ...], tuple[str, ...]]:
    """The findings, the suppressed ones (a rule in ``ignore`` still runs, so that SARIF can
    show what it would have found, as suppressed) and the rules that failed."""
    # Deploy-time helpers (custom resource providers, CDK's notification, log-retention and
    # deployment handlers) run while CloudFormation deploys: never the source of a finding.
    helpers = {n.id for n in topology.nodes if n.deploy_time}
    runtime = Topology(
        tuple(n for n in topology.nodes if n.id not in helpers),
        tuple(e for e in topology.edges if e.source not in helpers and e.target not in helpers),
    )
    data = RuleInput(result.view, result.facts, runtime)
    findings: list[Finding] = []
    suppressed: list[Suppression] = []
    failures: list[str] = []
    for doc, check in RULES:
        ignored = doc.id in ignore
        try:
            found = check(data)
        except Exception as err:  # a rule bug must not lose the report
            if not ignored:
                failures.append(f"rule {doc.id} failed: {type(err).__name__}: {err}")
                _log.debug("internal error: %s", failures[-1], exc_info=err)
            continue
        for f in found:
            if ignored:
                suppressed.append(Suppression(f, "ignore", f"--ignore {doc.id}"))
            elif (where := _suppressed_by(result, f)) is not None:
                suppressed.append(Suppression(f, "metadata", f"Metadata iacscan ignore on {where}"))
            else:
                findings.append(f)
    findings.sort(key=lambda f: (f.rule, f.resources))
    suppressed.sort(key=lambda s: (s.finding.rule, s.finding.resources))
    return tuple(findings), tuple(suppressed), tuple(failures)


SUPPRESSION_WARNING = "Metadata iacscan ignore"


def unknown_suppressions(result: TopologyResult) -> list[str]:
    """A typo in ``Metadata: {iacscan: {ignore: [...]}}`` would silently suppress nothing: say
    so, as ``--ignore`` does (a warning: the template may name a rule of a newer iacscan)."""
    import difflib

    known = sorted(doc.id for doc, _ in RULES)
    out = []
    for t in result.view.templates.values():
        for lid, res in t.resources.items():
            meta = res.metadata.get("iacscan") if isinstance(res.metadata, Mapping) else None
            ignored = meta.get("ignore") if isinstance(meta, Mapping) else None
            for rule in ignored if isinstance(ignored, list) else []:
                if str(rule) in known:
                    continue
                close = difflib.get_close_matches(str(rule), known, n=1)
                hint = f"did you mean {close[0]}?" if close else f"rule ids: {', '.join(known)}"
                where = f"{t.file}:{res.line}" if res.line else t.file
                out.append(
                    f"{SUPPRESSION_WARNING} on {lid} ({where}): {str(rule)[:80]}: no such rule; {hint}"
                )
    return out


def _suppressed_by(result: TopologyResult, finding: Finding) -> str | None:
    """The resource whose Metadata suppresses ``finding``, if any."""
    ctx = result.view
    for node in finding.resources:
        key = ctx.key_of.get(node)
        res = ctx.resource(key) if key else None
        meta = res.metadata.get("iacscan") if res is not None else None
        ignored = meta.get("ignore") if isinstance(meta, dict) else None
        if isinstance(ignored, list) and finding.rule in [str(i) for i in ignored]:
            return node
    return None


def _decisive(levels: LevelResult) -> tuple[IdleCost, ...]:
    """Idle costs of the resources that set the level first, then the others."""
    top = {a.node for a in levels.assessments if a.level == levels.level}
    return tuple(sorted(levels.idle_costs, key=lambda i: i.node not in top))


def _undefined_references(
    found: frozenset[tuple[str, str]], macros: Mapping[str, list[str]] | None = None
) -> list[str]:
    """One warning per template that references names it does not define. A template that a
    macro rewrites may get them from the macro: no claim that CloudFormation rejects it."""
    by_file: dict[str, list[str]] = {}
    for file, what in sorted(found):
        by_file.setdefault(file, []).append(what)
    out = []
    for file, names in by_file.items():
        shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
        makers = (macros or {}).get(file)
        one = len(names) == 1
        why = (
            f"; {_macros_phrase(makers)} may create {'it' if one else 'them'} at deploy time"
            if makers
            else ": CloudFormation rejects it"
        )
        out.append(
            f"{file}: {shown} {'names' if one else 'name'} nothing the template defines (no "
            f"resource or parameter of that name){why}; iacscan read "
            f"{'that value' if one else 'those values'} as unknown"
        )
    return out


def _template_macros(templates: Iterable[Template]) -> dict[str, list[str]]:
    """The macros that run on each template file (they may add any resource)."""
    out: dict[str, list[str]] = {}
    for t in templates:
        for m in t.macros:
            if m.resource is None and m.name not in out.get(t.file, []):
                out.setdefault(t.file, []).append(m.name)
    return out


def _macros_phrase(names: Sequence[str]) -> str:
    """``macro A``, ``macros A, B``; an include is named as such (``AWS::Include of X``)."""
    if any(n.startswith("AWS::Include") for n in names):
        return ", ".join(n if n.startswith("AWS::Include") else f"macro {n}" for n in names)
    return ("macro " if len(names) == 1 else "macros ") + ", ".join(names)


def _macro_warnings(templates: Iterable[Template]) -> list[str]:
    """Macros iacscan does not run: what they add is unseen (topology/build.py ``_macros``)."""
    out = []
    for file, every in _template_macros(templates).items():
        known = [n for n in every if n in KNOWN_AWS_TRANSFORMS]
        for name in known:
            out.append(
                f"{file}: transform {name} adds {KNOWN_AWS_TRANSFORMS[name]} at deploy time; "
                "iacscan does not run it (no servers: see 'Not in scope')"
            )
        names = [n for n in every if n not in KNOWN_AWS_TRANSFORMS]
        if not names:
            continue
        one = len(names) == 1
        out.append(
            f"{file}: {_macros_phrase(names)} {'rewrites' if one else 'rewrite'} the template "
            f"at deploy time; iacscan does not run {'it' if one else 'them'}, so whatever "
            f"{'it adds or changes' if one else 'they add or change'} (servers included) is "
            "not in this report"
        )
    for t in templates:
        by_name: dict[str, list[str]] = {}
        for m in t.macros:
            if m.resource is not None:
                where = f"{m.resource} ({t.file}:{m.line})" if m.line else m.resource
                by_name.setdefault(m.name, []).append(where)
        for name, wheres in by_name.items():
            at = ", ".join(dict.fromkeys(wheres))
            if name.startswith("AWS::Include"):
                snippet = name.split(" of ", 1)[1] if " of " in name else "a snippet"
                out.append(
                    f"{t.file}: Fn::Transform includes {snippet} with AWS::Include at deploy "
                    f"time in values of {at}; iacscan does not read it and reads those values "
                    "as unknown"
                )
                continue
            out.append(
                f"{t.file}: Fn::Transform runs macro {name} at deploy time on values of {at}; "
                "iacscan does not run it and reads those values as unknown"
            )
    return out


def _summary(
    profile: Profile,
    level: str,
    serverless: bool | None,
    arch: str,
    idle: tuple[object, ...],
    cases: object,
    *,
    outside: bool = False,
) -> str:
    arch_words = {
        "single-service": "a single service (not a monolith)",
        "distributed": "distributed across several services",
        "monolith-candidate": "a monolith candidate (one unit behind all request ingress)",
        "none": "no business compute in scope (it starts compute defined outside the scan)"
        if outside
        else "no business compute",
    }[arch]
    if serverless is None:
        if level == "no-compute":
            if not idle:
                return f"No compute in scope (storage or configuration only); by {profile.id} there is nothing to judge."
            # No verdict, but the evidence must not be contradicted: say what bills while idle.
            return (
                f"No compute in scope, so no serverless verdict by {profile.id}; but it is paid "
                f"for while idle{_floor(idle)}."
            )
        return (
            f"Indeterminate by {profile.id}: something that decides the level is unknown or not in "
            "scope "
            f"(best case {getattr(cases, 'best', '?')}, worst case {getattr(cases, 'worst', '?')}; "
            f"missing: {'; '.join(getattr(cases, 'missing', ()) or ('?',))}); {arch_words}."
        )
    verb = "Serverless" if serverless else "Not serverless"
    detail = LEVEL_WORDS[level]
    if level == "serverless-with-floor" and any(
        getattr(i, "kind", "") == "ecs-on-ec2" for i in idle
    ):
        detail = "containers autoscale with events, on EC2 capacity in your account (accepted with a warning)"
    return f"{verb} by {profile.id} (level {level}): {detail}{_floor(idle)}; {arch_words}."


def _floor(idle: tuple[object, ...]) -> str:
    """`` (Node: why and N more)`` for the first idle cost, or nothing."""
    if not idle:
        return ""
    first = idle[0]
    why = str(getattr(first, "why", "")).rstrip(".")
    why = why if len(why) <= 140 else why[:137] + "..."
    more = f" and {len(idle) - 1} more" if len(idle) > 1 else ""
    return f" ({getattr(first, 'node', '')}: {why}{more})"


def _partial(label: str, monolith: bool | None) -> str:
    """A one-unit label drawn from part of the system (the rest was not seen) says so."""
    if monolith is None and label == "monolith-candidate":
        return " The architecture label covers only what was seen."
    return ""
