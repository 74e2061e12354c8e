"""What a deployed stack's values are: its actual parameters, the ones its parent passes, its
transforms, and the export names it imports.

Import names are found as far as they can be known while loading.

The resolver (above the load layer) does the real evaluation once the templates are in scope;
this only has to find which *stacks* to bring into scope. A deployed stack's parameters are
known, so ``Fn::ImportValue`` names built with ``Ref``, ``Fn::Sub``, ``Fn::Join`` and pseudo
parameters come out; anything else is counted as unknown, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from iacscan.model import Template
from iacscan.walk import walk

_SUB_VAR = re.compile(r"\$\{([^}]*)\}")
_MAX_VALUES = 200_000


@dataclass(frozen=True, slots=True)
class StackContext:
    """What pseudo parameters and parameters evaluate to in one deployed stack."""

    name: str
    stack_id: str
    parameters: Mapping[str, Any]

    def pseudo(self, name: str) -> str | None:
        parts = self.stack_id.split(":")
        if name == "AWS::StackName":
            return self.name
        if name == "AWS::StackId":
            return self.stack_id
        if len(parts) >= 5:
            if name == "AWS::Partition":
                return parts[1]
            if name == "AWS::Region":
                return parts[3]
            if name == "AWS::AccountId":
                return parts[4]
        if name == "AWS::URLSuffix":
            return "amazonaws.com"
        return None


def imported_names(template: Template, ctx: StackContext) -> tuple[set[str], int]:
    """Export names the template imports, and how many imports have a name not known here."""
    names: set[str] = set()
    unknown = 0
    roots: list[Any] = [r.properties for r in template.resources.values()]
    roots += [template.outputs, template.conditions]
    for arg in _import_args(roots):
        name = _text(arg, ctx, 0)
        if name is None:
            unknown += 1
        else:
            names.add(name)
    return names, unknown


def _is_import(item: Any) -> bool:
    return isinstance(item, Mapping) and len(item) == 1 and "Fn::ImportValue" in item


def _import_args(roots: list[Any]) -> Iterator[Any]:
    for item in walk(roots, descend=lambda i: not _is_import(i), limit=_MAX_VALUES):
        if _is_import(item):
            yield item["Fn::ImportValue"]


def _text(value: Any, ctx: StackContext, depth: int) -> str | None:
    if depth > 20:
        return None
    if isinstance(value, str):
        return str(value)
    if not isinstance(value, Mapping) or len(value) != 1:
        return None
    fn, arg = next(iter(value.items()))
    if fn == "Ref" and isinstance(arg, str):
        return _ref(arg, ctx)
    if fn == "Fn::Sub":
        text, variables = (arg[0], arg[1]) if isinstance(arg, list) and len(arg) == 2 else (arg, {})
        if not isinstance(text, str) or not isinstance(variables, Mapping):
            return None
        return _sub(text, variables, ctx, depth)
    if fn == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
        delim, items = arg
        if not isinstance(delim, str) or not isinstance(items, list):
            return None
        parts = [_text(i, ctx, depth + 1) for i in items]
        return None if any(p is None for p in parts) else delim.join(str(p) for p in parts)
    return None


def _ref(name: str, ctx: StackContext) -> str | None:
    if name.startswith("AWS::"):
        return ctx.pseudo(name)
    value = ctx.parameters.get(name)
    return value if isinstance(value, str) else None


def _sub(text: str, variables: Mapping[str, Any], ctx: StackContext, depth: int) -> str | None:
    failed = False

    def repl(m: re.Match[str]) -> str:
        nonlocal failed
        var = m.group(1)
        if var.startswith("!"):
            return "${" + var[1:] + "}"
        if var in variables:
            got = _text(variables[var], ctx, depth + 1)
        elif "." in var:
            got = None  # Fn::GetAtt: a deploy-time attribute
        else:
            got = _ref(var, ctx)
        if got is None:
            failed = True
            return ""
        return got

    out = _SUB_VAR.sub(repl, text)
    return None if failed else out


def transforms(data: Mapping[str, Any]) -> set[str]:
    transform = data.get("Transform")
    names = transform if isinstance(transform, list) else [transform]
    return {n for n in names if isinstance(n, str)} | {
        str(n.get("Name")) for n in names if isinstance(n, Mapping)
    }


def has_fn_transform(data: Mapping[str, Any]) -> bool:
    return any(isinstance(item, Mapping) and "Fn::Transform" in item for item in walk(data))


def with_passed(actual: Mapping[str, Any], passed: Mapping[str, Any] | None) -> dict[str, Any]:
    return {**actual, **(passed or {})}


def passed_references(passed: object, resources: Mapping[str, Any]) -> dict[str, Any]:
    """The nested stack parameters its parent sets to a reference to one of its resources
    (Ref Queue, GetAtt Queue.Arn, Sub ${Queue.Arn}): kept as written, they resolve to that
    resource in scope, where the deployed value is only its physical name. Every other
    parameter keeps its deployed value."""
    if not isinstance(passed, Mapping):
        return {}
    return {
        str(k): v
        for k, v in passed.items()
        if isinstance(v, Mapping) and references_resource(v, resources)
    }


def references_resource(value: Any, resources: Mapping[str, Any]) -> bool:
    for item in walk(value):
        if isinstance(item, Mapping):
            ref = item.get("Ref")
            if isinstance(ref, str) and ref in resources:
                return True
            att = item.get("Fn::GetAtt")
            name = att.split(".", 1)[0] if isinstance(att, str) else None
            if isinstance(att, list) and att and isinstance(att[0], str):
                name = att[0]
            if name in resources:
                return True
            sub = item.get("Fn::Sub")
            text = sub[0] if isinstance(sub, list) and sub else sub
            if isinstance(text, str) and any(
                v.split(".", 1)[0] in resources for v in _SUB_VAR.findall(text)
            ):
                return True
    return False


def actual_parameters(desc: Mapping[str, Any], declared: object) -> dict[str, Any]:
    """DescribeStacks' parameter values (SSM ones resolved), lists split, NoEcho ones left out."""
    specs = declared if isinstance(declared, Mapping) else {}
    values: dict[str, Any] = {}
    for p in desc.get("Parameters") or []:
        key = p.get("ParameterKey")
        value = p.get("ResolvedValue", p.get("ParameterValue"))
        if not isinstance(key, str) or not isinstance(value, str):
            continue
        spec = specs.get(key)
        spec = spec if isinstance(spec, Mapping) else {}
        if value == "****" or str(spec.get("NoEcho", "")).lower() == "true":
            continue  # masked by CloudFormation
        ptype = str(spec.get("Type", ""))
        if "List<" in ptype or "CommaDelimitedList" in ptype:
            values[key] = [s.strip() for s in value.split(",")] if value else []
        else:
            values[key] = value
    return values
