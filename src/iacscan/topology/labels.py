"""Labels: the names people read for nodes (documented in docs/labels.md).

A resource a CDK app created is named by its construct path, shortened the way CDK users read
it; every other node by its id:

1. start from the construct path (``aws:cdk:path``), e.g. ``Shop/Orders/Queue/Resource``;
2. when one stack is in scope, drop that stack's own path (``Shop/``; for a stack in a stage,
   ``Stage/Shop/``); with several stacks the stack's path stays, so that labels say which;
3. drop the ``Resource`` and ``Default`` segments (CDK's names for "the L1 resource of this
   construct"): ``Orders/Queue``;
4. nested stacks need nothing more: CDK paths already go through the nested stack construct
   (``MSKBroker/Cluster``), not through its ``...NestedStackResource1F7D3181`` wrapper ids;
5. labels are unique within the report: when two nodes would share one (with each other or with
   another node's label), those nodes keep the longer form (rule 2 skipped), then their full
   construct path, then their id.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import replace

from iacscan.model import Analysis, Finding, Node, Suppression, Template, Topology

DROPPED_SEGMENTS = frozenset({"Resource", "Default"})


def shorten(path: str, stack_path: str | None) -> str:
    """Rules 2 and 3 for one construct path (``stack_path`` None: keep the stack's path)."""
    rest = path
    if stack_path and path.startswith(stack_path + "/"):
        rest = path[len(stack_path) + 1 :]
    segments = [s for s in rest.split("/") if s and s not in DROPPED_SEGMENTS]
    return "/".join(segments) or rest or path


def _long(path: str) -> str:
    return shorten(path, None)


def assign_labels(
    nodes: Iterable[Node], stack_paths: Mapping[str, str | None], *, one_stack: bool
) -> dict[str, str]:
    """Node id -> label. ``stack_paths``: a node's stack -> the construct path of its root
    stack (nested stacks map to their root's), for rule 2."""
    nodes = list(nodes)
    candidates: list[tuple[str, ...]] = []
    for n in nodes:
        if not n.path:
            candidates.append((n.id,))
            continue
        short = shorten(n.path, stack_paths.get(n.stack) if one_stack else None)
        candidates.append((short, _long(n.path), n.path, n.id))
    chosen = [0] * len(nodes)
    for _ in range(4):
        users: dict[str, list[int]] = defaultdict(list)
        for i, options in enumerate(candidates):
            users[options[chosen[i]]].append(i)
        clash = False
        for holders in users.values():
            if len(holders) < 2:
                continue
            for i in holders:
                if chosen[i] < len(candidates[i]) - 1:
                    chosen[i] += 1
                    clash = True
        if not clash:
            break
    return {n.id: _visible(candidates[i][chosen[i]]) for i, n in enumerate(nodes)}


def _visible(label: str) -> str:
    """Non-ASCII characters written as escapes: an id of Cyrillic or Greek letters that looks
    like another id (``OrdersQueue`` with a Cyrillic O) is shown distinguishably in every
    human-facing output (CloudFormation logical ids are ASCII letters and digits anyway; JSON
    keeps the id as it is)."""
    return label if label.isascii() else label.encode("ascii", "backslashreplace").decode("ascii")


class Renamer:
    """Rewrites node ids quoted in sentences (summaries, reasons, messages, notes, evidence) to
    their labels. Only ids whose label differs are touched, longest first, and only as whole
    names (not inside a longer name)."""

    def __init__(self, labels: Mapping[str, str]) -> None:
        self.labels = {i: lab for i, lab in labels.items() if lab != i}
        names = sorted(self.labels, key=len, reverse=True)
        self._pattern = (
            re.compile(
                r"(?<![A-Za-z0-9_/:.\-])("
                + "|".join(re.escape(n) for n in names)
                + r")(?![A-Za-z0-9_])"
            )
            if names
            else None
        )

    @property
    def active(self) -> bool:
        return self._pattern is not None

    def __call__(self, text: str) -> str:
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(lambda m: self.labels[m.group(1)], text)


def labels_across(nodes: Iterable[Node], templates: Iterable[Template]) -> dict[str, str]:
    """Labels for the nodes of several systems at once (each system's analysis labels only its
    own nodes: two copies of one construct path in two systems would read alike)."""
    unique = {n.id: n for n in nodes}
    return assign_labels(unique.values(), _stack_paths(list(templates)), one_stack=False)


def relabel(
    a: Analysis,
    templates: Iterable[Template],
    *,
    multi: bool | None = None,
    chosen: Mapping[str, str] | None = None,
) -> Analysis:
    """``a`` with node labels set and ids in its sentences replaced by them. ``chosen``: the
    labels of a whole report of several systems (``labels_across``), so that two systems'
    nodes never share a label."""
    templates = list(templates)
    roots = [t for t in templates if t.parent is None]
    one_stack = len(roots) == 1 and not multi
    stack_paths = _stack_paths(templates)
    if chosen is None:
        labels = assign_labels(a.topology.nodes, stack_paths, one_stack=one_stack)
    else:
        labels = {n.id: chosen.get(n.id, n.id) for n in a.topology.nodes}
    nodes = tuple(replace(n, label=labels.get(n.id, n.id)) for n in a.topology.nodes)
    others = _resource_labels(templates, stack_paths, one_stack, labels)
    name = Renamer({**others, **labels})
    if not name.active:
        return replace(a, topology=Topology(nodes, a.topology.edges))
    edges = tuple(
        replace(e, via=tuple(replace(v, what=name(v.what)) for v in e.via))
        for e in a.topology.edges
    )
    v = a.verdict
    verdict = replace(
        v,
        summary=name(v.summary),
        criteria=tuple(
            replace(c, evidence=tuple(replace(ev, why=name(ev.why)) for ev in c.evidence))
            for c in v.criteria
        ),
        idle_costs=tuple(replace(i, why=name(i.why)) for i in v.idle_costs),
        cases=(
            replace(v.cases, missing=tuple(name(m) for m in v.cases.missing))
            if v.cases is not None
            else None
        ),
        warnings=tuple(name(w) for w in v.warnings),
        architecture_reasons=tuple(name(r) for r in v.architecture_reasons),
    )
    return replace(
        a,
        topology=Topology(nodes, edges),
        verdict=verdict,
        findings=tuple(replace(f, message=name(f.message)) for f in a.findings),
        notes=tuple(name(n) for n in a.notes),
        resource_labels={i: lab for i, lab in others.items() if i != lab},
    )


def _stack_paths(templates: list[Template]) -> dict[str, str | None]:
    """Stack -> the construct path of its root stack: as the cloud assembly gives it, else (a
    synthesized template scanned as a file) the first segment all its construct paths share.
    A nested stack's resources are under its root stack's path."""
    own: dict[str, str | None] = {}
    for t in templates:
        if t.stack_path is not None:
            own[t.stack] = t.stack_path
            continue
        firsts = {r.cdk_path.split("/", 1)[0] for r in t.resources.values() if r.cdk_path}
        own[t.stack] = firsts.pop() if len(firsts) == 1 else None
    by_stack = {t.stack: t for t in templates}
    out: dict[str, str | None] = {}
    for t in templates:
        root = t
        for _ in range(32):  # nested stacks are "Parent/Logical": walk up to the root
            parent = root.stack.rsplit("/", 1)[0] if root.parent is not None else None
            if parent is None or parent not in by_stack:
                break
            root = by_stack[parent]
        out[t.stack] = own.get(root.stack)
    return out


def _resource_labels(
    templates: Iterable[Template],
    stack_paths: Mapping[str, str | None],
    one_stack: bool,
    taken: Mapping[str, str],
) -> dict[str, str]:
    """Logical id -> label for the CDK resources as evidence quotes them (``AWS::IAM::Policy
    FnServiceRoleDefaultPolicy1A2B3C4D``): a node's own label (also for a node of a nested
    stack, whose id has the stack prefix), else the shortened construct path. Ids that two
    stacks share with different labels are left alone."""
    found: dict[str, set[str]] = defaultdict(set)
    for t in templates:
        for lid, res in t.resources.items():
            if not res.cdk_path:
                continue
            node_id = f"{t.stack}/{lid}" if t.parent is not None or not one_stack else lid
            label = taken.get(node_id)
            path = _nested_stack_path(res.type, res.cdk_path)
            if label is None:
                label = shorten(path, stack_paths.get(t.stack) if one_stack else None)
            found[lid].add(label)
            if path != res.cdk_path:  # the nested stack's own name (its resources' stack)
                found[f"{t.stack}/{lid}"].add(label)
            if node_id != lid:  # evidence names a resource of several stacks STACK/LogicalId
                found[node_id].add(label)
    return {
        lid: next(iter(names))
        for lid, names in found.items()
        if len(names) == 1 and lid not in taken
    }


def trimmed(path: str) -> str:
    """A construct path without its trailing ``/Resource`` and ``/Default`` segments."""
    parts = path.split("/")
    while len(parts) > 1 and parts[-1] in DROPPED_SEGMENTS:
        parts.pop()
    return "/".join(parts)


def names_exactly(node: Node, wanted: str) -> bool:
    """``wanted`` is the node's id, label or construct path (with or without ``/Resource``)."""
    return wanted in (node.id, node.label) or (
        node.path is not None and wanted in (node.path, trimmed(node.path))
    )


def names_by_tail(node: Node, wanted: str) -> bool:
    """The node's construct path ends with ``/wanted`` (``Orders/Queue`` for
    ``Shop/Orders/Queue/Resource``)."""
    return node.path is not None and trimmed(node.path).endswith("/" + wanted)


def matching_nodes(nodes: Iterable[Node], wanted: str) -> set[str]:
    """Ids of the nodes ``wanted`` names: exactly if any, else by construct path tail."""
    nodes = list(nodes)
    wanted = wanted.strip("/")
    exact = {n.id for n in nodes if names_exactly(n, wanted)}
    return exact or {n.id for n in nodes if names_by_tail(n, wanted)}


def unignored(a: Analysis, ignore: Iterable[str]) -> Analysis:
    """``a`` with the findings that ``RULE:RESOURCE`` entries of --ignore or the
    configuration's ``ignore`` suppress (RESOURCE: a node id, label or construct path) moved
    to its suppressed findings (SARIF shows them with ``suppressions``)."""
    pairs = [e.split(":", 1) for e in ignore if ":" in e]
    if not pairs:
        return a
    entry_of: dict[tuple[str, str], str] = {}  # (rule, node id) -> the entry that names it
    for rule, wanted in pairs:
        for node in matching_nodes(a.topology.nodes, wanted):
            entry_of.setdefault((rule, node), f"{rule}:{wanted}")
    kept: list[Finding] = []
    suppressed: list[Suppression] = []
    for f in a.findings:
        entry = next((entry_of[(f.rule, r)] for r in f.resources if (f.rule, r) in entry_of), None)
        if entry is None:
            kept.append(f)
        else:
            suppressed.append(Suppression(f, "ignore", f"--ignore {entry}"))
    if not suppressed:
        return a
    return replace(a, findings=tuple(kept), suppressed=(*a.suppressed, *suppressed))


def _nested_stack_path(rtype: str, path: str) -> str:
    """A CDK nested stack's resource (``Shop/Pipeline.NestedStack/Pipeline.NestedStackResource``)
    is named by the nested construct's path (``Shop/Pipeline``); other paths are unchanged."""
    parts = path.split("/")
    if rtype != "AWS::CloudFormation::Stack" or len(parts) < 2:
        return path
    if not parts[-1].endswith(".NestedStackResource"):
        return path
    return "/".join([*parts[:-2], parts[-1].removesuffix(".NestedStackResource")])
