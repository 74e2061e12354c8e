"""What every extractor gets: the indexed stacks, the graph being built and the error sink.

The build state is private to extraction: ``freeze`` turns it into the ``TopologyResult`` that
classification reads (topology/result.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from typing import Any

from iacscan.knowledge.resource_types import has_trait, type_info
from iacscan.model import EdgeKind, Resource, Role, Template, Via, line_of
from iacscan.resolve import (
    PLACE_PSEUDO,
    Ref,
    Scope,
    display,
    has_tokens,
    has_unknown,
    pseudo_only,
    split_tokens,
    unknown_options,
    with_placeholders,
)
from iacscan.topology.arns import (
    NAME_PROPERTIES,
    NAMED_EXTERNAL,
    name_arn,
    parse_arn,
    resource_part,
)
from iacscan.topology.asl import AslShape
from iacscan.topology.diagnostics import Diagnostics
from iacscan.topology.ecs_capacity import find_ecs_capacity
from iacscan.topology.graph import GraphBuilder, NodeDraft
from iacscan.topology.result import StackView, TaskLaunch, TopologyFacts, TopologyResult
from iacscan.topology.stack_index import Key, StackIndex
from iacscan.topology.unseen import names_another, outside_values
from iacscan.walk import walk

__all__ = ["Key", "ScanContext", "Target"]


@dataclass(frozen=True, slots=True)
class Target:
    node: str
    weak: bool
    key: Key | None  # None for external nodes


class ScanContext(StackIndex):
    def __init__(
        self,
        templates: Mapping[str, Template],
        scope: Scope,
        actions: Mapping[str, tuple[tuple[str, str], ...]] | None = None,
        multi: bool | None = None,
    ) -> None:
        super().__init__(templates, scope, multi)
        self.actions = actions or {}
        self.diagnostics = Diagnostics(templates)
        self.failures = self.diagnostics.failures
        self.graph = GraphBuilder()
        self.ecs = find_ecs_capacity(self)
        self.services_of_task = self.ecs.services_of_task
        # What extractors learn for classification (frozen into TopologyFacts).
        self.started_tasks: set[Key] = set()
        self.task_launches: dict[Key, list[TaskLaunch]] = {}
        self.outside_launches: dict[str, list[TaskLaunch]] = {}
        self.workflow_shapes: dict[str, AslShape] = {}
        self.key_of: dict[str, Key] = {}

    def freeze(self) -> TopologyResult:
        facts = TopologyFacts(
            started_tasks=frozenset(self.started_tasks),
            ecs=self.ecs,
            workflow_shapes=dict(self.workflow_shapes),
            task_launches={k: tuple(v) for k, v in self.task_launches.items()},
            outside_launches={k: tuple(v) for k, v in self.outside_launches.items()},
        )
        d = self.diagnostics
        return TopologyResult(
            topology=self.graph.freeze(),
            view=StackView(self, self.key_of),
            facts=facts,
            failures=tuple(d.failures),
            input_errors=tuple(d.input_errors),
            notes=tuple(d.notes),
        )

    def launched(
        self,
        task: Key | str,
        starter: str | None,
        stack: str,
        params: Any,
        what: str,
        at: Any = None,
        res: Resource | None = None,
    ) -> None:
        """Record that ``starter`` runs the task definition ``task`` (its key, or the node id
        of one from outside the scan) per event, with the ``LaunchType`` or
        ``CapacityProviderStrategy`` of ``params`` (its RunTask parameters; None when the
        starter gives none, as a function's code)."""
        if isinstance(task, tuple):
            self.started_tasks.add(task)
        if starter is None:
            return
        launch = params.get("LaunchType") if isinstance(params, Mapping) else None
        strategy = params.get("CapacityProviderStrategy") if isinstance(params, Mapping) else None
        via = self.via(stack, what, at, res=res)
        record = TaskLaunch(starter, stack, launch, strategy, what, via.file, via.line)
        if isinstance(task, tuple):
            self.task_launches.setdefault(task, []).append(record)
        else:
            self.outside_launches.setdefault(task, []).append(record)

    # ------------------------------------------------------------------ ids and nodes

    def ensure_node(self, key: Key) -> str | None:
        """The node id for a resource, creating the node; None when the resource is no node."""
        key = self.canonical(key)
        if key in self.disabled:
            return None
        res = self.resource(key)
        if res is None:
            return None
        info = type_info(res.type)
        if info.role == "none" or info.node == "never":
            return None
        node_id = self.node_id(*key)
        self.key_of[node_id] = key
        if not self.graph.has_node(node_id):
            t = self.templates[key[0]]
            capacity = key in self.ecs.capacity_groups or key in self.ecs.eks_workers
            role: Role = "capacity" if capacity else info.role  # type: ignore[assignment]
            self.graph.add_node(
                NodeDraft(
                    id=node_id,
                    type=res.type,
                    role=role,
                    stack=key[0],
                    file=t.file,
                    line=res.line,
                    path=str(res.cdk_path) if res.cdk_path is not None else None,
                    deploy_time=info.deploy_time,
                )
            )
        return node_id

    def external(self, what: str, rtype: str = "External") -> str:
        node_id = f"ext:{what}"
        if not self.graph.has_node(node_id):
            self.graph.add_node(
                NodeDraft(id=node_id, type=rtype, role="external", stack="", file="", line=None)
            )
        return node_id

    def unknown_external(
        self,
        what: str,
        rtype: str,
        note: str,
        *,
        may_hide_compute: str | None = None,
        at: tuple[str, Resource] | None = None,
    ) -> str:
        """An ``ext:`` node for something the scan cannot see, marked unknown, with a note
        that says what to add to the scan to see it (topology/unseen.py)."""
        node_id = f"ext:{what}"
        if not self.graph.has_node(node_id):
            stack, res = at if at is not None else ("", None)
            self.graph.add_node(
                NodeDraft(
                    id=node_id,
                    type=rtype,
                    role="external",
                    stack=stack,
                    file=self.templates[stack].file if stack in self.templates else "",
                    line=res.line if res is not None else None,
                )
            )
        props = self.graph.draft(node_id).properties
        props["unknown"] = True
        if may_hide_compute:  # what is unseen, in a few words (cases.missing quotes it)
            props["may_hide_compute"] = True
            seen = props.get("unseen")
            if not isinstance(seen, str):
                props["unseen"] = may_hide_compute
            elif may_hide_compute not in seen.split("; "):
                props["unseen"] = f"{seen}; {may_hide_compute}"
        old = props.get("note")
        if not isinstance(old, str):
            props["note"] = note
        elif note not in old.split(" | "):
            props["note"] = f"{old} | {note}"
        return node_id

    def outside_targets(self, stack: str, value: Any, rtype: str = "External") -> list[Target]:
        """Targets that come from outside the scope (a parameter without a default, an import
        no stack in scope exports), as unknown ``ext:`` nodes."""

        def qualify(name: str, owner: str | None) -> str:
            # A parameter is named by the stack it is a parameter of, which is not the stack
            # that uses it when a nested stack was handed it or another stack exported it.
            at = owner if owner is not None and owner in self.templates else stack
            t = self.templates[at]
            return f"{at}/{name}" if self.multi or t.parent is not None else name

        out = []
        for what, note in outside_values(self.scope.resolve(stack, value), qualify):
            if names_another(what, rtype):
                continue  # a job definition's ARN is not a job queue's
            out.append(Target(self.unknown_external(what, rtype, note), False, None))
        return out

    def add_edge(self, source: str | None, target: str | None, kind: EdgeKind, via: Via) -> None:
        if source is None or target is None:
            return
        self.graph.add_edge(source, target, kind, via)

    def via(
        self,
        stack: str,
        what: str,
        at: object = None,
        *,
        weak: bool = False,
        res: Resource | None = None,
    ) -> Via:
        line = line_of(at) if at is not None else None
        if line is None and res is not None:
            line = res.line
        return Via(what=what, file=self.templates[stack].file, line=line, weak=weak)

    # ------------------------------------------------------------------ values

    def targets(
        self,
        stack: str,
        value: Any,
        *,
        types: Iterable[str] | None = None,
        external_ok: bool = True,
        unknown_ok: bool | None = None,
        by_name: bool = False,
    ) -> list[Target]:
        """Resources (as nodes) that a value points at: references first, then hand-built ARNs,
        then (``by_name``: the property takes a name or an ARN, as a rule's ``EventBusName``
        does) a plain name, matched like the names IAM ARNs carry.

        With nothing found, a value from outside the scope (a parameter without a default, an
        import not in scope) is an unknown ``ext:`` node when ``unknown_ok`` (by default
        ``external_ok``) is true."""
        wanted = set(types) if types is not None else None
        resolved = self.scope.resolve(stack, value)
        out: dict[str, Target] = {}
        for item in _strings(resolved):
            found_ref = False
            for part in split_tokens(item):
                if isinstance(part, Ref):
                    found_ref = True
                    key = self.canonical((part.stack, part.logical_id))
                    res = self.resource(key)
                    if res is None or (wanted is not None and res.type not in wanted):
                        continue
                    node = self.ensure_node(key)
                    if node:
                        out.setdefault(node, Target(node, False, key))
            if found_ref:
                continue
            named = self._match_name(item, wanted) if by_name else []
            matched = named or self._match_text(item, wanted, external_ok)
            if not matched and (external_ok if unknown_ok is None else unknown_ok):
                matched = self._named_external(item, wanted, by_name)
            for target in matched:
                prev = out.get(target.node)
                if prev is None or (prev.weak and not target.weak):
                    out[target.node] = target
        if not out and (external_ok if unknown_ok is None else unknown_ok):
            rtype = next(iter(wanted)) if wanted is not None and len(wanted) == 1 else "External"
            return self.outside_targets(stack, value, rtype)
        return list(out.values())

    def _match_text(self, text: str, wanted: set[str] | None, external_ok: bool) -> list[Target]:
        if text == "*":
            return [t for t in self._all_of(wanted) if t]
        if pseudo_only(text):
            # An ARN built like a name that has the account or region in it names that resource.
            flat, back = with_placeholders(text)
            parsed = parse_arn(flat)
            shown = replace(parsed, name=back(parsed.name)) if parsed is not None else None
            keys = self.pseudo_names.get((shown.service, shown.name), []) if shown else []
            found = [
                Target(node, False, key)
                for key in keys
                if (res := self.resource(key)) is not None
                and (wanted is None or res.type in wanted)
                and (node := self.ensure_node(key))
            ]
            if found:
                return found
        pattern = "".join(p if isinstance(p, str) else "*" for p in split_tokens(text))
        unknown_name = any(p is None for p in split_tokens(text)) and _unknown_in_name(text)
        arn = parse_arn(pattern)
        if arn is None or unknown_name:
            return []
        matches: list[Target] = []
        candidates = (
            self.names.get(arn.service, ())
            if arn.is_pattern
            else self.exact_names.get((arn.service, arn.name), ())
        )
        for key, name in candidates:
            res = self.resource(key)
            if res is None or (wanted is not None and res.type not in wanted):
                continue
            if (arn.is_pattern and fnmatchcase(name, arn.name)) or name == arn.name:
                node = self.ensure_node(key)
                if node:
                    matches.append(Target(node, arn.is_pattern, key))
        if arn.is_pattern and arn.name.strip("*") == "":
            matches.extend(t for t in self._all_of(wanted, service=arn.service) if t)
        if not matches and not arn.is_pattern and not has_tokens(text):
            unseen = self._unseen_compute(text, arn.service, wanted)
            if unseen is not None:
                matches.append(unseen)
            elif external_ok:
                matches.append(Target(self.external(text), False, None))
        return matches

    def _unseen_compute(self, text: str, service: str, wanted: set[str] | None) -> Target | None:
        """A literal ARN of compute whose level the scan cannot see (a task definition or a job
        queue of another stack or account): an unknown ``ext:`` node of that type, as one from
        a parameter is, even where other literal ARNs make no node (IAM resources)."""
        if wanted is None or len(wanted) != 1:
            return None
        rtype = next(iter(wanted))
        if not has_trait(rtype, "level-unseen") or NAME_PROPERTIES.get(rtype, ("",))[0] != service:
            return None
        note = (
            "named by a literal ARN that no template in scope defines: scan the stack that "
            "creates it with this one to see what it is"
        )
        return Target(self.unknown_external(text, rtype, note), False, None)

    def _match_name(self, text: str, wanted: set[str] | None) -> list[Target]:
        """Resources of the wanted types whose physical name is ``text`` (a plain name)."""
        if wanted is None or has_tokens(text) or text.startswith("arn:") or "/" in text:
            return []
        found = []
        for rtype in sorted(wanted):
            service = NAME_PROPERTIES.get(rtype, ("", ""))[0]
            for key, _ in self.exact_names.get((service, text), ()):
                res = self.resource(key)
                if res is not None and res.type == rtype and (node := self.ensure_node(key)):
                    found.append(Target(node, False, key))
        return found

    def _named_external(self, text: str, wanted: set[str] | None, by_name: bool) -> list[Target]:
        """An unknown ``ext:`` node for a channel or store that no template in scope defines,
        named by a whole ARN (literal, or with only the partition, region and account as pseudo
        parameters: one concrete resource) or, ``by_name``, by its plain name. Wildcards name
        no one resource and make no node; the default event bus has its own node."""
        if wanted is None or (has_tokens(text) and not pseudo_only(text, PLACE_PSEUDO)):
            return []
        text = _unqualified(text)
        if not text:
            return []  # an execution of a state machine: no resource of its own
        shown = display(text)
        # parsed with a placeholder for each pseudo parameter: ``${AWS::Region}`` has colons
        flat, _ = with_placeholders(text)
        plain = by_name and not shown.startswith(("arn:", "https:")) and "/" not in shown
        for rtype in sorted(wanted & NAMED_EXTERNAL.keys()):
            service = NAME_PROPERTIES[rtype][0]
            arn = name_arn(service, shown) if plain else resource_part(shown)
            whole = (name_arn(service, flat, ("p",) * 3) or "") if plain else resource_part(flat)
            parsed = parse_arn(whole)
            if (
                arn is None
                or parsed is None
                or parsed.service != service
                or "*" in whole
                or "?" in whole
                or (service == "events" and parsed.name == "default")
            ):
                continue
            note = (
                f"{NAMED_EXTERNAL[rtype]} named {parsed.name} that no template in scope defines: scan it "
                "together with the stack that creates it to see what else writes or reads it"
            )
            return [Target(self.unknown_external(arn, rtype, note), False, None)]
        return []

    def _all_of(self, wanted: set[str] | None, service: str | None = None) -> list[Target]:
        if wanted is None:
            return []
        out = []
        for rtype in sorted(wanted):
            if service is not None and NAME_PROPERTIES.get(rtype, ("",))[0] != service:
                continue
            for stack, res in self.by_type.get(rtype, ()):
                node = self.ensure_node((stack, res.logical_id))
                if node:
                    out.append(Target(node, True, (stack, res.logical_id)))
        return out


def _unqualified(text: str) -> str:
    """A function's or state machine's ARN without its version or alias
    (``function:pricing:prod`` is the function ``pricing``: one node); empty for a state
    machine's execution ARN, which names a run, not a resource."""
    if not text.startswith("arn:"):
        return text
    flat, back = with_placeholders(text, tokens=True)
    parts = flat.split(":", 6)
    if len(parts) < 7 or parts[2] not in ("lambda", "states"):
        return text
    if parts[2] == "states" and parts[5] in ("execution", "express"):
        return ""
    if parts[5] in ("function", "stateMachine"):
        return back(":".join([*parts[:6], parts[6].split(":", 1)[0]]))
    return text


def _strings(value: Any) -> Iterator[str]:
    return (item for item in walk(value, children=unknown_options) if isinstance(item, str))


def _unknown_in_name(text: str) -> bool:
    """An unknown (not pseudo-parameter) part in the name segment makes the ARN unmatchable."""
    return has_unknown(text)
