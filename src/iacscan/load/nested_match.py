"""Nested templates kept beside the root and referenced by a URL a deploy script fills.

Many repositories upload their nested templates before deploying and write
``TemplateURL: !Sub "${TemplatesBucketUrl}/01-vpc.yaml"`` (or an S3/HTTPS URL). When the URL's
file name is a template beside the including template, or exactly one template of that name is
in a scanned folder, that file is loaded as the nested stack, with a note saying so. A
``Fn::If`` between two URLs is read when both name the same file, or when its condition is
known from the parameters (``condition``); else the stack stays unseen, and the reason names
both files. Anything else (no file of that name, several, a computed file name) stays out of
scope: an unknown ``ext:`` node (topology/unseen.py).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from iacscan.model import Template

SUFFIXES = (".yaml", ".yml", ".json", ".template")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9._+-]+$")
_MAX_CONDITION_DEPTH = 32


def is_local(url: object) -> bool:
    """A TemplateURL that names a local file (relative path, as before ``package``)."""
    return isinstance(url, str) and "://" not in url and not url.startswith(("https:", "http:"))


def file_name(url: Any) -> str | None:
    """The template file name at the end of a remote or computed TemplateURL, when literal."""
    last: Any = None
    if isinstance(url, str):
        if url.startswith("sar://"):
            return None
        last = url.split("?", 1)[0].split("#", 1)[0]
    elif isinstance(url, Mapping) and len(url) == 1:
        fn, arg = next(iter(url.items()))
        if fn == "Fn::Sub":
            last = arg[0] if isinstance(arg, list) and arg else arg
        elif fn == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
            delimiter, parts = arg
            if isinstance(parts, list) and parts and isinstance(delimiter, str):
                tail = parts[-1]
                last = tail if isinstance(tail, str) else None
    if not isinstance(last, str):
        return None
    name = last.rsplit("/", 1)[-1]
    if "${" in name or not _SAFE_NAME.match(name) or not name.lower().endswith(SUFFIXES):
        return None
    return name


def branch(url: Any, template: Template, depth: int = 0) -> tuple[Any, str | None]:
    """The TemplateURL a ``Fn::If`` deploys: the branch its condition selects when known, either
    when both name the same file; else (None, why not: the two file names and the condition)."""
    if not (isinstance(url, Mapping) and len(url) == 1 and "Fn::If" in url):
        return url, None
    arg = url["Fn::If"]
    if depth > _MAX_CONDITION_DEPTH or not isinstance(arg, list) or len(arg) != 3:
        return None, None
    if not isinstance(arg[0], str):
        return None, None
    chosen = condition(arg[0], template)
    if chosen is not None:
        return branch(arg[1] if chosen else arg[2], template, depth + 1)
    (then, why_then), (other, why_other) = (branch(x, template, depth + 1) for x in arg[1:])
    names = [file_name(then), file_name(other)]
    if names[0] is not None and names[0] == names[1]:
        return then, None  # the same template whichever the condition: its bucket differs
    shown = [n or "a computed file" for n in names]
    if why_then or why_other or shown[0] == shown[1]:
        return None, why_then or why_other
    return None, (
        f"its TemplateURL names {shown[0]} or {shown[1]} by condition {arg[0]}, which is not "
        "known here (a parameter without a default, or a value known only at deploy time), "
        "and iacscan does not guess which one it deploys"
    )


_MAX_CONDITION_STEPS = 10_000  # evaluations per question: conditions may refer to each other


def condition(
    name: str, template: Template, depth: int = 0, seen: dict[str, bool | None] | None = None
) -> bool | None:
    """A template condition, when literal values decide it: parameters as given (a nested
    stack's, when literal) or their defaults; ``Fn::Equals``, ``Fn::Not``, ``Fn::And``,
    ``Fn::Or`` and ``Condition``. None when anything else decides it (pseudo parameters, values
    from a parent or SSM): the resolver (resolve/scope.py) reads what the loader cannot. Each
    condition is worked out once per question (``seen``; a cycle is None), ``And``/``Or`` stop
    at the first value that decides them, and the work is bounded (_MAX_CONDITION_STEPS)."""
    seen = {} if seen is None else seen
    if name in seen:
        return seen[name]
    if depth >= _MAX_CONDITION_DEPTH or len(seen) > _MAX_CONDITION_STEPS:
        return None
    seen[name] = None  # while it is worked out: a condition that refers to itself is unknown
    value = _condition(template.conditions.get(name), template, depth + 1, seen)
    seen[name] = value
    return value


def _condition(
    expr: Any, template: Template, depth: int, seen: dict[str, bool | None]
) -> bool | None:
    if depth > _MAX_CONDITION_DEPTH or not isinstance(expr, Mapping) or len(expr) != 1:
        return None
    fn, arg = next(iter(expr.items()))
    if fn == "Condition" and isinstance(arg, str):
        return condition(arg, template, depth, seen)
    if fn == "Fn::Equals" and isinstance(arg, list) and len(arg) == 2:
        a, b = (_literal(x, template) for x in arg)
        return None if a is None or b is None else a == b
    if fn == "Fn::Not" and isinstance(arg, list) and len(arg) == 1:
        inner = _condition(arg[0], template, depth + 1, seen)
        return None if inner is None else not inner
    if fn in ("Fn::And", "Fn::Or") and isinstance(arg, list):
        decisive: bool = fn == "Fn::Or"  # a True decides an Or, a False an And
        unknown = False
        for item in arg:
            value = _condition(item, template, depth + 1, seen)
            if value is decisive:
                return decisive
            unknown = unknown or value is None
        return None if unknown else not decisive
    return None


def _literal(value: Any, template: Template) -> str | None:
    if isinstance(value, Mapping) and len(value) == 1 and isinstance(value.get("Ref"), str):
        name = value["Ref"]
        if name in template.parameter_values:
            value = template.parameter_values[name]
        else:
            declared = template.parameters.get(name)
            if not isinstance(declared, Mapping) or "Default" not in declared:
                return None
            if str(declared.get("Type", "")).startswith("AWS::SSM::Parameter::Value"):
                return None  # the default is the SSM name, not the value
            value = declared["Default"]
    if isinstance(value, bool):
        return str(value).lower()
    return str(value) if isinstance(value, str | int | float) else None


def find(name: str, parent: Path, folders: Sequence[Path]) -> tuple[Path | None, str]:
    """(the file, where it was found) or (None, why not)."""
    beside = parent.parent / name
    if beside.is_file() and beside.resolve() != parent.resolve():
        return beside, "beside the including template"
    found: list[Path] = []
    for folder in folders:
        for root, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "node_modules")
            if name in files:
                found.append(Path(root) / name)
            if len(found) > 1:
                break
    found = [f for f in found if f.resolve() != parent.resolve()]
    if len(found) == 1:
        return found[0], "in the scanned folder"
    if found:
        return None, f"several templates named {name} in the scanned folder"
    return None, f"no template named {name} beside it or in a scanned folder"


def relative_url(child: Path, parent: Path) -> str:
    return os.path.relpath(child.resolve(), parent.resolve().parent)
