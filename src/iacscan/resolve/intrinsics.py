"""The intrinsic functions CloudFormation evaluates, one small function each, and the table
``Scope`` dispatches on."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from iacscan.resolve.values import Unknown, display

if TYPE_CHECKING:
    from iacscan.resolve.scope import Scope

MAX_TEXT = 2 * 1024 * 1024  # a string built by Fn::Sub/Fn::Join/Fn::ToJsonString, at most

# One small function per intrinsic, ``(scope, stack, argument, depth) -> value``; ``_INTRINSICS``
# is the dispatch table. Budget checks go through ``scope._charge``/``scope._over`` (the Meter).

Intrinsic = Callable[["Scope", str, Any, int], Any]


def _fn_ref(scope: Scope, stack: str, arg: Any, depth: int) -> Any:
    return scope._ref(stack, arg, depth)


def _fn_getatt(scope: Scope, stack: str, arg: Any, depth: int) -> Any:
    if isinstance(arg, str):
        arg = arg.split(".", 1)
    if not isinstance(arg, list) or len(arg) != 2:
        return Unknown("Fn::GetAtt needs [LogicalId, Attribute]")
    lid = arg[0]
    attr = scope.resolve(stack, arg[1], depth)
    if not isinstance(lid, str) or not isinstance(attr, str):
        return Unknown("Fn::GetAtt with a computed name")
    return scope._getatt(stack, lid, attr, depth)


def _fn_sub(scope: Scope, stack: str, arg: Any, depth: int) -> Any:
    return scope._sub(stack, arg, depth)


def _fn_join(scope: Scope, stack: str, arg: Any, depth: int) -> Any:
    if not isinstance(arg, list) or len(arg) != 2:
        return Unknown("Fn::Join needs [delimiter, list]")
    delim = scope.resolve(stack, arg[0], depth)
    items = scope.resolve(stack, arg[1], depth)
    if not isinstance(delim, str) or not isinstance(items, list):
        return Unknown("Fn::Join over a computed list")
    parts = [scope._as_text(i) for i in items]
    if any(isinstance(p, Unknown) for p in parts):
        return Unknown("Fn::Join over an unknown value", tuple(p for p in parts))
    size = sum(len(str(p)) for p in parts) + len(delim) * max(0, len(parts) - 1)
    if size > MAX_TEXT + _literal_size(arg[1], delim):
        return scope._over(f"Fn::Join builds a value over {MAX_TEXT:,} characters")
    joined = delim.join(str(p) for p in parts)
    # a dynamic reference the join builds ("{{resolve:ssm:/", Env, "/name}}"), as Fn::Sub's
    return scope._ssm_refs(joined, depth) if "{{resolve:ssm:" in joined else joined


def _fn_select(scope: Scope, stack: str, arg: Any, depth: int) -> Any:
    if not isinstance(arg, list) or len(arg) != 2:
        return Unknown("Fn::Select needs [index, list]")
    index = scope.resolve(stack, arg[0], depth)
    items = scope.resolve(stack, arg[1], depth)
    try:
        i = int(index)
    except (TypeError, ValueError, OverflowError):  # also .inf and .nan
        return Unknown("Fn::Select with a computed index")
    if isinstance(items, list) and 0 <= i < len(items):
        return items[i]
    return Unknown("Fn::Select out of range or over an unknown list")


def _fn_split(scope: Scope, stack: str, arg: Any, depth: int) -> Any:
    if not isinstance(arg, list) or len(arg) != 2:
        return Unknown("Fn::Split needs [delimiter, string]")
    delim = scope.resolve(stack, arg[0], depth)
    text = scope.resolve(stack, arg[1], depth)
    if isinstance(delim, str) and delim and isinstance(text, str):
        pieces = text.split(delim)
        over = scope._charge(len(pieces))
        return pieces if over is None else over
    return Unknown("Fn::Split over an unknown string")


def _fn_if(scope: Scope, stack: str, arg: Any, depth: int) -> Any:
    if not isinstance(arg, list) or len(arg) != 3 or not isinstance(arg[0], str):
        return Unknown("Fn::If needs [condition, then, else]")
    cond = scope.condition(stack, arg[0])
    if cond is True:
        return scope.resolve(stack, arg[1], depth)
    if cond is False:
        return scope.resolve(stack, arg[2], depth)
    return Unknown(
        f"condition {arg[0]} is unknown",
        (scope.resolve(stack, arg[1], depth), scope.resolve(stack, arg[2], depth)),
    )


def _fn_find_in_map(scope: Scope, stack: str, arg: Any, depth: int) -> Any:
    return scope._find_in_map(scope.templates[stack], stack, arg, depth)


def _fn_import_value(scope: Scope, stack: str, arg: Any, depth: int) -> Any:
    name = scope.resolve(stack, arg, depth)
    if isinstance(name, str) and name in scope.exports:
        estack, evalue = scope.exports[name]
        return scope._memoized(
            ("export", name),
            f"export {name}",
            lambda: scope.resolve(estack, evalue, depth),
        )
    return Unknown(f"import {display(name)} is not exported by a stack in scope")


def _fn_base64(scope: Scope, stack: str, arg: Any, depth: int) -> Any:
    return scope.resolve(stack, arg, depth)


def _fn_get_azs(scope: Scope, stack: str, arg: Any, depth: int) -> Any:
    return Unknown("availability zones are known only at deploy time")


def _fn_to_json_string(scope: Scope, stack: str, arg: Any, depth: int) -> Any:
    as_json = json.dumps(scope.resolve(stack, arg, depth), default=str)
    if len(as_json) > MAX_TEXT:
        return scope._over(f"Fn::ToJsonString builds a value over {MAX_TEXT:,} characters")
    return as_json


def _fn_length(scope: Scope, stack: str, arg: Any, depth: int) -> Any:
    items = scope.resolve(stack, arg, depth)
    return len(items) if isinstance(items, list) else Unknown("Fn::Length of unknown list")


def _condition_function(fn: str) -> Intrinsic:
    def evaluate(scope: Scope, stack: str, arg: Any, depth: int) -> Any:
        result = scope._cond_expr(stack, {fn: arg}, depth)
        return Unknown("condition is unknown") if result is None else result

    return evaluate


_INTRINSICS: dict[str, Intrinsic] = {
    "Ref": _fn_ref,
    "Fn::GetAtt": _fn_getatt,
    "Fn::Sub": _fn_sub,
    "Fn::Join": _fn_join,
    "Fn::Select": _fn_select,
    "Fn::Split": _fn_split,
    "Fn::If": _fn_if,
    "Fn::FindInMap": _fn_find_in_map,
    "Fn::ImportValue": _fn_import_value,
    "Fn::Base64": _fn_base64,
    "Fn::GetAZs": _fn_get_azs,
    "Fn::ToJsonString": _fn_to_json_string,
    "Fn::Length": _fn_length,
    **{fn: _condition_function(fn) for fn in ("Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not")},
}


def _literal_size(items: Any, delim: str) -> int:
    """Characters a Fn::Join's own literal items hold (what it may build without amplifying)."""
    if not isinstance(items, list):
        return 0
    return sum(len(i) for i in items if isinstance(i, str)) + len(delim) * len(items)
