"""The stacks in scope, indexed once: resources by type and by physical name, and the resolver.

Read-only after construction. Extractors use it through ``ScanContext`` (which adds the graph
being built); classification sees it through the frozen ``StackView`` of ``TopologyResult``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

from iacscan.model import Resource, Template
from iacscan.resolve import Ref, Scope, display, has_tokens, pseudo_only, refs_in
from iacscan.topology.arns import NAME_PROPERTIES

Key = tuple[str, str]  # (stack, logical id)

# Types that fold into another node: a Lambda version or alias is its function.
_FOLD_PROPERTY = {
    "AWS::Lambda::Version": "FunctionName",
    "AWS::Lambda::Alias": "FunctionName",
}


class StackIndex:
    def __init__(
        self, templates: Mapping[str, Template], scope: Scope, multi: bool | None = None
    ) -> None:
        self.templates = templates
        self.scope = scope
        roots = [t for t in templates.values() if t.parent is None]
        self.multi = len(roots) > 1 if multi is None else multi
        self.by_type: dict[str, list[tuple[str, Resource]]] = defaultdict(list)
        self.names: dict[str, list[tuple[Key, str]]] = defaultdict(list)
        self.pseudo_names: dict[tuple[str, str], list[Key]] = defaultdict(list)
        disabled: set[Key] = set()
        # Parents first: a nested stack whose AWS::CloudFormation::Stack resource a condition
        # leaves out deploys none of its resources.
        for stack, t in sorted(templates.items(), key=lambda i: (i[1].parent or "").count("/")):
            parent = tuple(t.parent.rsplit("/", 1)) if t.parent and "/" in t.parent else None
            for lid, res in t.resources.items():
                if parent in disabled or scope.resource_enabled(stack, res.condition) is False:
                    disabled.add((stack, lid))
        for stack, t in templates.items():
            for lid, res in t.resources.items():
                if (stack, lid) in disabled:
                    continue
                self.by_type[res.type].append((stack, res))
                service_prop = NAME_PROPERTIES.get(res.type)
                if service_prop:
                    name = scope.resolve(stack, res.properties.get(service_prop[1]))
                    if isinstance(name, str) and name and not has_tokens(name):
                        self.names[service_prop[0]].append(((stack, lid), name))
                    elif isinstance(name, str) and pseudo_only(name):
                        # A name with the account or region in it: ARNs built the same way
                        # (the same pseudo parameters in the same places) name it.
                        self.pseudo_names[(service_prop[0], display(name))].append((stack, lid))
        self.disabled: frozenset[Key] = frozenset(disabled)
        self.exact_names: dict[tuple[str, str], list[tuple[Key, str]]] = defaultdict(list)
        for service, entries in self.names.items():
            for key, name in entries:
                self.exact_names[(service, name)].append((key, name))

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

    def resolve(self, stack: str, value: Any) -> Any:
        return self.scope.resolve(stack, value)

    def refs(self, stack: str, value: Any) -> Iterator[Ref]:
        return refs_in(self.scope.resolve(stack, value))

    def text(self, stack: str, value: Any) -> str:
        return display(self.scope.resolve(stack, value))
