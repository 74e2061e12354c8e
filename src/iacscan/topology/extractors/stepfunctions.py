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
from iacscan.resolve.values import as_token
from iacscan.topology import asl
from iacscan.topology.arns import TARGET_NAME_FIELDS
from iacscan.topology.context import ScanContext
from iacscan.topology.extractors.base import each, get
from iacscan.topology.extractors.iam import link_action

ID = "step-functions"

# Step Functions' names for actions whose IAM name differs (the rest are the same).
_ACTION_ALIASES = {"lambda:invoke": "lambda:invokefunction"}
MAX_DEFINITION = asl.MAX_DEFINITION
# The Parameters key that names each resource an integration starts, with the resource's type.
# The other keys (the cluster, container overrides, the job name) are not its targets: a cluster
# or an environment value passed in as a parameter is no task definition.
_TARGET_KEYS: dict[str, dict[str, str]] = {
    "ecs:runtask": {"TaskDefinition": "AWS::ECS::TaskDefinition"},
    "batch:submitjob": {
        "JobQueue": "AWS::Batch::JobQueue",
        "JobDefinition": "AWS::Batch::JobDefinition",
    },
}


# A value known only at deploy time written where JSON wants a number or a boolean
# (``"Seconds":`` + ``{"Ref": "WaitTime"}``): quoted, so that the rest of the definition is read.
_BARE_TOKEN = re.compile(r"([:\[,]\s*)(\x01[^\x01\x02]*\x02)(?=\s*[,}\]])")


def _joined_with_unknowns(ctx: ScanContext, stack: str, raw: Any) -> str | None:
    """A definition built with ``Fn::Join`` (as CDK writes it) where a part is known only at
    deploy time (a parameter without a default): the text with that part as an unknown token,
    so that the rest of the workflow is still read."""
    join = raw.get("Fn::Join") if isinstance(raw, Mapping) and len(raw) == 1 else None
    if not isinstance(join, list) or len(join) != 2:
        return None
    delimiter, items = ctx.resolve(stack, join[0]), ctx.resolve(stack, join[1])
    if not isinstance(delimiter, str) or not isinstance(items, list):
        return None
    parts = [ctx.resolve(stack, item) for item in items]
    if not all(isinstance(p, (str, int, float, Unknown)) for p in parts):
        return None
    text = delimiter.join(as_token(p) if isinstance(p, Unknown) else str(p) for p in parts)
    return text if len(text) <= MAX_DEFINITION else None


def _loads(text: str) -> Any:
    """The definition's JSON; when it does not parse and holds deploy-time values, again with
    those written bare (where a number goes) quoted. Only then: quoting inside a JSON string
    (``"Comment": "stage: ${Stage}, ..."``) would break a definition that reads as it is."""
    try:
        return json.loads(text, strict=False)
    except ValueError:
        if "\x01" not in text:
            raise
        return json.loads(_quote_bare_tokens(text), strict=False)


def _quote_bare_tokens(text: str) -> str:
    return _BARE_TOKEN.sub(lambda m: f'{m.group(1)}"{m.group(2)}"', text) if "\x01" in text else text


def load_definition(ctx: ScanContext, stack: str, res: Resource) -> Mapping[str, Any] | None:
    """The state machine's definition with references kept as tokens; None when unknown.

    A definition over the size limit, or one that is not valid JSON although nothing in it is
    unknown, is reported as an input error of the template (file and line); the rest of the
    template is still analysed.
    """
    props = res.properties
    subs_raw = props.get("DefinitionSubstitutions")
    subs = ctx.resolve(stack, subs_raw) if isinstance(subs_raw, Mapping) else {}
    subs = subs if isinstance(subs, Mapping) else {}
    if isinstance(props.get("Definition"), Mapping):
        definition = ctx.resolve(stack, props["Definition"])
        return asl.substitute(definition, subs) if isinstance(definition, Mapping) else None
    raw = props.get("DefinitionString")
    if raw is None:
        return None
    if _literal_size(raw) > MAX_DEFINITION:  # refuse before resolving, not after
        _too_big(ctx, stack, res, raw, _literal_size(raw))
        return None
    text = ctx.resolve(stack, raw)
    if isinstance(text, Unknown):
        text = _joined_with_unknowns(ctx, stack, raw)
    if not isinstance(text, str):
        return None
    if len(text) > MAX_DEFINITION:
        _too_big(ctx, stack, res, raw, len(text))
        return None
    if subs:
        text = asl.substitute_text(text, subs)
    try:
        parsed = _loads(text)
    except RecursionError:
        ctx.diagnostics.input_error(
            stack,
            f"the Step Functions definition of {res.logical_id} is nested too deeply to read",
            "no genuine state machine definition nests this deep; its integrations are unknown",
            kind="limit",
            at=raw,
            res=res,
        )
        return None
    except ValueError as err:
        if not has_tokens(text):  # unknown parts may break the JSON: only report real errors
            ctx.diagnostics.input_error(
                stack,
                f"the Step Functions definition of {res.logical_id} is not valid JSON: "
                f"{getattr(err, 'msg', err)} at line {getattr(err, 'lineno', '?')} "
                f"column {getattr(err, 'colno', '?')} of the definition",
                "fix the DefinitionString (Step Functions rejects it too); the state "
                "machine's integrations are unknown until then",
                at=raw,
                res=res,
            )
        return None
    if not isinstance(parsed, Mapping):
        if not has_tokens(text):
            ctx.diagnostics.input_error(
                stack,
                f"the Step Functions definition of {res.logical_id} is a "
                f"{type(parsed).__name__}, not a JSON object",
                "a definition is an object with StartAt and States",
                at=raw,
                res=res,
            )
        return None
    return parsed


def _literal_size(raw: Any) -> int:
    """Characters the DefinitionString holds in the template itself (a string or Fn::Sub)."""
    if isinstance(raw, str):
        return len(raw)
    if isinstance(raw, Mapping) and len(raw) == 1:
        arg = raw.get("Fn::Sub")
        if isinstance(arg, list) and arg:
            arg = arg[0]
        if isinstance(arg, str):
            return len(arg)
        parts = get(raw, "Fn::Join")
        if isinstance(parts, list) and len(parts) == 2 and isinstance(parts[1], list):
            return sum(len(p) for p in parts[1] if isinstance(p, str))
    return 0


def _too_big(ctx: ScanContext, stack: str, res: Resource, raw: Any, size: int) -> None:
    ctx.diagnostics.input_error(
        stack,
        f"the Step Functions definition of {res.logical_id} is {size:,} characters, over "
        f"iacscan's {MAX_DEFINITION:,}-character limit on definitions",
        "Step Functions itself accepts definitions of at most 1 MB, so this one cannot be "
        "deployed; its integrations are unknown (no flag lifts this limit)",
        kind="limit",
        at=raw,
        res=res,
    )


def _state_machine(ctx: ScanContext, stack: str, res: Resource) -> None:
    node = ctx.ensure_node((stack, res.logical_id))
    if node is None:
        return
    definition = load_definition(ctx, stack, res)
    if definition is None:
        location = res.properties.get("DefinitionS3Location")
        if isinstance(location, str) and not location.startswith("s3://"):
            shown = location if len(location) <= 200 else location[:197] + "..."
            where = f"in {shown}, a local file that could not be read (DefinitionUri)"
        elif location is not None:
            where = "in S3 (DefinitionS3Location)"
        else:
            where = "not readable before deployment"
        ctx.diagnostics.note(
            stack,
            f"the definition of state machine {res.logical_id} is {where}: the services it "
            "calls are not in the topology",
            res,
        )
        return
    shape = asl.walk(definition)
    ctx.workflow_shapes[node] = shape
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
        keyed = _TARGET_KEYS.get(action)
        links: list[tuple[Any, str | None]]
        names = _name_fields(task.parameters) if service != "lambda" and keyed is None else []
        if keyed is not None:
            links = [(task.parameters[k], t) for k, t in keyed.items() if k in task.parameters]
        elif names:  # the parameters that name the target, which may be plain names
            links = [(names, None)]
        else:
            links = [(target_value, None)]
        # RunTask's LaunchType / CapacityProviderStrategy, when the state gives them
        params = task.parameters if action == "ecs:runtask" else None
        # a task definition or job queue may be named by its family or name ("jobs", "jobs:3")
        by_name = bool(names) or keyed is not None
        for value, rtype in links:
            for key in link_action(ctx, stack, node, action, value, via, rtype, by_name=by_name):
                ctx.launched(key, node, stack, params, what, None, res)


def _name_fields(parameters: Any) -> list[Any]:
    """The values of a task's parameters that name its target (``QueueUrl``, ``TableName``,
    ``Entries[].EventBusName``...), at any depth; a ``Key.$`` path is chosen at run time."""
    found: list[Any] = []
    pending = [parameters]
    while pending:
        item = pending.pop()
        if isinstance(item, Mapping):
            for key, value in item.items():
                if key in TARGET_NAME_FIELDS:
                    found.append(value)
                elif isinstance(value, (Mapping, list)):
                    pending.append(value)
        elif isinstance(item, list):
            pending.extend(item)
    return found


def extract(ctx: ScanContext) -> None:
    each(ctx, ID, ("AWS::StepFunctions::StateMachine",), _state_machine)
