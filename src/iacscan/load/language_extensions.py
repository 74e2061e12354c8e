"""The AWS::LanguageExtensions transform: Fn::ForEach, Fn::Length, Fn::ToJsonString, and
Fn::FindInMap with a DefaultValue, expanded the way CloudFormation does before deploying.

cfn-lint ships an implementation (``cfnlint.template.transforms._language_extensions``), but it is
private and made for linting: a collection it cannot resolve becomes random names and a parameter
without a default takes its first AllowedValue. Here nothing is guessed: a Fn::ForEach whose
collection is unknown is an error naming the loop and its line; Fn::Length and Fn::FindInMap that
cannot be decided stay as written for the resolver to turn into Unknown. Line marks are kept.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from typing import Any

from iacscan.errors import InputParseError, LimitError
from iacscan.model import line_of

LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions"
MAX_GENERATED = 20_000  # keys made by Fn::ForEach in one template (nested loops multiply)
# Values walked inside Fn::ForEach loops, counted as they are made: an empty cube of nested loops
# or a big body copied many times trips it early, before it costs time or memory.
MAX_LOOP_WORK = 500_000
_FOR_EACH = re.compile(r"^Fn::ForEach::[A-Za-z0-9]+$")
_NOT_WALKED = ("AWSTemplateFormatVersion", "Description", "Parameters", "Mappings", "Transform")
_HINT = "see the AWS::LanguageExtensions documentation for Fn::ForEach"


def has_language_extensions(data: Mapping[str, Any]) -> bool:
    return LANGUAGE_EXTENSIONS in _transform_names(data.get("Transform"))


def _transform_names(transform: object) -> list[object]:
    return list(transform) if isinstance(transform, list) else [transform]


def expand_language_extensions(
    data: Mapping[str, Any], *, file: str, parameter_values: Mapping[str, Any] | None = None
) -> Mapping[str, Any]:
    """The template with the language extensions applied and that transform removed."""
    expander = _Expander(data, file, parameter_values or {})
    result: dict[Any, Any] = {}
    for key, value in data.items():
        result[key] = value if key in _NOT_WALKED else expander.walk(value, {})
    names = [n for n in _transform_names(data.get("Transform")) if n != LANGUAGE_EXTENSIONS]
    if not names or names == [None]:
        result.pop("Transform", None)
    else:
        result["Transform"] = names if isinstance(data.get("Transform"), list) else names[0]
    expanded: Mapping[str, Any] = _like(data, result)
    return expanded


class _Expander:
    def __init__(self, data: Mapping[str, Any], file: str, values: Mapping[str, Any]) -> None:
        self.file = file
        self.values = values
        params, mappings = data.get("Parameters"), data.get("Mappings")
        self.parameters = params if isinstance(params, Mapping) else {}
        self.mappings = mappings if isinstance(mappings, Mapping) else {}
        self.generated = 0
        self.loops = 0  # Fn::ForEach loops being expanded
        self.loop_line: int | None = None
        self.work = 0

    # ----------------------------------------------------------------------- walking

    def walk(self, value: Any, ids: Mapping[str, str]) -> Any:
        if self.loops:
            self.work += 1
            if self.work > MAX_LOOP_WORK:
                raise LimitError(
                    f"Fn::ForEach expands to more than {MAX_LOOP_WORK:,} values (the loop "
                    "expansion limit: nested loops multiply, and each copies its body)",
                    "this limit is fixed (no flag raises it): split the loops, or scan a "
                    "template with the loops already expanded",
                    file=self.file,
                    line=self.loop_line,
                )
        if isinstance(value, list):
            return _like(value, [self.walk(v, ids) for v in value])
        if not isinstance(value, Mapping):
            return value
        if len(value) == 1:
            key, arg = next(iter(value.items()))
            handled = self._function(str(key), arg, value, ids)
            if handled is not _UNHANDLED:
                return handled
        out: dict[Any, Any] = {}
        for key, item in value.items():
            if isinstance(key, str) and _FOR_EACH.match(key):
                for new_key, new_value in self._for_each(key, item, ids).items():
                    self._put(out, new_key, new_value)
            else:
                self._put(out, _substitute_key(key, ids), self.walk(item, ids))
        return _like(value, out)

    def _put(self, out: dict[Any, Any], key: Any, value: Any) -> None:
        if key in out:
            raise InputParseError(
                f"Fn::ForEach makes the key {key} twice",
                _HINT,
                file=self.file,
                line=line_of(key),
            )
        out[key] = value

    def _function(
        self, name: str, arg: Any, node: Mapping[str, Any], ids: Mapping[str, str]
    ) -> Any:
        if name == "Ref" and isinstance(arg, str) and arg in ids:
            return ids[arg]
        if name == "Fn::Sub":
            return self._sub(arg, node, ids)
        if name == "Fn::GetAtt":
            return _like(node, {"Fn::GetAtt": _substitute_strings(self.walk(arg, ids), ids)})
        if name == "Fn::Length":
            walked = self.walk(arg, ids)
            items = self._list(walked)
            return len(items) if items is not None else _like(node, {name: walked})
        if name == "Fn::ToJsonString":
            return _to_json_string(self.walk(arg, ids))
        if name == "Fn::FindInMap":
            walked = self.walk(arg, ids)
            if isinstance(walked, list) and len(walked) == 4:
                found = self._find_in_map(walked)
                if found is not _UNHANDLED:
                    return found
            return _like(node, {name: walked})
        return _UNHANDLED

    def _sub(self, arg: Any, node: Mapping[str, Any], ids: Mapping[str, str]) -> Any:
        if isinstance(arg, str):
            text = _substitute(arg, ids, "$")
            if text is arg:
                return node
            return text if "${" not in text else _like(node, {"Fn::Sub": text})
        if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str):
            names = arg[1] if isinstance(arg[1], Mapping) else {}
            free = {k: v for k, v in ids.items() if k not in names}
            walked = [_substitute(arg[0], free, "$"), self.walk(arg[1], ids)]
            return _like(node, {"Fn::Sub": _like(arg, walked)})
        return _like(node, {"Fn::Sub": self.walk(arg, ids)})

    # ----------------------------------------------------------------------- Fn::ForEach

    def _for_each(self, key: str, spec: Any, ids: Mapping[str, str]) -> dict[Any, Any]:
        line = line_of(key) or line_of(spec)
        if not (isinstance(spec, list) and len(spec) == 3 and isinstance(spec[0], str)):
            raise InputParseError(
                f"{key} must be a list of [identifier, collection, output]",
                _HINT,
                file=self.file,
                line=line,
            )
        identifier, collection, output = spec
        if not isinstance(output, Mapping):
            raise InputParseError(
                f"the output of {key} is not a mapping", _HINT, file=self.file, line=line
            )
        self.loops += 1
        if self.loops == 1:
            self.loop_line = line
        try:
            return self._expand(key, identifier, collection, output, ids, line)
        finally:
            self.loops -= 1

    def _expand(
        self,
        key: str,
        identifier: str,
        collection: Any,
        output: Mapping[str, Any],
        ids: Mapping[str, str],
        line: int | None,
    ) -> dict[Any, Any]:
        items = self._list(self.walk(collection, ids))
        if items is None or not all(isinstance(i, str | int | float) for i in items):
            raise InputParseError(
                f"cannot expand {key}: its collection {_describe(collection)} has no known "
                "list of strings",
                "give the parameter a Default (or pass its value), or write the list in the "
                "template",
                file=self.file,
                line=line,
            )
        result: dict[Any, Any] = {}
        for item in items:
            value = item if isinstance(item, str) else str(item)
            expanded = self.walk(output, {**ids, identifier: value})
            for new_key, new_value in expanded.items():
                self.generated += 1
                if self.generated > MAX_GENERATED:
                    raise LimitError(
                        f"Fn::ForEach makes more than {MAX_GENERATED:,} entries",
                        "this template expands too far to analyse",
                        file=self.file,
                        line=line,
                    )
                self._put(result, new_key, new_value)
        return result

    # ----------------------------------------------------------------------- values

    def _list(self, value: Any) -> list[Any] | None:
        """The list a collection stands for, when it is known without deploying."""
        if isinstance(value, list):
            return value
        if not isinstance(value, Mapping) or len(value) != 1:
            return None
        name, arg = next(iter(value.items()))
        if name == "Ref" and isinstance(arg, str):
            return _as_list(self._parameter(arg))
        if name == "Fn::FindInMap" and isinstance(arg, list) and len(arg) in (3, 4):
            found = self._find_in_map(arg)
            return found if isinstance(found, list) else _as_list(found)
        if name == "Fn::Split" and isinstance(arg, list) and len(arg) == 2:
            delimiter, text = arg[0], arg[1]
            if isinstance(text, Mapping):
                text = self._scalar(text)
            if isinstance(delimiter, str) and delimiter and isinstance(text, str):
                return text.split(delimiter)
        return None

    def _parameter(self, name: str) -> Any:
        if name in self.values:
            return self.values[name]
        spec = self.parameters.get(name)
        return spec.get("Default") if isinstance(spec, Mapping) else None

    def _scalar(self, value: Any) -> Any:
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, Mapping) and len(value) == 1 and isinstance(value.get("Ref"), str):
            found = self._parameter(value["Ref"])
            return str(found) if isinstance(found, str | int | float) else None
        return None

    def _find_in_map(self, args: list[Any]) -> Any:
        names = [self._scalar(a) for a in args[:3]]
        default = _default_value(args[3]) if len(args) == 4 else _UNHANDLED
        if any(n is None for n in names):
            return _UNHANDLED
        level: Any = self.mappings
        for name in names:
            level = level.get(name) if isinstance(level, Mapping) else None
            if level is None:
                return default
        return copy.deepcopy(level)


class _Unhandled:
    pass


_UNHANDLED: Any = _Unhandled()


def _default_value(arg: Any) -> Any:
    if isinstance(arg, Mapping) and set(arg) == {"DefaultValue"}:
        return arg["DefaultValue"]
    return _UNHANDLED


def _as_list(value: Any) -> list[Any] | None:
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        return [v.strip() for v in value.split(",")] if value else []
    return None


def _describe(collection: Any) -> str:
    if isinstance(collection, Mapping) and len(collection) == 1:
        name, arg = next(iter(collection.items()))
        return f"({name} {arg})" if isinstance(arg, str) else f"({name} ...)"
    return type(collection).__name__


def _substitute(text: str, ids: Mapping[str, str], sigil: str) -> Any:
    new = text
    for name, value in ids.items():
        new = new.replace(f"${{{name}}}", value)
        if sigil == "&":
            new = new.replace(f"&{{{name}}}", re.sub(r"[^0-9A-Za-z]", "", value))
    return new if new == text else _like(text, new)


def _substitute_key(key: Any, ids: Mapping[str, str]) -> Any:
    return _substitute(key, ids, "&") if isinstance(key, str) and ids else key


def _substitute_strings(value: Any, ids: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return _substitute(value, ids, "$")
    if isinstance(value, list):
        return _like(value, [_substitute_strings(v, ids) for v in value])
    return value


def _is_intrinsic(value: Any) -> bool:
    if not isinstance(value, Mapping) or len(value) != 1:
        return False
    key = next(iter(value))
    return isinstance(key, str) and (key == "Ref" or key.startswith("Fn::") or key == "Condition")


def _to_json_string(value: Any) -> Any:
    """CloudFormation's JSON text of ``value``; a Fn::Join when intrinsics stay inside."""
    found: list[Any] = []

    def swap(item: Any) -> Any:
        if _is_intrinsic(item):
            found.append(item)
            return f"@@iacscan-intrinsic-{len(found) - 1}@@"
        if isinstance(item, Mapping):
            return {str(k): swap(v) for k, v in item.items()}
        if isinstance(item, list):
            return [swap(v) for v in item]
        return item

    text = json.dumps(swap(value), separators=(",", ":"), default=str)
    if not found:
        return text
    parts: list[Any] = []
    for piece in re.split(r"@@iacscan-intrinsic-(\d+)@@", text):
        parts.append(piece)
    joined = [found[int(p)] if i % 2 else p for i, p in enumerate(parts)]
    return {"Fn::Join": ["", [p for p in joined if p != ""]]}


def _like(original: Any, new: Any) -> Any:
    """``new`` carrying ``original``'s line marks, when it had some."""
    start, end = getattr(original, "start_mark", None), getattr(original, "end_mark", None)
    if start is None:
        return new
    from iacscan.load.fast_decode import DictNode as dict_node
    from iacscan.load.fast_decode import ListNode as list_node
    from iacscan.load.fast_decode import StrNode as str_node

    if isinstance(new, Mapping):
        return dict_node(new, start, end)
    if isinstance(new, list):
        return list_node(new, start, end)
    if isinstance(new, str):
        return str_node(new, start, end)
    return new
