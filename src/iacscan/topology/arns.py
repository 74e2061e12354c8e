"""Matching ARNs, names and URLs written by hand back to the resources that own them.

``arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:thumbs`` names the function whose
``FunctionName`` is ``thumbs``. Region, account and partition are wildcards (they never decide
identity); a ``*`` in the name part matches several resources and makes the evidence weak.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# resource type -> (ARN service, name property)
NAME_PROPERTIES: dict[str, tuple[str, str]] = {
    "AWS::Lambda::Function": ("lambda", "FunctionName"),
    "AWS::SQS::Queue": ("sqs", "QueueName"),
    "AWS::SNS::Topic": ("sns", "TopicName"),
    "AWS::S3::Bucket": ("s3", "BucketName"),
    "AWS::DynamoDB::Table": ("dynamodb", "TableName"),
    "AWS::DynamoDB::GlobalTable": ("dynamodb", "TableName"),
    "AWS::StepFunctions::StateMachine": ("states", "StateMachineName"),
    "AWS::Kinesis::Stream": ("kinesis", "Name"),
    "AWS::Events::EventBus": ("events", "Name"),
    "AWS::ECS::TaskDefinition": ("ecs-task", "Family"),
    "AWS::ECS::Service": ("ecs-service", "ServiceName"),
    "AWS::KinesisFirehose::DeliveryStream": ("firehose", "DeliveryStreamName"),
    "AWS::Batch::JobQueue": ("batch", "JobQueueName"),
    "AWS::RDS::DBCluster": ("rds", "DBClusterIdentifier"),
    "AWS::RDS::DBInstance": ("rds", "DBInstanceIdentifier"),
    "AWS::Redshift::Cluster": ("redshift", "ClusterIdentifier"),
    "AWS::Glue::Job": ("glue-job", "Name"),
    "AWS::Glue::Crawler": ("glue-crawler", "Name"),
}

_RESOURCE_PATTERNS: dict[str, re.Pattern[str]] = {
    "lambda": re.compile(r"^function:([^:]+)"),
    "sqs": re.compile(r"^([^/:]+)$"),
    "sns": re.compile(r"^([^/:]+)$"),
    "s3": re.compile(r"^([^/]+)"),
    "dynamodb": re.compile(r"^table/([^/]+)"),
    "states": re.compile(r"^(?:stateMachine|execution):([^:]+)"),
    "kinesis": re.compile(r"^stream/([^/]+)"),
    "events": re.compile(r"^event-bus/([^/]+)"),
    "firehose": re.compile(r"^deliverystream/([^/]+)"),
    "batch": re.compile(r"^job-queue/([^/]+)"),
    "rds": re.compile(r"^(?:cluster|db):([^:]+)$"),
    # a cluster, or the database user or database the Data API and credentials name in it
    "redshift": re.compile(r"^(?:cluster:|dbuser:|dbname:)([^/:]+)"),
}
ARN_SERVICE = re.compile(r"^arn:(?:\$\{[^}]*\}|[^:]*):([^:]*):")  # the partition may be ${...}
# Channels, stores and serverless compute that a grant, a task or a rule may name outside the
# scope: a name that matches nothing in scope is an ``ext:`` node (a function or a state machine
# is serverless whatever it runs, so it is shown without weakening the level; ECS and Batch
# compute named outside is handled apart: ScanContext._unseen_compute).
# Type -> what a note calls one.
NAMED_EXTERNAL: dict[str, str] = {
    "AWS::Lambda::Function": "a function",
    "AWS::StepFunctions::StateMachine": "a state machine",
    "AWS::SQS::Queue": "a queue",
    "AWS::SNS::Topic": "a topic",
    "AWS::S3::Bucket": "a bucket",
    "AWS::DynamoDB::Table": "a table",
    "AWS::Kinesis::Stream": "a stream",
    "AWS::Events::EventBus": "an event bus",
    "AWS::KinesisFirehose::DeliveryStream": "a delivery stream",
}
# The fields that name a target by its name, URL or ARN in a Step Functions task's Parameters
# and in an API Gateway service integration's request template.
TARGET_NAME_FIELDS = frozenset(
    {
        "EventBusName",
        "QueueUrl",
        "TopicArn",
        "TableName",
        "StreamName",
        "StreamARN",
        "DeliveryStreamName",
        "Bucket",
        "StateMachineArn",
        "stateMachineArn",
    }
)
# The resource part of the ARN of a function, state machine, channel or store, from its name.
_NAME_TO_RESOURCE = {
    "lambda": "function:{}",
    "states": "stateMachine:{}",
    "sqs": "{}",
    "sns": "{}",
    "events": "event-bus/{}",
    "dynamodb": "table/{}",
    "kinesis": "stream/{}",
    "firehose": "deliverystream/{}",
}
_SQS_URL = re.compile(r"^https://sqs\.[^/]+/[^/]+/([^/]+)$")


@dataclass(frozen=True, slots=True)
class ArnName:
    service: str  # as in NAME_PROPERTIES (ecs split into ecs-task / ecs-service, glue likewise)
    name: str  # may contain * and ? wildcards
    is_pattern: bool


def parse_arn(text: str) -> ArnName | None:
    """Service and resource name of an ARN (or an SQS queue URL); None when not recognisable."""
    m = _SQS_URL.match(text)
    if m:
        return ArnName("sqs", m.group(1), _wild(m.group(1)))
    if not text.startswith("arn:"):
        return None
    parts = text.split(":", 5)
    if len(parts) < 6:
        return None
    service, resource = parts[2], parts[5]
    if service == "ecs":
        if resource.startswith("task-definition/"):
            name = resource[len("task-definition/") :].split(":", 1)[0]
            return ArnName("ecs-task", name, _wild(name))
        if resource.startswith("service/"):
            name = resource.rsplit("/", 1)[-1]
            return ArnName("ecs-service", name, _wild(name))
        return None
    if service == "glue":  # job/NAME, crawler/NAME (tables and databases are no nodes)
        kind, _, name = resource.partition("/")
        if kind in ("job", "crawler") and name:
            return ArnName(f"glue-{kind}", name, _wild(name))
        return None
    pattern = _RESOURCE_PATTERNS.get(service)
    if pattern is None:
        return None
    if resource == "*":
        return ArnName(service, "*", True)
    m = pattern.match(resource)
    if not m:
        return None
    name = m.group(1)
    return ArnName(service, name, _wild(name))


def _wild(name: str) -> bool:
    return "*" in name or "?" in name


def name_arn(service: str, name: str, place: tuple[str, str, str] | None = None) -> str | None:
    """The ARN a plain name stands for, in the form SAM policy templates build it (partition,
    region and account as ``${AWS::...}``, or ``place``), so a task naming ``jobs`` and a policy
    template on ``QueueName: jobs`` meet at one node; None for a service without channels or
    stores."""
    partition, region, account = place or (
        "${AWS::Partition}",
        "${AWS::Region}",
        "${AWS::AccountId}",
    )
    if service == "s3":
        return f"arn:{partition}:s3:::{name}"
    form = _NAME_TO_RESOURCE.get(service)
    if form is None:
        return None
    return f"arn:{partition}:{service}:{region}:{account}:" + form.format(name)


def resource_part(arn: str) -> str:
    """The resource an ARN pattern names: ``arn:aws:s3:::${B}/*`` is the bucket ``${B}``'s ARN,
    a table's index or stream ARN is the table's, an API integration URI is the function's."""
    m = ARN_SERVICE.match(arn)
    service = m.group(1) if m else ""
    if service == "s3":
        return arn.split("/", 1)[0]
    if service == "dynamodb":
        for cut in ("/index/", "/stream/"):
            arn = arn.split(cut, 1)[0]
        return arn
    if service == "apigateway" and "/functions/" in arn:
        # an API Gateway integration URI: the function ARN between /functions/ and /invocations
        return arn.split("/functions/", 1)[1].rsplit("/invocations", 1)[0]
    return arn
