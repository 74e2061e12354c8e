"""Compare two analyses of one system (base and head of a pull request).

Nodes match by id; a node whose id appears on one side only matches a node of the other side
with the same CDK construct path (CDK changed the hash in its logical id): that is a change with
an ``id`` entry, not a removal plus an addition. Edges, boundary ids and finding resources of
the before side are mapped through those renames before they are compared, so a renamed node
does not make its edges look new. Removed edges are reported with mapped ids, which name either
a node of the after side or a removed node.

A template one side could not read (``InputError.stack``; every template, when that side read
nothing) hides its nodes on that side: the other side's nodes of that stack are not analysed
(``nodes_unread``), not removed or added, and the unread side's stand-in ``ext:`` node is no
addition. Edges, boundary entries and findings that name such a node are not compared either,
nor is an ``ext:`` node only such nodes reach.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from iacscan.model import (
    Analysis,
    AnalysisDiff,
    Edge,
    Finding,
    Node,
    NodeChange,
    SystemChange,
    Verdict,
)

MAX_NAMES = 25


def _renames(before: Mapping[str, Node], after: Mapping[str, Node]) -> dict[str, str]:
    """before id -> after id for nodes that are only on one side but share a construct path."""

    def by_path(nodes: Iterable[Node]) -> dict[str, list[str]]:
        paths: dict[str, list[str]] = {}
        for n in nodes:
            if n.path:
                paths.setdefault(n.path, []).append(n.id)
        return paths

    only_before = by_path(n for i, n in before.items() if i not in after)
    only_after = by_path(n for i, n in after.items() if i not in before)
    renames: dict[str, str] = {}
    for path, ids in sorted(only_before.items()):
        others = only_after.get(path, [])
        if len(ids) == 1 and len(others) == 1:  # ambiguous paths are not guessed
            renames[ids[0]] = others[0]
    return renames


def _unset(value: object) -> object:
    """A changed property's value as every renderer shows it: a missing one is "unset"."""
    return "unset" if value is None else value


def _replacements(
    removed: Iterable[str],
    added: Iterable[str],
    before: Mapping[str, Node],
    after: Mapping[str, Node],
) -> tuple[tuple[str, str], ...]:
    """(removed, added) pairs that are likely one resource under a new logical id: the only
    removed and the only added node of a type in a stack (``ext:`` nodes are not resources)."""

    # two versions of one template under different file names (`diff before.yaml after.yaml`)
    # are one stack: each side holding one stack, stacks are not compared
    one = all(
        len({n.stack for n in nodes.values() if not n.id.startswith("ext:")}) <= 1
        for nodes in (before, after)
    )

    def group(ids: Iterable[str], nodes: Mapping[str, Node]) -> dict[tuple[str, str], list[str]]:
        out: dict[tuple[str, str], list[str]] = {}
        for i in ids:
            n = nodes[i]
            if n.role != "external" and not i.startswith("ext:"):
                out.setdefault(("" if one else n.stack, n.type), []).append(i)
        return out

    gone, new = group(removed, before), group(added, after)
    return tuple(
        sorted(
            (ids[0], new[k][0])
            for k, ids in gone.items()
            if len(ids) == 1 and len(new.get(k, [])) == 1
        )
    )


def _node_changes(old: Node, new: Node) -> dict[str, tuple[object, object]]:
    changes: dict[str, tuple[object, object]] = {}
    if old.id != new.id:
        changes["id"] = (old.id, new.id)
    if old.type != new.type:
        changes["type"] = (old.type, new.type)
    if old.role != new.role:
        changes["role"] = (old.role, new.role)
    for key in sorted(set(old.properties) | set(new.properties)):
        was, now = old.properties.get(key), new.properties.get(key)
        if was != now:
            changes[f"properties.{key}"] = (was, now)
    return changes


def _finding_key(f: Finding, rename: Mapping[str, str]) -> tuple[str, tuple[str, ...]]:
    return (f.rule, tuple(sorted(rename.get(r, r) for r in f.resources)))


def _names(
    ids: Iterable[str], nodes: Mapping[str, Node] | None = None, labels: Mapping[str, str] = {}
) -> str:
    """Node ids as people read them (labels), with their types when ``nodes`` is given."""
    items = sorted(ids, key=lambda i: labels.get(i, i))
    shown = [
        f"{labels.get(i, i)} ({nodes[i].type})" if nodes and i in nodes else labels.get(i, i)
        for i in items[:MAX_NAMES]
    ]
    more = len(items) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _verdict_sentence(b: Verdict, a: Verdict, labels: Mapping[str, str]) -> str:
    definition = a.definition
    if a.definition != b.definition:
        definition = f"{b.definition} -> {a.definition}"
    levels = a.level if a.level == b.level else f"{b.level} -> {a.level}"
    if a.serverless is True:
        head = "Still serverless" if b.serverless is True else "Becomes serverless"
    elif a.serverless is False:
        head = "Stops being serverless" if b.serverless is not False else "Still not serverless"
    else:
        head = "Still undecided" if b.serverless is None else "Serverless verdict becomes undecided"
    sentence = f"{head} ({definition}): {levels}"
    if a.level != b.level:
        if a.idle_costs:
            costs = "; ".join(
                f"{labels.get(c.node, c.node)} ({c.kind}): {c.why}"
                for c in a.idle_costs[:MAX_NAMES]
            )
            sentence += f"; paid while idle: {costs}"
        elif b.idle_costs:
            sentence += "; nothing is paid for while idle any more"
        if a.cases is not None and a.cases.missing:
            sentence += f"; undecided until known: {', '.join(a.cases.missing)}"
    return sentence


def _summary(d: AnalysisDiff, before: Mapping[str, Node], after: Mapping[str, Node]) -> list[str]:
    vb, va = d.before.verdict, d.after.verdict
    labels = {**d.before.names(), **d.after.names()}
    out = [_verdict_sentence(vb, va, labels)]
    out.extend(_system_sentence(c) for c in d.systems_changed)
    bound = d.after.boundary
    unread_b, unread_a = _Unread.of(d.before), _Unread.of(d.after)
    if unread_a.everything or unread_b.everything:
        pass  # one side read nothing: no black box to compare
    elif not (d.ingress_added or d.ingress_removed or d.egress_added or d.egress_removed):
        ingress, egress = _names(bound.ingress, labels=labels), _names(bound.egress, labels=labels)
        where = " where both sides were read" if unread_a.stacks or unread_b.stacks else ""
        out.append(f"Same black box{where}: ingress {{{ingress}}}, egress {{{egress}}}")
    else:
        parts = []
        for side, added, removed in (
            ("ingress", d.ingress_added, d.ingress_removed),
            ("egress", d.egress_added, d.egress_removed),
        ):
            if added:
                parts.append(f"{side} added {{{_names(added, labels=labels)}}}")
            if removed:
                parts.append(f"{side} removed {{{_names(removed, labels=labels)}}}")
        now_in, now_out = _names(bound.ingress, labels=labels), _names(bound.egress, labels=labels)
        out.append(
            f"Boundary changed: {'; '.join(parts)} (now ingress {{{now_in}}}, egress {{{now_out}}})"
        )
    if d.nodes_removed:
        out.append(f"Removed: {_names(d.nodes_removed, before, labels)}")
    if d.nodes_added:
        out.append(f"Added: {_names(d.nodes_added, after, labels)}")
    for old_id, new_id in d.nodes_replaced:
        node = before[old_id]
        loss = " a store's data does not move;" if node.role == "store" else ""
        out.append(
            f"Replaced? {labels.get(old_id, old_id)} -> {labels.get(new_id, new_id)} "
            f"({node.type}, the only one removed and added in its stack): a new logical id makes "
            f"CloudFormation create the new resource and delete the old one;{loss} keep the old "
            "id if it is a rename"
        )
    if d.nodes_changed:
        changed = [
            f"{labels.get(c.id, c.id)} ({', '.join(f'{k}: {_unset(v[0])} -> {_unset(v[1])}' for k, v in c.changes.items())})"
            for c in d.nodes_changed[:MAX_NAMES]
        ]
        more = len(d.nodes_changed) - len(changed)
        out.append("Changed: " + "; ".join(changed) + (f" and {more} more" if more > 0 else ""))
    for side, ids in (
        ("after", [i for i in d.nodes_unread if i in before]),
        ("before", [i for i in d.nodes_unread if i in after and i not in before]),
    ):
        if ids:
            out.append(
                f"Not analysed (the {side} side could not read their template, so they are "
                f"neither removed nor added): {_names(ids, before if side == 'after' else after, labels)}"
            )
    if unread_a.everything or unread_b.everything:
        side = "after" if unread_a.everything else "before"
        out.append(f"Architecture not compared: nothing of the {side} side could be read")
    elif va.architecture != vb.architecture:
        partial = unread_a.stacks or unread_b.stacks
        out.append(
            f"Architecture: {vb.architecture} -> {va.architecture}"
            + (" (of what each side could read)" if partial else "")
        )
    else:
        out.append(f"Architecture unchanged: {va.architecture}")
    if d.edges_added or d.edges_removed:
        out.append(f"Edges: {len(d.edges_added)} added, {len(d.edges_removed)} removed")
    new_rules = sorted({f.rule for f in d.findings_new})
    fixed_rules = sorted({f.rule for f in d.findings_fixed})
    out.append(
        f"Findings: {len(d.findings_new)} new"
        + (f" ({', '.join(new_rules)})" if new_rules else "")
        + f", {len(d.findings_fixed)} fixed"
        + (f" ({', '.join(fixed_rules)})" if fixed_rules else "")
    )
    for side, an in (("before", d.before), ("after", d.after)):
        failed = len(an.errors) + len(an.internal_errors)
        if failed:
            out.append(
                f"Incomplete: the {side} side has {failed} error(s); this diff may miss changes"
            )
    return out


def system_changes(before: Analysis, after: Analysis) -> tuple[SystemChange, ...]:
    """The systems (matched by name) whose level or label the change moves, added and removed
    ones included; none when both sides are one system."""
    if not before.systems and not after.systems:
        return ()

    def by_name(a: Analysis, other: Analysis) -> dict[str, tuple[Verdict, set[str]]]:
        if a.systems:
            return {s.name: (s.verdict, set(s.stacks)) for s in a.systems}
        if not a.inputs:
            return {}
        # One system on this side: it is the other side's system made of the same stacks (a
        # pull request that adds an unlinked template leaves the first system as it was).
        stacks = {s for i in a.inputs for s in i.stacks}
        same = [s.name for s in other.systems if stacks & set(s.stacks)]
        name = " + ".join(same) if same else "(the whole input)"
        return {name: (a.verdict, stacks)}

    old, new = by_name(before, after), by_name(after, before)
    unread = {"before": _Unread.of(before), "after": _Unread.of(after)}
    out = []
    # Systems a change links into one (joined) or unlinks into several (split): one sentence
    # each, not "added" for the one and "removed" for the others.
    consumed: set[tuple[str, str]] = set()
    for mine, theirs, side in ((new, old, "after"), (old, new, "before")):
        for name in sorted(set(mine) - set(theirs)):
            parts = sorted(
                o
                for o in set(theirs) - set(mine)
                if theirs[o][1]
                and theirs[o][1] <= mine[name][1]
                and ("before" if side == "after" else "after", o) not in consumed
            )
            if len(parts) < 2:
                continue
            consumed.add((side, name))
            consumed.update(("before" if side == "after" else "after", o) for o in parts)
            verdict = mine[name][0]
            out.append(
                SystemChange(
                    name,
                    None if side == "after" else verdict,
                    verdict if side == "after" else None,
                    parts=tuple(parts),
                )
            )
    for name in sorted(set(old) | set(new)):
        if ("before", name) in consumed or ("after", name) in consumed:
            continue
        b, a = old.get(name), new.get(name)
        if (
            b is None
            or a is None
            or (b[0].level, b[0].architecture)
            != (
                a[0].level,
                a[0].architecture,
            )
        ):
            # on one side only because the other could not read a template of it
            there, missing = (b, "after") if a is None else (a, "before")
            hidden = there is not None and any(unread[missing].holds(x) for x in there[1])
            out.append(
                SystemChange(
                    name,
                    b[0] if b else None,
                    a[0] if a else None,
                    unread=(a is None or b is None) and hidden,
                )
            )
    return tuple(out)


def _system_sentence(c: SystemChange) -> str:
    b, a = c.before, c.after
    if c.unread:
        side, there = ("after", b) if a is None else ("before", a)
        assert there is not None
        return (
            f"System {c.name} not analysed on the {side} side: a template of it could not be "
            f"read (see errors); {'was' if side == 'after' else 'now'} {there.level}, "
            f"{there.architecture}"
        )
    if c.parts and b is None and a is not None:
        return (
            f"Systems {_and(c.parts)} are now linked into one system ({c.name}): "
            f"{a.level}, {a.architecture}"
        )
    if c.parts and a is None and b is not None:
        return (
            f"System {c.name} is now {len(c.parts)} unlinked systems: {_and(c.parts)} "
            f"(was {b.level}, {b.architecture})"
        )
    if b is None and a is not None:
        return f"System {c.name} added: {a.level}, {a.architecture}"
    if a is None and b is not None:
        return f"System {c.name} removed (was {b.level}, {b.architecture})"
    assert a is not None and b is not None
    return f"System {c.name}: {b.level} -> {a.level}, {b.architecture} -> {a.architecture}"


def _and(names: Sequence[str]) -> str:
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else "".join(names)


def decisive_nodes(d: AnalysisDiff) -> list[str]:
    """The changed nodes that moved the verdict: when the level or the serverless answer
    changed, the added, removed or changed nodes named by an idle cost or by the evidence of a
    failing or warning criterion, on either side."""
    b, a = d.before.verdict, d.after.verdict
    if (b.level, b.serverless) == (a.level, a.serverless):
        return []
    moved = set(d.nodes_added) | set(d.nodes_removed) | {c.id for c in d.nodes_changed}
    named = {i.node for v in (b, a) for i in v.idle_costs}
    named |= {
        e.node
        for v in (b, a)
        for c in v.criteria
        if c.status in ("fail", "warn")
        for e in c.evidence
    }
    return sorted(moved & named)


@dataclass(frozen=True, slots=True)
class _Unread:
    """What one side could not read: everything (no input read, errors), or these stacks."""

    everything: bool
    stacks: frozenset[str]

    @staticmethod
    def of(a: Analysis) -> _Unread:
        return _Unread(
            not a.inputs and bool(a.errors), frozenset(e.stack for e in a.errors if e.stack)
        )

    def holds(self, stack: str) -> bool:
        return self.everything or self.has_stack(stack)

    def has_stack(self, stack: str) -> bool:
        return stack in self.stacks or any(stack.startswith(s + "/") for s in self.stacks)


def _not_compared(
    nodes: Mapping[str, Node],
    edges: Iterable[Edge],
    other: Mapping[str, Node],
    own: _Unread,
    others: _Unread,
) -> tuple[set[str], set[str]]:
    """(nodes of one side not compared, of which the stand-ins for its own unread templates):
    in a stack either side could not read, or an ``ext:`` node the other side lacks that only
    such nodes reach."""
    standins = {i for i, n in nodes.items() if own.has_stack(n.stack)}
    skip = standins | {i for i, n in nodes.items() if others.holds(n.stack)}
    if not skip:
        return skip, standins
    near: dict[str, set[str]] = {}
    for e in edges:
        near.setdefault(e.source, set()).add(e.target)
        near.setdefault(e.target, set()).add(e.source)
    skip |= {
        i
        for i, n in nodes.items()
        if n.role == "external" and i not in other and near.get(i) and near[i] <= skip
    }
    return skip, standins


def diff_analyses(before: Analysis, after: Analysis) -> AnalysisDiff:
    unread_b, unread_a = _Unread.of(before), _Unread.of(after)
    all_b = {n.id: n for n in before.topology.nodes}
    all_a = {n.id: n for n in after.topology.nodes}
    skip_b, standins_b = _not_compared(all_b, before.topology.edges, all_a, unread_b, unread_a)
    skip_a, standins_a = _not_compared(all_a, after.topology.edges, all_b, unread_a, unread_b)
    unread = (skip_b - standins_b) | (skip_a - standins_a)
    skip = skip_b | skip_a
    bnodes = {i: n for i, n in all_b.items() if i not in skip}
    anodes = {i: n for i, n in all_a.items() if i not in skip}
    rename = _renames(bnodes, anodes)

    def m(node_id: str) -> str:
        return rename.get(node_id, node_id)

    matched = [(bnodes[i], anodes[i]) for i in sorted(bnodes) if i in anodes]
    matched += [(bnodes[b], anodes[a]) for b, a in sorted(rename.items())]
    changed = [
        NodeChange(id=new.id, changes=c) for old, new in matched if (c := _node_changes(old, new))
    ]
    renamed_targets = set(rename.values())
    removed = sorted(i for i in bnodes if i not in anodes and i not in rename)
    added = sorted(i for i in anodes if i not in bnodes and i not in renamed_targets)

    def key(e: Edge) -> tuple[str, str, str]:
        return (e.source, e.target, e.kind)

    def seen(ids: Iterable[str]) -> bool:
        return not any(i in skip for i in ids)

    mapped = (
        Edge(m(e.source), m(e.target), e.kind, e.via)
        for e in before.topology.edges
        if seen((e.source, e.target))
    )
    b_edges = {key(e): e for e in mapped}
    a_edges = {key(e): e for e in after.topology.edges if seen((e.source, e.target))}
    b_ingress = {m(i) for i in before.boundary.ingress if i not in skip}
    b_egress = {m(i) for i in before.boundary.egress if i not in skip}
    a_ingress = {i for i in after.boundary.ingress if i not in skip}
    a_egress = {i for i in after.boundary.egress if i not in skip}
    b_findings = [f for f in before.findings if seen(f.resources)]
    a_findings = [f for f in after.findings if seen(f.resources)]
    b_keys = {_finding_key(f, rename) for f in b_findings}
    a_keys = {_finding_key(f, {}) for f in a_findings}

    draft = AnalysisDiff(
        before=before,
        after=after,
        nodes_added=tuple(added),
        nodes_removed=tuple(removed),
        nodes_changed=tuple(sorted(changed, key=lambda c: c.id)),
        edges_added=tuple(a_edges[k] for k in sorted(a_edges.keys() - b_edges.keys())),
        edges_removed=tuple(b_edges[k] for k in sorted(b_edges.keys() - a_edges.keys())),
        ingress_added=tuple(sorted(a_ingress - b_ingress)),
        ingress_removed=tuple(sorted(b_ingress - a_ingress)),
        egress_added=tuple(sorted(a_egress - b_egress)),
        egress_removed=tuple(sorted(b_egress - a_egress)),
        findings_new=tuple(f for f in a_findings if _finding_key(f, {}) not in b_keys),
        findings_fixed=tuple(f for f in b_findings if _finding_key(f, rename) not in a_keys),
        summary=(),
        systems_changed=system_changes(before, after),
        nodes_unread=tuple(sorted(unread)),
        nodes_replaced=_replacements(removed, added, bnodes, anodes),
    )
    return replace(
        draft,
        summary=tuple(_summary(draft, all_b, all_a)),
        decisive=tuple(decisive_nodes(draft)),
    )
