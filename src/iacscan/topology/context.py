"""What every extractor gets: the stacks, the resolver, indexes, and the graph being built."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from iacscan.model import EdgeKind, ErrorKind, InputError, Resource, Role, Template, Via, line_of
from iacscan.resolve import Ref, Scope, Unknown, display, has_tokens, refs_in, split_tokens
from iacscan.topology.arns import NAME_PROPERTIES, parse_arn
from iacscan.topology.graph import GraphBuilder, NodeDraft
from iacscan.topology.knowledge import type_info
from iacscan.topology.unseen import outside_values

Key = tuple[str, str]  # (stack, logical id)

# Types that fold into another node: a Lambda version or alias is its function.
_FOLD_PROPERTY = {
    "AWS::Lambda::Version": "FunctionName",
    "AWS::Lambda::Alias": "FunctionName",
}


@dataclass(frozen=True, slots=True)
class Target:
    node: str
    weak: bool
    key: Key | None  # None for external nodes


class ScanContext:
    def __init__(
        self,
        templates: Mapping[str, Template],
        scope: Scope,
        actions: Mapping[str, tuple[tuple[str, str], ...]] | None = None,
        multi: bool | None = None,
    ) -> None:
        self.templates = templates
        self.scope = scope
        self.actions = actions or {}
        self.failures: list[Any] = []
        # Parts of an input that cannot be analysed (a definition over a limit, invalid JSON):
        # reported in the Analysis' errors, with the file and line; the rest goes on.
        self.input_errors: list[InputError] = []
        # What the report covers less of than the templates suggest (a definition in S3): notes.
        self.notes: list[str] = []
        self._noted: set[str] = set()
        # Per-node facts extractors learn and classification reads (e.g. a workflow's shape).
        self.facts: dict[str, dict[str, Any]] = {}
        self.graph = GraphBuilder()
        roots = [t for t in templates.values() if t.parent is None]
        self.multi = len(roots) > 1 if multi is None else multi
        self.by_type: dict[str, list[tuple[str, Resource]]] = defaultdict(list)
        self.names: dict[str, list[tuple[Key, str]]] = defaultdict(list)
        self.disabled: set[Key] = set()
        for stack, t in templates.items():
            for lid, res in t.resources.items():
                if scope.resource_enabled(stack, res.condition) is False:
                    self.disabled.add((stack, lid))
                    continue
                self.by_type[res.type].append((stack, res))
                service_prop = NAME_PROPERTIES.get(res.type)
                if service_prop:
                    name = scope.resolve(stack, res.properties.get(service_prop[1]))
                    if isinstance(name, str) and name and not has_tokens(name):
                        self.names[service_prop[0]].append(((stack, lid), name))
        self.exact_names: dict[tuple[str, str], list[tuple[Key, str]]] = defaultdict(list)
        for service, entries in self.names.items():
            for key, name in entries:
                self.exact_names[(service, name)].append((key, name))
        self.services_of_task: dict[Key, list[Key]] = defaultdict(list)
        for stack, svc in self.by_type.get("AWS::ECS::Service", []):
            for ref in self.refs(stack, svc.properties.get("TaskDefinition")):
                self.services_of_task[(ref.stack, ref.logical_id)].append((stack, svc.logical_id))
        self.started_tasks: set[Key] = set()
        self.key_of: dict[str, Key] = {}
        # An auto scaling group that backs an ECS capacity provider is capacity, not a fleet.
        self.role_overrides: dict[Key, Role] = {}
        for stack, cp in self.by_type.get("AWS::ECS::CapacityProvider", []):
            asg = cp.properties.get("AutoScalingGroupProvider")
            value = asg.get("AutoScalingGroupArn") if isinstance(asg, Mapping) else None
            for ref in self.refs(stack, value):
                self.role_overrides[(ref.stack, ref.logical_id)] = "capacity"
        # Classic ECS capacity: cluster -> the auto scaling groups whose instances join it.
        self.cluster_instances: dict[Key, list[Key]] = defaultdict(list)
        for stack, asg in self.by_type.get("AWS::AutoScaling::AutoScalingGroup", []):
            cluster = self._joined_ecs_cluster(stack, asg)
            if cluster is not None:
                self.role_overrides[(stack, asg.logical_id)] = "capacity"
                self.cluster_instances[cluster].append((stack, asg.logical_id))

    def _joined_ecs_cluster(self, stack: str, asg: Resource) -> Key | None:
        """Classic ECS capacity: the instances' user data registers them with a cluster."""
        props = asg.properties
        launch = [props.get("LaunchConfigurationName")]
        template = props.get("LaunchTemplate")
        if isinstance(template, Mapping):
            launch += [template.get("LaunchTemplateId"), template.get("LaunchTemplateName")]
        for ref in self.refs(stack, launch):
            config = self.resource((ref.stack, ref.logical_id))
            if config is None:
                continue
            data = config.properties.get("LaunchTemplateData", config.properties)
            user_data = data.get("UserData") if isinstance(data, Mapping) else None
            for inner in self.refs(ref.stack, user_data):
                target = self.resource((inner.stack, inner.logical_id))
                if target is not None and target.type == "AWS::ECS::Cluster":
                    return (inner.stack, inner.logical_id)
        return None

    # ------------------------------------------------------------------ ids and nodes

    def node_id(self, stack: str, lid: str) -> str:
        t = self.templates[stack]
        if t.parent is not None or self.multi:
            return f"{stack}/{lid}"
        return lid

    def resource(self, key: Key) -> Resource | None:
        t = self.templates.get(key[0])
        return t.resources.get(key[1]) if t else None

    def resources(self, *types: str) -> Iterator[tuple[str, Resource]]:
        for rtype in types:
            yield from self.by_type.get(rtype, ())

    def canonical(self, key: Key) -> Key:
        """Fold versions and aliases into their function (bounded: no loops)."""
        for _ in range(4):
            res = self.resource(key)
            if res is None or res.type not in _FOLD_PROPERTY:
                return key
            refs = list(self.refs(key[0], res.properties.get(_FOLD_PROPERTY[res.type])))
            if not refs:
                return key
            key = (refs[0].stack, refs[0].logical_id)
        return key

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
            role: Role = self.role_overrides.get(key, info.role)  # type: ignore[arg-type]
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
        qualify = self.multi or self.templates[stack].parent is not None
        out = []
        for what, note in outside_values(self.scope.resolve(stack, value)):
            if qualify and what.startswith(("parameter ", "import ")):
                kind, name = what.split(" ", 1)
                what = f"{kind} {stack}/{name}" if kind == "parameter" else what
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

    def input_error(
        self,
        stack: str,
        message: str,
        hint: str,
        *,
        kind: ErrorKind = "parse",
        at: object = None,
        res: Resource | None = None,
    ) -> None:
        line = line_of(at) if at is not None else None
        if line is None and res is not None:
            line = res.line
        self.input_errors.append(
            InputError(
                file=self.templates[stack].file, line=line, kind=kind, message=message, hint=hint
            )
        )

    def note(self, stack: str, text: str, res: Resource | None = None) -> None:
        t = self.templates[stack]
        where = f"{t.file}:{res.line}" if res is not None and res.line else t.file
        line = f"{text} ({where})"
        if line not in self._noted:
            self._noted.add(line)
            self.notes.append(line)

    # ------------------------------------------------------------------ values

    def resolve(self, stack: str, value: Any) -> Any:
        return self.scope.resolve(stack, value)

    def refs(self, stack: str, value: Any) -> Iterator[Ref]:
        return refs_in(self.scope.resolve(stack, value))

    def targets(
        self,
        stack: str,
        value: Any,
        *,
        types: Iterable[str] | None = None,
        external_ok: bool = True,
        unknown_ok: bool | None = None,
    ) -> list[Target]:
        """Resources (as nodes) that a value points at: references first, then hand-built ARNs.

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
            for target in self._match_text(item, wanted, external_ok):
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
        if not matches and external_ok and not arn.is_pattern and not has_tokens(text):
            matches.append(Target(self.external(text), False, None))
        return matches

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

    def text(self, stack: str, value: Any) -> str:
        return display(self.scope.resolve(stack, value))


def _strings(value: Any) -> Iterator[str]:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, Unknown):
            stack.extend(item.options)


def _unknown_in_name(text: str) -> bool:
    """An unknown (not pseudo-parameter) part in the name segment makes the ARN unmatchable."""
    return "\x01U" in text
