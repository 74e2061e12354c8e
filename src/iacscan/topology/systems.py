"""Which stacks form one system: the unit a verdict is about.

Templates are separate systems unless something links them: a nested stack (and its parent), an
Export that another stack imports, an SSM parameter one stack sets and another reads, the stacks
of one CDK app or cloud assembly, or an explicit group of the configuration (``systems:`` globs
in ``.iacscan.yaml``). Each system gets its own topology, so wildcard IAM in one template never
joins it to another.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import PurePosixPath

from iacscan.model import InputInfo, Template
from iacscan.resolve import Scope, has_tokens
from iacscan.walk import walk

_SSM_REF = re.compile(r"\{\{resolve:ssm:([A-Za-z0-9_.\-/]+)(?::\d+)?\}\}")


@dataclass(frozen=True, slots=True)
class StackGroup:
    name: str
    stacks: tuple[str, ...]  # every stack, nested ones included
    files: tuple[str, ...]


class _Union:
    def __init__(self, items: Sequence[str]) -> None:
        self.parent = {i: i for i in items}

    def find(self, i: str) -> str:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, a: str, b: str) -> None:
        if a in self.parent and b in self.parent:
            ra, rb = self.find(a), self.find(b)
            if ra != rb:
                self.parent[max(ra, rb)] = min(ra, rb)


def group_stacks(
    templates: Mapping[str, Template],
    inputs: Sequence[InputInfo] = (),
    configured: Sequence[str | Sequence[str]] = (),
) -> list[StackGroup]:
    """The systems among ``templates``, in a stable order (by name)."""
    stacks = sorted(templates)
    u = _Union(stacks)
    for stack, t in templates.items():
        if t.parent is not None:
            u.join(stack, t.parent.rsplit("/", 1)[0])
    for info in inputs:  # one CDK app, one cloud assembly: one system
        if info.kind in ("cdk-app", "cdk-out"):
            for other in info.stacks[1:]:
                u.join(info.stacks[0], other)
    _join_references(templates, u)
    for system in configured:  # one glob, or a list of globs, per system
        patterns = [system] if isinstance(system, str) else list(system)
        matched = [
            s for s, t in sorted(templates.items()) if any(_matches(t.file, p) for p in patterns)
        ]
        for other in matched[1:]:
            u.join(matched[0], other)
    groups: dict[str, list[str]] = {}
    for stack in stacks:
        groups.setdefault(u.find(stack), []).append(stack)
    out = []
    for members in groups.values():
        roots = [s for s in members if templates[s].parent is None] or members
        name = roots[0] if len(roots) == 1 else f"{roots[0]} (+{len(roots) - 1} linked)"
        files = tuple(dict.fromkeys(templates[s].file for s in members))
        out.append(StackGroup(name=name, stacks=tuple(members), files=files))
    return sorted(out, key=lambda g: g.name)


def _join_references(templates: Mapping[str, Template], u: _Union) -> None:
    """Export/ImportValue and SSM Parameter Store links between the stacks. A dynamic
    reference built with Fn::Sub or Fn::Join (``{{resolve:ssm:/${Env}/bus-name}}``) is read
    once its name is resolved; the SSM references are kept as written for that
    (``read_ssm=False``: the name is what links, not the value)."""
    scope = Scope(templates, read_ssm=False)
    for stack, t in templates.items():
        for item in walk([r.properties for r in t.resources.values()]):
            if isinstance(item, Mapping) and "Fn::ImportValue" in item:
                name = scope.resolve(stack, item["Fn::ImportValue"])
                if isinstance(name, str) and name in scope.exports:
                    u.join(stack, scope.exports[name][0])
            elif _builds_ssm_reference(item):
                item = scope.resolve(stack, item)
            if isinstance(item, str) and "{{resolve:ssm:" in item:
                for m in _SSM_REF.finditer(item):
                    other = scope.ssm_parameter_stack(m.group(1))
                    if other is not None:
                        u.join(stack, other)
        for param in t.parameters.values():
            if not isinstance(param, Mapping):
                continue
            if str(param.get("Type", "")).startswith("AWS::SSM::Parameter::Value"):
                name = scope.resolve(stack, param.get("Default"))
                if isinstance(name, str) and not has_tokens(name):
                    other = scope.ssm_parameter_stack(name)
                    if other is not None:
                        u.join(stack, other)


def _builds_ssm_reference(item: object) -> bool:
    """A Fn::Sub or Fn::Join whose literal text holds (a part of) an SSM dynamic reference."""
    if not isinstance(item, Mapping) or len(item) != 1:
        return False
    fn, arg = next(iter(item.items()))
    if fn not in ("Fn::Sub", "Fn::Join") or not isinstance(arg, list | str):
        return False
    return any(isinstance(s, str) and "{{resolve:ssm:" in s for s in walk(arg))


def _matches(file: str, pattern: str) -> bool:
    path = PurePosixPath(file.replace("\\", "/"))
    pattern = pattern.rstrip("/")
    # a glob of files, or of folders whose files all belong to the group
    return fnmatchcase(str(path), pattern) or fnmatchcase(str(path), f"{pattern}/*")
