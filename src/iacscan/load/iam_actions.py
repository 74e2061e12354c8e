"""IAM action meanings: which actions read from or write to which resource type.

The base is the table aws-sam-translator ships for SAM connectors
(``samtranslator/model/connector_profiles/profiles.json``), read as data; a short supplement adds
the actions it does not cover (Kinesis, Firehose, ECS RunTask/UpdateService, Batch, Glue), and
housekeeping actions that move no data (DeleteMessage, Describe*, ACLs) are dropped.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.util import find_spec
from pathlib import Path

Meaning = tuple[str, str]  # (resource type, "Read" | "Write")

SUPPLEMENT: dict[str, tuple[Meaning, ...]] = {
    "kinesis:putrecord": (("AWS::Kinesis::Stream", "Write"),),
    "kinesis:putrecords": (("AWS::Kinesis::Stream", "Write"),),
    "kinesis:getrecords": (("AWS::Kinesis::Stream", "Read"),),
    "kinesis:subscribetoshard": (("AWS::Kinesis::Stream", "Read"),),
    "firehose:putrecord": (("AWS::KinesisFirehose::DeliveryStream", "Write"),),
    "firehose:putrecordbatch": (("AWS::KinesisFirehose::DeliveryStream", "Write"),),
    "ecs:runtask": (("AWS::ECS::TaskDefinition", "Write"),),
    "ecs:starttask": (("AWS::ECS::TaskDefinition", "Write"),),
    "ecs:updateservice": (("AWS::ECS::Service", "Write"),),
    "batch:submitjob": (("AWS::Batch::JobQueue", "Write"),),
    "glue:startjobrun": (("AWS::Glue::Job", "Write"),),
    "dynamodb:getrecords": (("AWS::DynamoDB::Table", "Read"),),
    "sqs:sendmessagebatch": (("AWS::SQS::Queue", "Write"),),
    "events:putevents": (("AWS::Events::EventBus", "Write"),),
    "states:startexecution": (("AWS::StepFunctions::StateMachine", "Write"),),
    "states:startsyncexecution": (("AWS::StepFunctions::StateMachine", "Write"),),
    "lambda:invokefunction": (("AWS::Lambda::Function", "Write"),),
}

# Actions that move no data between resources: they never make an edge.
IGNORED = frozenset(
    {
        "sqs:deletemessage",
        "sqs:changemessagevisibility",
        "sqs:purgequeue",
        "sqs:getqueueattributes",
        "s3:getobjectacl",
        "s3:getobjectlegalhold",
        "s3:getobjectretention",
        "s3:getobjecttorrent",
        "s3:getobjectversionacl",
        "s3:getobjectversiontorrent",
        "s3:putobjectlegalhold",
        "s3:putobjectretention",
        "s3:listbucketmultipartuploads",
        "s3:listmultipartuploadparts",
        "s3:abortmultipartupload",
        "states:describeexecution",
        "states:describestatemachine",
        "states:describestatemachineforexecution",
        "states:getexecutionhistory",
        "states:listexecutions",
        "states:stopexecution",
        "events:putrule",
        "events:puttargets",
        "events:describerule",
        "dynamodb:describestream",
        "dynamodb:liststreams",
        "dynamodb:getsharditerator",
        "dynamodb:conditioncheckitem",
    }
)


def _profiles_path() -> Path | None:
    spec = find_spec("samtranslator")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations)))
    candidate = path / "model" / "connector_profiles" / "profiles.json"
    return candidate if candidate.is_file() else None


@cache
def action_table() -> dict[str, tuple[Meaning, ...]]:
    """Lower-case ``service:action`` -> the (resource type, Read|Write) meanings it has."""
    table: dict[str, set[Meaning]] = {}
    path = _profiles_path()
    if path is not None:
        data = json.loads(path.read_text("utf-8"))
        for src, dests in data.get("Permissions", {}).items():
            for dst, spec in dests.items():
                if spec.get("Type") != "AWS_IAM_ROLE_MANAGED_POLICY":
                    continue
                for category, body in spec["Properties"]["AccessCategories"].items():
                    for statement in body.get("Statement", []):
                        _add_statement(table, statement, src, dst, category)
    for action, meanings in SUPPLEMENT.items():
        table.setdefault(action, set()).update(meanings)
    return {a: tuple(sorted(m)) for a, m in table.items() if a not in IGNORED}


def _add_statement(
    table: dict[str, set[Meaning]], statement: dict[str, object], src: str, dst: str, category: str
) -> None:
    actions = statement.get("Action", [])
    resources = statement.get("Resource", [])
    actions = [actions] if isinstance(actions, str) else actions
    resources = [resources] if isinstance(resources, str) else resources
    if not isinstance(actions, list) or not isinstance(resources, list):
        return
    text = " ".join(str(r) for r in resources)
    owner = dst if "%{Destination" in text else src if "%{Source" in text else None
    if owner is None:
        return
    for action in actions:
        table.setdefault(str(action).lower(), set()).add((owner, category))
