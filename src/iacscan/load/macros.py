"""CloudFormation macros iacscan does not run, as ``Template.macros``.

CloudFormation runs every transform of a template before it deploys it. iacscan applies two
itself (AWS::Serverless, load/sam.py; AWS::LanguageExtensions, load/language_extensions.py) and
reads local ``AWS::Include`` snippets of SAM templates in place (load/sam_prepare.py). Any other
transform is code that runs in the account at deploy time (a macro's Lambda function) or a
snippet not read: what it adds or changes is unseen. A macro of the ``Transform`` section or a
``Fn::Transform`` under ``Resources`` may add any resource; a ``Fn::Transform`` inside a resource
computes that resource's values (the topology marks the first kind unseen, topology/build.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from iacscan.model import Macro, Template, line_of
from iacscan.walk import walk

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
APPLIED = (SAM_TRANSFORM, "AWS::LanguageExtensions")
FN_TRANSFORM = "Fn::Transform"


def template_macros(data: Mapping[str, Any]) -> tuple[Macro, ...]:
    """The macros of the ``Transform`` section that iacscan does not apply."""
    transform = data.get("Transform")
    if transform is None:
        return ()
    line = line_of(transform) or line_of(data)
    items = transform if isinstance(transform, list) else [transform]
    out = []
    for item in items:
        name = _name(item)
        if name is not None and name not in APPLIED:
            out.append(Macro(name, line_of(item) or line))
    return tuple(dict.fromkeys(out))


def fragment_macros(value: Any, line: int | None) -> tuple[Macro, ...]:
    """The macros of a ``Fn::Transform`` key's value (one, or a list of them)."""
    items = value if isinstance(value, list) else [value]
    names = (_name(item) for item in items)
    return tuple(Macro(n, line_of(value) or line) for n in names if n is not None)


def value_macros(template: Template) -> tuple[Macro, ...]:
    """``Fn::Transform`` inside resources: each computes values of the resource it is in."""
    out: list[Macro] = []
    for lid, res in template.resources.items():
        for item in _transforms(res.properties):
            for macro in fragment_macros(item[FN_TRANSFORM], line_of(item) or res.line):
                out.append(Macro(macro.name, macro.line, resource=lid))
    return tuple(dict.fromkeys(out))


def _transforms(value: Any) -> Iterator[Mapping[str, Any]]:
    for item in walk(value):
        if isinstance(item, Mapping) and FN_TRANSFORM in item:
            yield item


def _name(item: Any) -> str | None:
    if isinstance(item, str):
        return item or None
    if not isinstance(item, Mapping) or not isinstance(item.get("Name"), str):
        return "a computed transform" if item is not None else None
    name = str(item["Name"])
    if name == "AWS::Include":
        params = item.get("Parameters")
        location = params.get("Location") if isinstance(params, Mapping) else None
        return f"AWS::Include of {location}" if isinstance(location, str) else name
    return name
