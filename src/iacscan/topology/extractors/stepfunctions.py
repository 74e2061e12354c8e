"""Step Functions definitions: state machine -invokes-> compute, -writes-> channels and stores.

Every definition form is read: ``Definition`` objects, ``DefinitionString`` as a string, Fn::Sub
or Fn::Join, with ``DefinitionSubstitutions``; ``DefinitionS3Location`` is unknown. Task states
are walked with ``topology.asl`` (Map, Parallel, nested states), and each integration is given
its meaning through the same IAM action table as policies (``lambda:invoke`` is
``lambda:InvokeFunction``, ``aws-sdk:s3:putObject`` is ``s3:PutObject``...).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from iacscan.model import Resource
from iacscan.resolve import Unknown, has_tokens
from iacscan.topology import asl
from iacscan.topology.context import ScanContext
from iacscan.topology.extractors.base import each
from iacscan.topology.extractors.iam import link_action

ID = "step-functions"

_ACTION_ALIASES = {
    "lambda:invoke": "lambda:invokefunction",
    "states:startexecution": "states:startexecution",
    "ecs:runtask": "ecs:runtask",
}
_SUBST = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
_MAX_DEFINITION = 2 * 1024 * 1024


def load_definition(ctx: ScanContext, stack: str, res: Resource) -> Mapping[str, Any] | None:
    """The state machine's definition with references kept as tokens; None when unknown."""
    props = res.properties
    subs_raw = props.get("DefinitionSubstitutions")
    subs = ctx.resolve(stack, subs_raw) if isinstance(subs_raw, Mapping) else {}
    subs = subs if isinstance(subs, Mapping) else {}
    if isinstance(props.get("Definition"), Mapping):
        definition = ctx.resolve(stack, props["Definition"])
        return _substitute(definition, subs) if isinstance(definition, Mapping) else None
    raw = props.get("DefinitionString")
    if raw is None:
        return None
    text = ctx.resolve(stack, raw)
    if isinstance(text, Unknown) or not isinstance(text, str):
        return None
    if len(text) > _MAX_DEFINITION:
        raise_limit(res, len(text))
    if subs:
        text = _SUBST.sub(lambda m: _sub_text(subs, m), text)
    try:
        parsed = json.loads(text, strict=False)
    except (ValueError, RecursionError):
        return None
    return parsed if isinstance(parsed, Mapping) else None


def raise_limit(res: Resource, size: int) -> None:
    raise ValueError(f"definition of {res.logical_id} is {size:,} characters, over the limit")


def _sub_text(subs: Mapping[str, Any], m: re.Match[str]) -> str:
    value = subs.get(m.group(1))
    if isinstance(value, str):
        return json.dumps(value)[1:-1]
    if isinstance(value, (int, float, bool)):
        return str(value)
    return m.group(0)


def _substitute(value: Any, subs: Mapping[str, Any]) -> Any:
    if not subs:
        return value
    if isinstance(value, str):
        whole = _SUBST.fullmatch(value)
        if whole and whole.group(1) in subs:
            return subs[whole.group(1)]
        return _SUBST.sub(lambda m: str(subs.get(m.group(1), m.group(0))), value)
    if isinstance(value, Mapping):
        return {k: _substitute(v, subs) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, subs) for v in value]
    return value


def _state_machine(ctx: ScanContext, stack: str, res: Resource) -> None:
    node = ctx.ensure_node((stack, res.logical_id))
    if node is None:
        return
    definition = load_definition(ctx, stack, res)
    facts = ctx.facts.setdefault(node, {})
    if definition is None:
        facts["definition"] = "unknown"
        return
    shape = asl.walk(definition)
    facts["shape"] = shape
    tasks = list(shape.tasks)
    for m in shape.maps:
        tasks.extend(t for t in (m.reader, m.writer) if t is not None)
    for task in tasks:
        service, act = task.service, task.action
        if service is None and isinstance(task.resource, str) and has_tokens(task.resource):
            service, act = "lambda", "invoke"  # Resource: ${Fn.Arn}, a function by reference
        if service is None or act is None:
            continue
        action = f"{service}:{act}".lower()
        action = _ACTION_ALIASES.get(action, action)
        target_value: Any = task.parameters if task.parameters else task.resource
        if service == "lambda" and (not task.parameters or task.service is None):
            target_value = task.resource
        what = (
            f"AWS::StepFunctions::StateMachine {res.logical_id} state {task.path} ({service}:{act})"
        )
        via = ctx.via(stack, what, res=res)
        started = link_action(ctx, stack, node, action, target_value, via)
        for key in started:
            ctx.started_tasks.add(key)


def extract(ctx: ScanContext) -> None:
    each(ctx, ID, ("AWS::StepFunctions::StateMachine",), _state_machine)
