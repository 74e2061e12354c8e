"""Per-resource assessment: the level each resource contributes, why, and the evidence.

Data first: the resource table's property rules decide most types (first match wins; a
documented CloudFormation default counts as evidence, marked as a default). A few types need
graph context and use a named decider (``classify.deciders``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from iacscan.knowledge.resource_types import TypeInfo
from iacscan.model import Resource, line_of
from iacscan.resolve import Unknown, display, has_tokens

RANK = {"serverless": 0, "serverless-with-floor": 1, "not-serverless": 2}
ABSENT = object()


@dataclass(frozen=True, slots=True)
class Assessment:
    """What one resource contributes to the verdict."""

    stack: str
    logical_id: str
    node: str  # the id people see: the node id, or the resource's id when it is no node
    type: str
    level: str  # serverless | serverless-with-floor | not-serverless | indeterminate
    idle_kind: str | None
    why: str
    file: str
    line: int | None
    default: bool = False
    best: str | None = None  # for indeterminate
    worst: str | None = None
    missing: str | None = None
    warning: str | None = None
    properties: Mapping[str, str | int | bool | None] = field(default_factory=dict)
    ecs_on_ec2: bool = False


def get_path(props: Mapping[str, Any], path: str) -> Any:
    """Value at a dotted path; ``Foo[]`` maps over a list. ABSENT when missing."""
    value: Any = props
    parts = path.split(".")
    for i, part in enumerate(parts):
        many = part.endswith("[]")
        key = part[:-2] if many else part
        if not isinstance(value, Mapping) or key not in value:
            return ABSENT
        value = value[key]
        if many:
            if not isinstance(value, list):
                return ABSENT
            rest = ".".join(parts[i + 1 :])
            # Elements that lack the rest of the path are absent, not present: a variant
            # with only ServerlessConfig has no InstanceType.
            found = [get_path(v, rest) if rest else v for v in value if isinstance(v, Mapping)]
            return [v for v in found if v is not ABSENT] or ABSENT
    return value


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):  # an integer too big for a float
        return None


def rule_matches(rule: Mapping[str, Any], value: Any) -> bool:
    if isinstance(value, list) and "present" not in rule:
        # "Foo[].Bar": the rule holds when any element's value passes (one instance-backed
        # variant is enough to bill by the hour).
        return any(rule_matches(rule, v) for v in value)
    if "present" in rule:
        present = value is not ABSENT and value is not None
        return present == bool(rule["present"])
    if value is ABSENT:
        return False
    if "equals" in rule:
        return str(value).lower() == str(rule["equals"]).lower()
    if "in" in rule:
        return str(value).lower() in {str(v).lower() for v in rule["in"]}
    n = _number(value)
    if n is None:
        return False
    for op, fn in (("gt", n.__gt__), ("gte", n.__ge__), ("lt", n.__lt__), ("lte", n.__le__)):
        if op in rule:
            return bool(fn(float(rule[op])))
    return False


def _is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown) or (isinstance(value, str) and has_tokens(value))


def evaluate_rules(
    info: TypeInfo, res: Resource, resolve: Any, base: Mapping[str, Any]
) -> Assessment:
    """Apply the table's rules to a resource. ``base`` has stack/node/file for the Assessment."""
    props = res.properties
    for idx, rule in enumerate(info.rules):
        prop = str(rule.get("property", ""))
        raw = get_path(props, prop)
        is_default = False
        if raw is ABSENT and "default" in rule:
            value: Any = rule["default"]
            is_default = True
        else:
            value = raw if raw is ABSENT else resolve(raw)
        if _is_unknown(value):
            options = value.options if isinstance(value, Unknown) else ()
            same = [r for r in info.rules[idx:] if r.get("property") == prop]
            levels = {str(r.get("level", info.level)) for r in same} | {info.level}
            if options:
                levels = {_option_level(info, same, o) for o in options}
            if len(levels) > 1:
                ordered = sorted(levels, key=lambda lv: RANK.get(lv, 0))
                return Assessment(
                    **base,
                    type=res.type,
                    level="indeterminate",
                    idle_kind=None,
                    why=f"{prop} is {display(value)}: it decides the level",
                    line=line_of(raw) or res.line,
                    best=ordered[0],
                    worst=ordered[-1],
                    missing=f"{prop} of {res.logical_id} ({display(value)})",
                )
            continue
        if rule_matches(rule, value):
            shown = "absent" if value is ABSENT else display(value)
            why = str(rule.get("why") or info.why)
            return Assessment(
                **base,
                type=res.type,
                level=rule.get("level", info.level),
                idle_kind=rule.get("idle_kind"),
                why=f"{why} ({prop} = {shown}{', the CloudFormation default' if is_default else ''})",
                line=line_of(raw) or res.line,
                default=is_default,
                properties={prop: shown},
                warning=f"{base['node']}: {rule['warning']}" if rule.get("warning") else None,
            )
    return Assessment(
        **base,
        type=res.type,
        level=info.level,
        idle_kind=info.idle_kind,
        why=info.why,
        line=res.line,
    )


def _option_level(info: TypeInfo, rules: list[Mapping[str, Any]], option: Any) -> str:
    for rule in rules:
        if rule_matches(rule, option):
            return str(rule.get("level", info.level))
    return info.level
