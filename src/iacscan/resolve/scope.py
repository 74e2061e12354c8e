"""Parameters, conditions, mappings and references across the stacks in scope.

``Scope.resolve(stack, value)`` turns a template value into plain Python data in which every
reference to a resource is kept as a *token* inside strings (``ref_token``), so that a value such
as ``!Sub arn:aws:s3:::${Frames}/*`` still says which resource it points at. Whatever cannot be
known statically becomes an ``Unknown`` (with the candidate values when an ``Fn::If`` condition
is unknown): never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from iacscan.model import Template
from iacscan.resolve.intrinsics import _INTRINSICS, MAX_TEXT
from iacscan.resolve.meter import MAX_STEPS, Meter
from iacscan.resolve.values import (
    NO_VALUE,
    Unknown,
    as_token,
    has_tokens,
    pseudo_token,
    ref_token,
)

_SUB_VAR = re.compile(r"\$\{([^}]*)\}")
# A dynamic reference to an SSM parameter, with an optional version: {{resolve:ssm:/a/b:3}}.
_SSM_REF = re.compile(r"\{\{resolve:ssm:([A-Za-z0-9_.\-/]+)(?::\d+)?\}\}")
MAX_DEPTH = 64
# Bounds that keep hostile templates (references that double each other, cycles, huge values
# used many times) linear: a string built by Fn::Sub/Fn::Join holds at most MAX_TEXT characters
# (CloudFormation caps a whole template at 1 MB); one top-level resolve() visits at most
# MAX_STEPS values (meter.py); all resolve() calls of a Scope together at most BASE_BUDGET steps
# plus BUDGET_PER_VALUE per value in the templates. Past a bound the value is an Unknown.
BASE_BUDGET = 5_000_000
BUDGET_PER_VALUE = 20
_SCALARS = (str, int, float, type(None))  # never Mappings: no ABC check (a Python call) for them


class Scope:
    """All the stacks analysed together: resolves values in any of them."""

    def __init__(self, templates: Mapping[str, Template], *, read_ssm: bool = True):
        self.templates = templates
        # False: ``{{resolve:ssm:NAME}}`` stays as written (with its name resolved), for
        # callers that need the parameter's name rather than the value it holds
        self.read_ssm = read_ssm
        self.exports: dict[str, tuple[str, Any]] = {}
        self._cond_cache: dict[tuple[str, str], bool | None] = {}
        self._in_progress: set[tuple[str, str]] = set()
        # Referenced values (parameters, exports, nested stack outputs) resolved once each:
        # key -> (value, cost in steps charged again on every use); cycles are detected.
        self._memo: dict[tuple[str, ...], tuple[Any, int]] = {}
        self._resolving: set[tuple[str, ...]] = set()
        self._active = 0
        # The part of the budget that grows with the templates is counted only when a run spends
        # BASE_BUDGET (counting walks every value: 30 ms at 5,000 resources, for every Scope).
        self.meter = Meter(
            BASE_BUDGET,
            lambda: BUDGET_PER_VALUE * sum(_count_values(t) for t in templates.values()),
        )
        self._ssm: dict[str, tuple[str, str]] | None = None  # SSM name -> (stack, logical id)
        # (file, "Ref X" | "Fn::GetAtt X.Y") met while resolving that names nothing the
        # template defines: CloudFormation rejects such a template (the report says so)
        self.undefined: set[tuple[str, str]] = set()
        for stack, t in templates.items():
            for out in t.outputs.values():
                if not isinstance(out, Mapping):
                    continue
                export = out.get("Export")
                if isinstance(export, Mapping) and "Name" in export:
                    name = self.resolve(stack, export["Name"])
                    if isinstance(name, str) and not has_tokens(name):
                        self.exports[name] = (stack, out.get("Value"))

    # ------------------------------------------------------------------ values

    @property
    def exhausted(self) -> tuple[str, str] | None:
        """(reason, stack) once a bound was hit: some values are Unknown because of it."""
        return self.meter.exhausted

    def resolve(self, stack: str, value: Any, depth: int = 0) -> Any:
        if self._active == 0:
            self.meter.start(stack)  # a new top-level call
        self._active += 1
        try:
            return self._resolve(stack, value, depth)
        finally:
            self._active -= 1

    def _charge(self, steps: int) -> Unknown | None:
        return self.meter.charge(steps)

    def _over(self, reason: str) -> Unknown:
        return self.meter.over(reason)

    def _resolve(self, stack: str, value: Any, depth: int) -> Any:
        over = self._charge(1)
        if over is not None:
            return over
        if depth > MAX_DEPTH:
            return Unknown("nesting too deep")
        if isinstance(value, dict) or (
            not isinstance(value, _SCALARS) and isinstance(value, Mapping)
        ):
            if len(value) == 1:
                key = next(iter(value))
                if isinstance(key, str) and (key == "Ref" or key.startswith("Fn::")):
                    return self._intrinsic(stack, key, value[key], depth + 1)
            out = {}
            for k, v in value.items():
                r = self.resolve(stack, v, depth + 1)
                if r is not NO_VALUE:
                    out[str(k)] = r
            return out
        if isinstance(value, list):
            items = [self.resolve(stack, v, depth + 1) for v in value]
            return [i for i in items if i is not NO_VALUE]
        if isinstance(value, str):
            return self._ssm_refs(value, depth) if "{{resolve:ssm:" in value else str(value)
        return value

    def _intrinsic(self, stack: str, fn: str, arg: Any, depth: int) -> Any:
        evaluate = _INTRINSICS.get(fn)
        if evaluate is None:
            return Unknown(f"{fn} is not evaluated statically")
        return evaluate(self, stack, arg, depth)

    def _as_text(self, value: Any) -> str | Unknown:
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return str(value)
        if isinstance(value, Unknown):
            return value
        return Unknown("a structured value used as text")

    def _ref(self, stack: str, name: Any, depth: int) -> Any:
        t = self.templates[stack]
        if not isinstance(name, str):
            return Unknown("Ref to a computed name")
        if name == "AWS::NoValue":
            return NO_VALUE
        if name == "AWS::StackName":
            return t.stack.rsplit("/", 1)[-1] if t.parent is None else pseudo_token(name)
        if name in ("AWS::URLSuffix",):
            return "amazonaws.com"
        if name.startswith("AWS::"):
            return pseudo_token(name)
        if name in t.resources:
            return ref_token(stack, name, "Ref")
        if name in t.parameter_values or name in t.parameters:
            return self._memoized(
                ("parameter", stack, name),
                f"parameter {name}",
                lambda: self._parameter(stack, name, depth),
            )
        self.undefined.add((t.file, f"Ref {name}"))
        return Unknown(f"Ref to {name}, which is not defined in {t.file}")

    def _memoized(self, key: tuple[str, ...], what: str, compute: Any) -> Any:
        """A referenced value, resolved once (cycles are unknown); each use is charged its size."""
        hit = self._memo.get(key)
        if hit is not None:
            over = self._charge(hit[1])
            return hit[0] if over is None else over
        if key in self._resolving:
            return Unknown(f"{what} refers to itself (a cycle)")
        self._resolving.add(key)
        try:
            value = compute()
        finally:
            self._resolving.discard(key)
        # Resolving it was paid once; every later use pays for its size, which is what the
        # consumers of the value then walk (a value built by doubling is as big as it cost).
        self._memo[key] = (value, 1 + _weight(value))
        return value

    def _parameter(self, stack: str, name: str, depth: int) -> Any:
        t = self.templates[stack]
        if name in t.parameter_values:
            raw = t.parameter_values[name]
            parent = self._parent_stack(t)
            return self.resolve(parent, raw, depth) if parent else self.resolve(stack, raw, depth)
        if name in t.parameters:
            p = t.parameters[name]
            if isinstance(p, Mapping):
                ptype = str(p.get("Type", ""))
                if ptype.startswith("AWS::SSM::Parameter::Value"):
                    ssm_name = self.resolve(stack, p.get("Default"), depth)
                    if not isinstance(ssm_name, str):
                        return Unknown(
                            f"parameter {name} is read from SSM at deploy time", stack=stack
                        )
                    return self._ssm_value(ssm_name, depth)
                if "Default" in p:
                    default = self.resolve(stack, p["Default"], depth)
                    is_list = ptype.startswith("List<") or ptype == "CommaDelimitedList"
                    if is_list and isinstance(default, str):
                        return [s.strip() for s in default.split(",")]
                    return default
        return Unknown(f"parameter {name} has no default", stack=stack)

    def _parent_stack(self, t: Template) -> str | None:
        if t.parent is None:
            return None
        parent = t.parent.rsplit("/", 1)[0]
        return parent if parent in self.templates else None

    def _getatt(self, stack: str, lid: str, attr: str, depth: int) -> Any:
        t = self.templates[stack]
        res = t.resources.get(lid)
        if res is None:
            self.undefined.add((t.file, f"Fn::GetAtt {lid}.{attr}"))
            return Unknown(f"Fn::GetAtt {lid}.{attr}: {lid} is not defined in {t.file}")
        if res.type == "AWS::CloudFormation::Stack" and attr.startswith("Outputs."):
            child = f"{stack}/{lid}"
            ct = self.templates.get(child)
            if ct is not None:
                out = ct.outputs.get(attr[len("Outputs.") :])
                if isinstance(out, Mapping) and "Value" in out:
                    value = out["Value"]
                    return self._memoized(
                        ("output", child, attr),
                        f"output {attr} of nested stack {lid}",
                        lambda: self.resolve(child, value, depth),
                    )
            return Unknown(f"output {attr} of nested stack {lid} is not in scope")
        return ref_token(stack, lid, attr)

    def _sub(self, stack: str, arg: Any, depth: int) -> Any:
        if isinstance(arg, list) and len(arg) == 2:
            text, variables = arg
            if not isinstance(variables, Mapping):
                return Unknown("Fn::Sub variables must be a mapping")
        else:
            text, variables = arg, {}
        if not isinstance(text, str):
            return Unknown("Fn::Sub needs a string")
        local = {str(k): self.resolve(stack, v, depth) for k, v in variables.items()}
        unknowns: list[Unknown] = []
        size = [0]  # characters inserted: the literal text is bounded by the file size

        def repl(m: re.Match[str]) -> str:
            if size[0] > MAX_TEXT:
                return ""  # the result is dropped below: stop building it
            name = m.group(1).strip()
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in local:
                value = local[name]
            elif "." in name and not name.startswith("AWS::"):
                lid, attr = name.split(".", 1)
                value = self._getatt(stack, lid, attr, depth)
            else:
                value = self._ref(stack, name, depth)
            text_value = self._as_text(value)
            if isinstance(text_value, Unknown):
                unknowns.append(text_value)
                text_value = as_token(text_value)
            size[0] += len(text_value)
            return text_value

        result = _SUB_VAR.sub(repl, text)
        if size[0] > MAX_TEXT:
            return self._over(f"Fn::Sub inserts more than {MAX_TEXT:,} characters")
        return self._ssm_refs(result, depth) if "{{resolve:ssm:" in result else result

    # ------------------------------------------------------------------ SSM parameters

    def _ssm_parameters(self) -> dict[str, tuple[str, str]]:
        """Every AWS::SSM::Parameter in scope by its resolved name: stacks that hand values to
        each other through Parameter Store instead of Export/ImportValue."""
        if self._ssm is None:
            self._ssm = {}
            for stack, t in self.templates.items():
                for lid, res in t.resources.items():
                    if res.type == "AWS::SSM::Parameter":
                        name = self.resolve(stack, res.properties.get("Name"))
                        if isinstance(name, str) and name and not has_tokens(name):
                            self._ssm.setdefault(name, (stack, lid))
        return self._ssm

    def ssm_parameter_stack(self, name: str) -> str | None:
        """The stack in scope whose AWS::SSM::Parameter has this name, if any."""
        hit = self._ssm_parameters().get(name)
        return hit[0] if hit is not None else None

    def _ssm_value(self, name: str, depth: int) -> Any:
        """The value CloudFormation will read from SSM parameter ``name`` at deploy time: the
        ``Value`` of the AWS::SSM::Parameter in scope that has this name."""
        hit = self._ssm_parameters().get(name)
        if hit is None:
            return Unknown(
                f"SSM parameter {name} is read at deploy time; no stack in scope sets it"
            )
        stack, lid = hit
        value = self.templates[stack].resources[lid].properties.get("Value")
        return self._memoized(
            ("ssm", name), f"SSM parameter {name}", lambda: self.resolve(stack, value, depth)
        )

    def _ssm_refs(self, text: str, depth: int) -> Any:
        """``{{resolve:ssm:NAME}}`` dynamic references replaced by the parameter's value when a
        stack in scope sets it; else an unknown (the value is read at deploy time: it is no
        literal name, and what it names is outside the scan). Without ``read_ssm``: as is."""
        if not self.read_ssm:
            return text
        whole = _SSM_REF.fullmatch(text)
        if whole is not None:
            return self._ssm_value(whole.group(1), depth)

        size = [len(text)]

        def repl(m: re.Match[str]) -> str:
            if size[0] > MAX_TEXT:
                return ""  # the result is dropped below: stop building it
            found = self._as_text(self._ssm_value(m.group(1), depth))
            if isinstance(found, Unknown):  # read at deploy time: an unknown part
                found = as_token(found)
            size[0] += len(found)
            return found

        result = _SSM_REF.sub(repl, text)
        if size[0] > MAX_TEXT:
            return self._over(f"SSM references insert more than {MAX_TEXT:,} characters")
        return result

    def _find_in_map(self, t: Template, stack: str, arg: Any, depth: int) -> Any:
        if not isinstance(arg, list) or len(arg) < 3:
            return Unknown("Fn::FindInMap needs [map, key, key]")
        keys = [self.resolve(stack, a, depth) for a in arg[:3]]
        default = None
        if len(arg) == 4 and isinstance(arg[3], Mapping) and "DefaultValue" in arg[3]:
            default = self.resolve(stack, arg[3]["DefaultValue"], depth)
        if not all(isinstance(k, str) and not has_tokens(k) for k in keys):
            return default if default is not None else Unknown("Fn::FindInMap with unknown keys")
        level: Any = t.mappings
        for k in keys:
            if not isinstance(level, Mapping) or k not in level:
                if default is not None:
                    return default
                return Unknown(f"mapping {'/'.join(str(k) for k in keys)} not found")
            level = level[k]
        return self.resolve(stack, level, depth)

    # ------------------------------------------------------------------ conditions

    def condition(self, stack: str, name: str) -> bool | None:
        """True/False when decidable from parameter defaults, None when unknown (or a cycle)."""
        key = (stack, name)
        if key in self._cond_cache:
            return self._cond_cache[key]
        if key in self._in_progress:
            return None  # a condition cycle: unknown, never a hang
        t = self.templates[stack]
        expr = t.conditions.get(name)
        if expr is None:
            return None
        self._in_progress.add(key)
        try:
            result = self._cond_expr(stack, expr, 0)
        finally:
            self._in_progress.discard(key)
        self._cond_cache[key] = result
        return result

    def _cond_expr(self, stack: str, expr: Any, depth: int) -> bool | None:
        if depth > MAX_DEPTH or not isinstance(expr, Mapping) or len(expr) != 1:
            return None
        fn, arg = next(iter(expr.items()))
        if fn == "Condition" and isinstance(arg, str):
            return self.condition(stack, arg)
        if fn == "Fn::Equals" and isinstance(arg, list) and len(arg) == 2:
            a, b = (self.resolve(stack, x, depth + 1) for x in arg)
            if isinstance(a, (Unknown, Mapping, list)) or isinstance(b, (Unknown, Mapping, list)):
                return None
            if (isinstance(a, str) and has_tokens(a)) or (isinstance(b, str) and has_tokens(b)):
                return None
            return str(a) == str(b)
        if fn == "Fn::Not" and isinstance(arg, list) and len(arg) == 1:
            inner = self._cond_expr(stack, arg[0], depth + 1)
            return None if inner is None else not inner
        if fn in ("Fn::And", "Fn::Or") and isinstance(arg, list):
            values = [self._cond_expr(stack, x, depth + 1) for x in arg]
            if fn == "Fn::And":
                if any(v is False for v in values):
                    return False
                return None if any(v is None for v in values) else True
            if any(v is True for v in values):
                return True
            return None if any(v is None for v in values) else False
        return None

    def resource_enabled(self, stack: str, condition: str | None) -> bool | None:
        """Whether a resource with ``Condition: name`` is deployed (None = unknown)."""
        return True if condition is None else self.condition(stack, condition)


def _weight(value: Any) -> int:
    """What using a value costs its consumers: its items, and its text by the 16 characters."""
    weight = 0
    stack: list[Any] = [value]
    while stack and weight <= MAX_STEPS:
        item = stack.pop()
        if isinstance(item, str):
            weight += len(item) // 16
        elif isinstance(item, Mapping):
            weight += len(item)
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            weight += len(item)
            stack.extend(item)
        elif isinstance(item, Unknown):
            stack.extend(item.options)
    return weight


def _count_values(t: Template) -> int:
    """How many values a template holds (iteratively: no recursion)."""
    count = 0
    stack: list[Any] = [
        t.parameters,
        t.parameter_values,
        t.conditions,
        t.mappings,
        t.outputs,
        *(r.properties for r in t.resources.values()),
    ]
    while stack:
        item = stack.pop()
        count += 1
        if isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count
