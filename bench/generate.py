"""Deterministic generator of realistic event-driven CloudFormation templates for the benchmarks.

    .venv/bin/python bench/generate.py [--out bench/generated] [--seed 20240501] [--sizes 50,500,5000]

For each size N it writes ``events-N.yaml`` (short tags ``!Ref``/``!GetAtt``/``!Sub``) and
``events-N.json`` (the same template, long-form intrinsics), and for N <= 500 a SAM variant
``sam-N.yaml`` (``Transform: AWS::Serverless-2016-10-31``). N counts the top-level entries of
``Resources`` (for SAM: before the transform).

What a template holds, in dependency order (every reference points backwards, so the
templates have no circular dependencies):

* Lambda functions, each with an IAM role whose inline policies grant ``sqs:SendMessage``,
  ``sns:Publish``, ``s3:PutObject``/``s3:GetObject``, ``dynamodb:PutItem``,
  ``lambda:InvokeFunction`` or ``states:StartExecution`` on earlier resources, written with
  ``!GetAtt``, ``!Ref`` and ``!Sub``;
* triggers: SQS queues with event source mappings, SNS topics with Lambda and SQS
  subscriptions (plus queue policies), S3 buckets with Lambda notifications, EventBridge
  rules (custom bus and schedules) with targets, DynamoDB tables with stream mappings,
  API Gateway REST API resources and methods (Lambda proxy), each with its Lambda permission;
* a few Step Functions state machines whose ``DefinitionString`` is a ``!Sub`` over several
  functions, a topic, a table and a queue, started by EventBridge rules or by functions;
* padding with DynamoDB tables and SNS topics to reach exactly N resources.

The output depends only on the seed and N.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path
from typing import Any

import yaml

DEFAULT_SEED = 20240501
DEFAULT_SIZES = (50, 500, 5000)
SAM_MAX = 500  # SAM variants only up to this size

WORDS = (
    "Orders", "Payments", "Invoices", "Shipments", "Inventory", "Users", "Notifications",
    "Reports", "Images", "Thumbnails", "Audit", "Billing", "Search", "Catalog", "Reviews",
    "Sessions", "Returns", "Pricing", "Loyalty", "Fraud", "Ledger", "Exports", "Imports",
    "Emails", "Webhooks", "Metrics", "Uploads", "Transcodes", "Quotes", "Claims",
)
VERBS = ("created", "updated", "deleted", "approved", "rejected", "shipped", "expired")


# ------------------------------------------------------------------ intrinsic functions


class Ref:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class GetAtt:
    __slots__ = ("name", "attr")

    def __init__(self, name: str, attr: str) -> None:
        self.name = name
        self.attr = attr


class Sub:
    __slots__ = ("text", "variables")

    def __init__(self, text: str, variables: dict[str, Any] | None = None) -> None:
        self.text = text
        self.variables = variables


class Literal(str):
    """A multi-line string written in YAML block style."""


def to_json(value: Any) -> Any:
    """Short-tag objects to their long JSON form."""
    if isinstance(value, Ref):
        return {"Ref": value.name}
    if isinstance(value, GetAtt):
        return {"Fn::GetAtt": [value.name, value.attr]}
    if isinstance(value, Sub):
        if value.variables:
            return {"Fn::Sub": [value.text, to_json(value.variables)]}
        return {"Fn::Sub": value.text}
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, Literal):
        return str(value)
    return value


def _dumper() -> type:
    base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

    class Dumper(base):  # type: ignore[misc, valid-type]
        pass

    def rep_ref(d: Any, v: Ref) -> Any:
        return d.represent_scalar("!Ref", v.name)

    def rep_getatt(d: Any, v: GetAtt) -> Any:
        return d.represent_scalar("!GetAtt", f"{v.name}.{v.attr}")

    def rep_sub(d: Any, v: Sub) -> Any:
        if v.variables:
            return d.represent_sequence("!Sub", [v.text, v.variables])
        style = "|" if "\n" in v.text else None
        return d.represent_scalar("!Sub", v.text, style=style)

    def rep_literal(d: Any, v: Literal) -> Any:
        return d.represent_scalar("tag:yaml.org,2002:str", str(v), style="|")

    Dumper.add_representer(Ref, rep_ref)
    Dumper.add_representer(GetAtt, rep_getatt)
    Dumper.add_representer(Sub, rep_sub)
    Dumper.add_representer(Literal, rep_literal)
    return Dumper


def dump_yaml(template: dict[str, Any]) -> str:
    return yaml.dump(
        template,
        Dumper=_dumper(),
        sort_keys=False,
        default_flow_style=False,
        width=100,
        allow_unicode=True,
    )


def dump_json(template: dict[str, Any]) -> str:
    return json.dumps(to_json(template), indent=2) + "\n"


# ------------------------------------------------------------------ shared pieces

ASSUME = {
    "lambda": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
}


def assume(service: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": f"{service}.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }


BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"

HANDLER_CODE = """import json
import os

import boto3


def handler(event, context):
    records = event.get("Records", [event])
    print(json.dumps({"source": os.environ.get("SOURCE", "unknown"), "count": len(records)}))
    return {"statusCode": 200, "body": json.dumps({"ok": True, "count": len(records)})}
"""


class Builder:
    """Adds resources in dependency order and remembers the pools later blocks write to."""

    def __init__(self, n: int, seed: int, sam: bool, separate_policies: bool = False) -> None:
        self.n = n
        self.separate_policies = separate_policies  # CDK style: AWS::IAM::Policy per role
        self.extra = 0  # those policies, not counted in N: the same application either way
        self.rng = random.Random(f"{seed}/{n}/{'sam' if sam else 'cfn'}")
        self.sam = sam
        self.resources: dict[str, Any] = {}
        self.queues: list[str] = []
        self.topics: list[str] = []
        self.buckets: list[tuple[str, str]] = []  # (logical id, bucket name)
        self.tables: list[str] = []
        self.functions: list[str] = []
        self.machines: list[str] = []
        self.apis: list[dict[str, Any]] = []  # {"id", "methods": [...], "paths": set}
        self.counter = 0
        self.outputs: dict[str, Any] = {}

    # -------------------------------------------------------------- bookkeeping

    def add(self, lid: str, rtype: str, props: dict[str, Any], **extra: Any) -> str:
        assert lid not in self.resources, lid
        body: dict[str, Any] = {"Type": rtype}
        body.update(extra)
        if props:
            body["Properties"] = props
        self.resources[lid] = body
        return lid

    def name(self) -> tuple[str, str]:
        self.counter += 1
        word = self.rng.choice(WORDS)
        return word, f"{word}{self.counter:04d}"

    def reserved(self) -> int:
        """Resources still to be added at the end (API deployments and stages)."""
        return 0 if self.sam else 2 * len(self.apis)

    def room(self) -> int:
        return self.n - (len(self.resources) - self.extra) - self.reserved()

    # -------------------------------------------------------------- data stores

    def table(self, base: str, stream: bool = False) -> str:
        lid = f"{base}Table"
        props: dict[str, Any] = {
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            "KeySchema": [
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        }
        if stream:
            props["StreamSpecification"] = {"StreamViewType": "NEW_AND_OLD_IMAGES"}
        self.add(lid, "AWS::DynamoDB::Table", props)
        self.tables.append(lid)
        return lid

    def topic(self, base: str) -> str:
        lid = f"{base}Topic"
        self.add(lid, "AWS::SNS::Topic", {"DisplayName": f"{base} events"})
        self.topics.append(lid)
        return lid

    def queue(self, base: str, dlq: str | None) -> str:
        lid = f"{base}Queue"
        props: dict[str, Any] = {"VisibilityTimeout": 180, "MessageRetentionPeriod": 345600}
        if dlq:
            props["RedrivePolicy"] = {
                "deadLetterTargetArn": GetAtt(dlq, "Arn"),
                "maxReceiveCount": 5,
            }
        self.add(lid, "AWS::SQS::Queue", props)
        self.queues.append(lid)
        return lid

    # -------------------------------------------------------------- IAM

    def output_statements(self, k: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """k statements writing to / reading from earlier resources, and env variables."""
        stmts: list[dict[str, Any]] = []
        env: dict[str, Any] = {}
        kinds = []
        if self.queues:
            kinds.append("sqs")
        if self.topics:
            kinds.append("sns")
        if self.buckets:
            kinds += ["s3put", "s3get"]
        if self.tables:
            kinds.append("ddb")
        if len(self.functions) > 3:
            kinds.append("invoke")
        if self.machines:
            kinds.append("states")
        if not kinds:
            return stmts, env
        for _ in range(k):
            kind = self.rng.choice(kinds)
            if kind == "sqs":
                q = self.rng.choice(self.queues)
                stmts.append(
                    {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": GetAtt(q, "Arn")}
                )
                env[f"{q.upper()}_URL"] = Ref(q)
            elif kind == "sns":
                t = self.rng.choice(self.topics)
                stmts.append({"Effect": "Allow", "Action": "sns:Publish", "Resource": Ref(t)})
                env[f"{t.upper()}_ARN"] = Ref(t)
            elif kind in ("s3put", "s3get"):
                b, _ = self.rng.choice(self.buckets)
                action = "s3:PutObject" if kind == "s3put" else "s3:GetObject"
                stmts.append(
                    {"Effect": "Allow", "Action": [action], "Resource": Sub(f"${{{b}.Arn}}/*")}
                )
                env[f"{b.upper()}_NAME"] = Ref(b)
            elif kind == "ddb":
                t = self.rng.choice(self.tables)
                stmts.append(
                    {
                        "Effect": "Allow",
                        "Action": ["dynamodb:PutItem", "dynamodb:UpdateItem"],
                        "Resource": GetAtt(t, "Arn"),
                    }
                )
                env[f"{t.upper()}_NAME"] = Ref(t)
            elif kind == "invoke":
                f = self.rng.choice(self.functions)
                stmts.append(
                    {
                        "Effect": "Allow",
                        "Action": "lambda:InvokeFunction",
                        "Resource": GetAtt(f, "Arn"),
                    }
                )
                env[f"{f.upper()}_NAME"] = Ref(f)
            else:
                m = self.rng.choice(self.machines)
                stmts.append(
                    {"Effect": "Allow", "Action": "states:StartExecution", "Resource": Ref(m)}
                )
                env[f"{m.upper()}_ARN"] = Ref(m)
        return stmts, env

    def role(self, base: str, own: list[dict[str, Any]], outputs: list[dict[str, Any]]) -> str:
        lid = f"{base}Role"
        policies = []
        if own:
            policies.append(
                {
                    "PolicyName": "consume",
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": own},
                }
            )
        if outputs:
            policies.append(
                {
                    "PolicyName": "produce",
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": outputs},
                }
            )
        props: dict[str, Any] = {
            "AssumeRolePolicyDocument": assume("lambda"),
            "ManagedPolicyArns": [BASIC_EXECUTION],
        }
        if policies and self.separate_policies:
            self.add(lid, "AWS::IAM::Role", props)
            statements = [st for p in policies for st in p["PolicyDocument"]["Statement"]]
            self.add(
                f"{base}RoleDefaultPolicy",
                "AWS::IAM::Policy",
                {
                    "PolicyName": f"{base}RoleDefaultPolicy",
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
                    "Roles": [Ref(lid)],
                },
            )
            self.extra += 1
            return lid
        if policies:
            props["Policies"] = policies
        self.add(lid, "AWS::IAM::Role", props)
        return lid

    def function(self, base: str, source: str, env: dict[str, Any], role: str) -> str:
        lid = f"{base}Function"
        variables = {"SOURCE": source, "STAGE": Ref("Stage"), "POWERTOOLS_SERVICE_NAME": base.lower()}
        variables.update(env)
        self.add(
            lid,
            "AWS::Lambda::Function",
            {
                "Runtime": self.rng.choice(("python3.12", "python3.13", "nodejs22.x")),
                "Handler": "index.handler",
                "Role": GetAtt(role, "Arn"),
                "MemorySize": self.rng.choice((128, 256, 512, 1024)),
                "Timeout": self.rng.choice((10, 15, 30)),
                "Environment": {"Variables": variables},
                "Code": {"ZipFile": Literal(HANDLER_CODE)},
                "TracingConfig": {"Mode": "Active"},
            },
        )
        return lid

    def worker(
        self, base: str, source: str, own: list[dict[str, Any]]
    ) -> str:
        outputs, env = self.output_statements(self.rng.randint(1, 3))
        role = self.role(base, own, outputs)
        fn = self.function(base, source, env, role)
        return fn

    def permission(self, base: str, fn: str, principal: str, source_arn: Any) -> str:
        lid = f"{base}InvokePermission"
        props = {
            "Action": "lambda:InvokeFunction",
            "FunctionName": Ref(fn),
            "Principal": principal,
            "SourceArn": source_arn,
        }
        self.add(lid, "AWS::Lambda::Permission", props)
        return lid

    # -------------------------------------------------------------- CloudFormation blocks

    def block_queue(self) -> None:  # 4 resources
        _, base = self.name()
        q = self.queue(base, self.dlq)
        own = [
            {
                "Effect": "Allow",
                "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                "Resource": GetAtt(q, "Arn"),
            }
        ]
        fn = self.worker(base, "sqs", own)
        self.add(
            f"{base}EventSourceMapping",
            "AWS::Lambda::EventSourceMapping",
            {
                "EventSourceArn": GetAtt(q, "Arn"),
                "FunctionName": Ref(fn),
                "BatchSize": 10,
                "MaximumBatchingWindowInSeconds": 5,
            },
        )
        self.functions.append(fn)

    def block_topic(self) -> None:  # 5 resources, +2 with a queue subscription
        _, base = self.name()
        queue_target = self.rng.choice(self.queues) if self.queues and self.rng.random() < 0.4 else None
        t = self.topic(base)
        fn = self.worker(base, "sns", [])
        self.add(
            f"{base}Subscription",
            "AWS::SNS::Subscription",
            {"TopicArn": Ref(t), "Protocol": "lambda", "Endpoint": GetAtt(fn, "Arn")},
        )
        self.permission(base, fn, "sns.amazonaws.com", Ref(t))
        if queue_target and self.room() >= 2:
            self.add(
                f"{base}QueueSubscription",
                "AWS::SNS::Subscription",
                {
                    "TopicArn": Ref(t),
                    "Protocol": "sqs",
                    "Endpoint": GetAtt(queue_target, "Arn"),
                    "RawMessageDelivery": True,
                },
            )
            self.add(
                f"{base}QueuePolicy",
                "AWS::SQS::QueuePolicy",
                {
                    "Queues": [Ref(queue_target)],
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "sns.amazonaws.com"},
                                "Action": "sqs:SendMessage",
                                "Resource": GetAtt(queue_target, "Arn"),
                                "Condition": {"ArnEquals": {"aws:SourceArn": Ref(t)}},
                            }
                        ],
                    },
                },
            )
        self.functions.append(fn)

    def bucket_name(self, base: str) -> str:
        return f"bench-{base.lower()}-{self.rng.randrange(16**6):06x}"

    def block_bucket(self) -> None:  # 4 resources
        _, base = self.name()
        name = self.bucket_name(base)
        own = [
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": Sub(f"arn:${{AWS::Partition}}:s3:::{name}/*"),
            }
        ]
        fn = self.worker(base, "s3", own)
        perm = self.permission(
            base, fn, "s3.amazonaws.com", Sub(f"arn:${{AWS::Partition}}:s3:::{name}")
        )
        self.resources[perm]["Properties"]["SourceAccount"] = Ref("AWS::AccountId")
        lid = f"{base}Bucket"
        self.add(
            lid,
            "AWS::S3::Bucket",
            {
                "BucketName": name,
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True,
                    "RestrictPublicBuckets": True,
                },
                "NotificationConfiguration": {
                    "LambdaConfigurations": [
                        {
                            "Event": "s3:ObjectCreated:*",
                            "Function": GetAtt(fn, "Arn"),
                            "Filter": {
                                "S3Key": {"Rules": [{"Name": "prefix", "Value": "incoming/"}]}
                            },
                        }
                    ]
                },
            },
            DependsOn=perm,
        )
        self.buckets.append((lid, name))
        self.functions.append(fn)

    def block_rule(self) -> None:  # 4 resources
        word, base = self.name()
        fn = self.worker(base, "events", [])
        rule = f"{base}Rule"
        if self.rng.random() < 0.25:
            props: dict[str, Any] = {
                "ScheduleExpression": f"rate({self.rng.choice((5, 10, 15, 30, 60))} minutes)",
                "State": "ENABLED",
            }
        else:
            props = {
                "EventBusName": Ref(self.bus),
                "EventPattern": {
                    "source": [f"com.example.{word.lower()}"],
                    "detail-type": [f"{word} {self.rng.choice(VERBS)}"],
                },
                "State": "ENABLED",
            }
        props["Targets"] = [{"Id": f"{base.lower()}-handler", "Arn": GetAtt(fn, "Arn")}]
        self.add(rule, "AWS::Events::Rule", props)
        self.permission(base, fn, "events.amazonaws.com", GetAtt(rule, "Arn"))
        self.functions.append(fn)

    def block_stream(self) -> None:  # 4 resources
        _, base = self.name()
        table = self.table(base, stream=True)
        own = [
            {
                "Effect": "Allow",
                "Action": [
                    "dynamodb:GetRecords",
                    "dynamodb:GetShardIterator",
                    "dynamodb:DescribeStream",
                    "dynamodb:ListStreams",
                ],
                "Resource": GetAtt(table, "StreamArn"),
            }
        ]
        fn = self.worker(base, "dynamodb", own)
        self.add(
            f"{base}StreamMapping",
            "AWS::Lambda::EventSourceMapping",
            {
                "EventSourceArn": GetAtt(table, "StreamArn"),
                "FunctionName": Ref(fn),
                "StartingPosition": "LATEST",
                "BatchSize": 100,
            },
        )
        self.functions.append(fn)

    def api(self) -> dict[str, Any]:
        if not self.apis or len(self.apis[-1]["methods"]) >= 60:
            lid = f"Api{len(self.apis) + 1}"
            self.add(
                lid,
                "AWS::ApiGateway::RestApi",
                {"Name": Sub(f"${{AWS::StackName}}-{lid.lower()}"), "EndpointConfiguration": {"Types": ["REGIONAL"]}},
            )
            self.apis.append({"id": lid, "methods": []})
        return self.apis[-1]

    def block_api(self) -> None:  # 5 resources (+1 for a new API, +2 reserved at the end)
        word, base = self.name()
        api = self.api()
        fn = self.worker(base, "apigateway", [])
        path = f"{word.lower()}{self.counter:04d}"
        res = self.add(
            f"{base}ApiResource",
            "AWS::ApiGateway::Resource",
            {
                "RestApiId": Ref(api["id"]),
                "ParentId": GetAtt(api["id"], "RootResourceId"),
                "PathPart": path,
            },
        )
        method = self.add(
            f"{base}ApiMethod",
            "AWS::ApiGateway::Method",
            {
                "RestApiId": Ref(api["id"]),
                "ResourceId": Ref(res),
                "HttpMethod": self.rng.choice(("GET", "POST", "PUT")),
                "AuthorizationType": "NONE",
                "Integration": {
                    "Type": "AWS_PROXY",
                    "IntegrationHttpMethod": "POST",
                    "Uri": Sub(
                        "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/"
                        f"functions/${{{fn}.Arn}}/invocations"
                    ),
                },
            },
        )
        api["methods"].append(method)
        self.permission(
            base,
            fn,
            "apigateway.amazonaws.com",
            Sub(
                "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:"
                f"${{{api['id']}}}/*/*/{path}"
            ),
        )
        self.functions.append(fn)

    def definition(self, fns: list[str]) -> str:
        """An ASL definition over several functions, a topic, a table and a queue."""
        first, second, *rest = fns
        branches = [
            {
                "StartAt": f"Run{f}",
                "States": {f"Run{f}": {"Type": "Task", "Resource": f"${{{f}.Arn}}", "End": True}},
            }
            for f in rest
        ]
        states: dict[str, Any] = {
            "Validate": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": f"${{{first}.Arn}}", "Payload.$": "$"},
                "ResultSelector": {"items.$": "$.Payload.items"},
                "Retry": [
                    {
                        "ErrorEquals": ["Lambda.TooManyRequestsException"],
                        "IntervalSeconds": 2,
                        "MaxAttempts": 3,
                        "BackoffRate": 2,
                    }
                ],
                "Next": "ProcessItems",
            },
            "ProcessItems": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrency": 10,
                "Iterator": {
                    "StartAt": "Transform",
                    "States": {
                        "Transform": {
                            "Type": "Task",
                            "Resource": f"${{{second}.Arn}}",
                            "Next": "Fanout",
                        },
                        "Fanout": {"Type": "Parallel", "Branches": branches, "End": True},
                    },
                },
                "ResultPath": "$.results",
                "Next": "Record",
            },
        }
        nxt = "Done"
        if self.tables:
            table = self.rng.choice(self.tables)
            states["Record"] = {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:putItem",
                "Parameters": {
                    "TableName": f"${{{table}}}",
                    "Item": {"pk": {"S.$": "$$.Execution.Id"}, "sk": {"S": "result"}},
                },
                "ResultPath": None,
                "Next": "Notify",
            }
        else:
            states["Record"] = {"Type": "Pass", "Next": "Notify"}
        if self.topics:
            topic = self.rng.choice(self.topics)
            states["Notify"] = {
                "Type": "Task",
                "Resource": "arn:aws:states:::sns:publish",
                "Parameters": {"TopicArn": f"${{{topic}}}", "Message.$": "$.results"},
                "ResultPath": None,
                "Next": "Enqueue" if self.queues else nxt,
            }
        else:
            states["Notify"] = {"Type": "Pass", "Next": "Enqueue" if self.queues else nxt}
        if self.queues:
            queue = self.rng.choice(self.queues)
            states["Enqueue"] = {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {"QueueUrl": f"${{{queue}}}", "MessageBody.$": "$.results"},
                "Next": nxt,
            }
        states[nxt] = {"Type": "Succeed"}
        return json.dumps(
            {"Comment": "Validate, transform and fan out items", "StartAt": "Validate", "States": states},
            indent=2,
        )

    def block_workflow(self) -> None:  # 4 resources
        word, base = self.name()
        fns = self.rng.sample(self.functions, min(len(self.functions), self.rng.randint(3, 5)))
        definition = self.definition(fns)
        statements: list[dict[str, Any]] = [
            {
                "Effect": "Allow",
                "Action": "lambda:InvokeFunction",
                "Resource": [GetAtt(f, "Arn") for f in fns],
            }
        ]
        for marker, action, attr in (
            ("dynamodb:putItem", "dynamodb:PutItem", "Arn"),
            ("sns:publish", "sns:Publish", None),
            ("sqs:sendMessage", "sqs:SendMessage", "Arn"),
        ):
            if marker in definition:
                target = definition.split(marker, 1)[1].split("${", 1)[1].split("}", 1)[0]
                statements.append(
                    {
                        "Effect": "Allow",
                        "Action": action,
                        "Resource": GetAtt(target, attr) if attr else Ref(target),
                    }
                )
        role = self.add(
            f"{base}StateMachineRole",
            "AWS::IAM::Role",
            {
                "AssumeRolePolicyDocument": assume("states"),
                "Policies": [
                    {
                        "PolicyName": "workflow",
                        "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
                    }
                ],
            },
        )
        sm = self.add(
            f"{base}StateMachine",
            "AWS::StepFunctions::StateMachine",
            {
                "StateMachineType": "STANDARD",
                "RoleArn": GetAtt(role, "Arn"),
                "DefinitionString": Sub(definition),
            },
        )
        rule_role = self.add(
            f"{base}RuleRole",
            "AWS::IAM::Role",
            {
                "AssumeRolePolicyDocument": assume("events"),
                "Policies": [
                    {
                        "PolicyName": "start-workflow",
                        "PolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [
                                {"Effect": "Allow", "Action": "states:StartExecution", "Resource": Ref(sm)}
                            ],
                        },
                    }
                ],
            },
        )
        self.add(
            f"{base}Rule",
            "AWS::Events::Rule",
            {
                "EventBusName": Ref(self.bus),
                "EventPattern": {
                    "source": [f"com.example.{word.lower()}"],
                    "detail-type": [f"{word} batch ready"],
                },
                "Targets": [
                    {"Id": "start-workflow", "Arn": Ref(sm), "RoleArn": GetAtt(rule_role, "Arn")}
                ],
            },
        )
        self.machines.append(sm)

    def finish_apis(self) -> None:
        for api in self.apis:
            dep = self.add(
                f"{api['id']}Deployment",
                "AWS::ApiGateway::Deployment",
                {"RestApiId": Ref(api["id"]), "Description": "benchmark deployment"},
                DependsOn=list(api["methods"]),
            )
            self.add(
                f"{api['id']}ProdStage",
                "AWS::ApiGateway::Stage",
                {"RestApiId": Ref(api["id"]), "DeploymentId": Ref(dep), "StageName": "prod"},
            )
            self.outputs[f"{api['id']}Url"] = {
                "Value": Sub(
                    f"https://${{{api['id']}}}.execute-api.${{AWS::Region}}.amazonaws.com/prod"
                )
            }

    # -------------------------------------------------------------- SAM blocks

    def sam_policies(self, k: int) -> list[Any]:
        out: list[Any] = []
        stmts, _ = self.output_statements(1)
        for _ in range(k):
            choice = self.rng.randrange(5)
            if choice == 0 and self.queues:
                out.append({"SQSSendMessagePolicy": {"QueueName": GetAtt(self.rng.choice(self.queues), "QueueName")}})
            elif choice == 1 and self.topics:
                out.append({"SNSPublishMessagePolicy": {"TopicName": GetAtt(self.rng.choice(self.topics), "TopicName")}})
            elif choice == 2 and self.buckets:
                _, name = self.rng.choice(self.buckets)
                out.append({"S3WritePolicy": {"BucketName": name}})
            elif choice == 3 and self.tables:
                out.append({"DynamoDBWritePolicy": {"TableName": Ref(self.rng.choice(self.tables))}})
            elif stmts:
                out.append({"Version": "2012-10-17", "Statement": stmts})
        return out or ["AWSLambdaBasicExecutionRole"]

    def sam_function(self, base: str, events: dict[str, Any], extra: list[Any] | None = None) -> str:
        lid = f"{base}Function"
        _, env = self.output_statements(1)
        props: dict[str, Any] = {
            "InlineCode": Literal(HANDLER_CODE),
            "Policies": (extra or []) + self.sam_policies(self.rng.randint(1, 3)),
            "Events": events,
        }
        props["Environment"] = {"Variables": {"STAGE": Ref("Stage"), **env}}
        self.add(lid, "AWS::Serverless::Function", props)
        self.functions.append(lid)
        return lid

    def sam_block(self, kind: str) -> None:
        word, base = self.name()
        if kind == "queue":  # 2
            q = self.queue(base, self.dlq)
            self.sam_function(base, {"Queue": {"Type": "SQS", "Properties": {"Queue": GetAtt(q, "Arn"), "BatchSize": 10}}})
        elif kind == "topic":  # 2
            t = self.topic(base)
            self.sam_function(base, {"Topic": {"Type": "SNS", "Properties": {"Topic": Ref(t)}}})
        elif kind == "bucket":  # 2
            name = self.bucket_name(base)
            b = f"{base}Bucket"
            self.add(b, "AWS::S3::Bucket", {"BucketName": name})
            self.sam_function(
                base,
                {"Upload": {"Type": "S3", "Properties": {"Bucket": Ref(b), "Events": "s3:ObjectCreated:*"}}},
                extra=[{"S3ReadPolicy": {"BucketName": name}}],
            )
            self.buckets.append((b, name))
        elif kind == "rule":  # 1
            if self.rng.random() < 0.25:
                ev = {"Type": "Schedule", "Properties": {"Schedule": "rate(10 minutes)"}}
            else:
                ev = {
                    "Type": "EventBridgeRule",
                    "Properties": {
                        "EventBusName": Ref(self.bus),
                        "Pattern": {
                            "source": [f"com.example.{word.lower()}"],
                            "detail-type": [f"{word} {self.rng.choice(VERBS)}"],
                        },
                    },
                }
            self.sam_function(base, {"Event": ev})
        elif kind == "stream":  # 2
            t = self.table(base, stream=True)
            self.sam_function(
                base,
                {"Stream": {"Type": "DynamoDB", "Properties": {"Stream": GetAtt(t, "StreamArn"), "StartingPosition": "LATEST"}}},
            )
        elif kind == "api":  # 1
            self.sam_function(
                base,
                {"Http": {"Type": "Api", "Properties": {"Path": f"/{word.lower()}{self.counter:04d}", "Method": self.rng.choice(("get", "post"))}}},
            )
        else:  # workflow: 1
            fns = self.rng.sample(self.functions, min(len(self.functions), self.rng.randint(3, 5)))
            definition = json.loads(self.definition(fns))
            subs: dict[str, Any] = {}

            def swap(value: Any) -> Any:
                if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
                    ref = value[2:-1]
                    key = ref.replace(".", "")
                    subs[key] = GetAtt(*ref.split(".")) if "." in ref else Ref(ref)
                    return f"${{{key}}}"
                if isinstance(value, dict):
                    return {k: swap(v) for k, v in value.items()}
                if isinstance(value, list):
                    return [swap(v) for v in value]
                return value

            definition = swap(definition)
            policies: list[Any] = [{"LambdaInvokePolicy": {"FunctionName": Ref(f)}} for f in fns]
            for key, val in subs.items():
                if key.endswith("Topic"):
                    policies.append({"SNSPublishMessagePolicy": {"TopicName": GetAtt(val.name, "TopicName")}})
                elif key.endswith("Table"):
                    policies.append({"DynamoDBWritePolicy": {"TableName": Ref(val.name)}})
                elif key.endswith("Queue"):
                    policies.append({"SQSSendMessagePolicy": {"QueueName": GetAtt(val.name, "QueueName")}})
            sm = self.add(
                f"{base}StateMachine",
                "AWS::Serverless::StateMachine",
                {
                    "Definition": definition,
                    "DefinitionSubstitutions": subs,
                    "Policies": policies,
                    "Events": {
                        "Batch": {
                            "Type": "EventBridgeRule",
                            "Properties": {
                                "EventBusName": Ref(self.bus),
                                "Pattern": {"source": [f"com.example.{word.lower()}"], "detail-type": [f"{word} batch ready"]},
                            },
                        }
                    },
                },
            )
            self.machines.append(sm)

    # -------------------------------------------------------------- assembly

    def build(self) -> dict[str, Any]:
        self.bus = self.add("AppEventBus", "AWS::Events::EventBus", {"Name": Sub("${AWS::StackName}-bus")})
        self.dlq = self.add("DeadLetterQueue", "AWS::SQS::Queue", {"MessageRetentionPeriod": 1209600})
        self.table("Shared")
        self.topic("Alerts")
        if self.sam:
            sizes = {"queue": 2, "topic": 2, "bucket": 2, "rule": 1, "stream": 2, "api": 1, "workflow": 1}
            weights = {"queue": 5, "topic": 3, "bucket": 3, "rule": 3, "stream": 2, "api": 3, "workflow": 1}
        else:
            sizes = {"queue": 4, "topic": 7, "bucket": 4, "rule": 4, "stream": 4, "api": 8, "workflow": 4}
            weights = {"queue": 5, "topic": 3, "bucket": 3, "rule": 3, "stream": 2, "api": 3, "workflow": 1}
        kinds = list(weights)
        # Start with one of each trigger so that even the smallest template has every shape.
        order = ["queue", "topic", "bucket", "rule", "stream", "api"]
        while True:
            kind = order.pop(0) if order else self.rng.choices(kinds, [weights[k] for k in kinds])[0]
            if kind == "workflow" and len(self.functions) < 3:
                continue
            if self.room() < sizes[kind]:
                break
            if self.sam:
                self.sam_block(kind)
            else:
                getattr(self, f"block_{kind}")()
            # a state machine every ~60 resources, at least one as soon as there are functions
            if not self.machines and len(self.functions) >= 4 and self.room() >= sizes["workflow"] + 1:
                if self.sam:
                    self.sam_block("workflow")
                else:
                    self.block_workflow()
        while self.room() > 0:  # pad with data stores
            _, base = self.name()
            if self.rng.random() < 0.5:
                self.table(base)
            else:
                self.topic(base)
        if not self.sam:
            self.finish_apis()
        assert len(self.resources) - self.extra == self.n, (len(self.resources), self.n)
        template: dict[str, Any] = {"AWSTemplateFormatVersion": "2010-09-09"}
        if self.sam:
            template["Transform"] = "AWS::Serverless-2016-10-31"
            template["Description"] = f"Benchmark: event-driven SAM application with {self.n} resources (generated)"
            template["Globals"] = {
                "Function": {
                    "Runtime": "python3.12",
                    "Handler": "index.handler",
                    "Timeout": 30,
                    "MemorySize": 256,
                    "Tracing": "Active",
                }
            }
        else:
            template["Description"] = f"Benchmark: event-driven application with {self.n} resources (generated)"
        template["Parameters"] = {
            "Stage": {"Type": "String", "Default": "prod", "AllowedValues": ["dev", "prod"]}
        }
        template["Resources"] = self.resources
        outputs = dict(self.outputs)
        outputs["EventBusName"] = {"Value": Ref(self.bus)}
        template["Outputs"] = outputs
        return template


def generate(
    n: int, seed: int = DEFAULT_SEED, sam: bool = False, separate_policies: bool = False
) -> dict[str, Any]:
    return Builder(n, seed, sam, separate_policies).build()


def write_all(out: Path, sizes: tuple[int, ...] = DEFAULT_SIZES, seed: int = DEFAULT_SEED) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for n in sizes:
        t = generate(n, seed)
        for path, text in (
            (out / f"events-{n}.yaml", dump_yaml(t)),
            (out / f"events-{n}.json", dump_json(t)),
        ):
            path.write_text(text)
            written.append(path)
        if n <= SAM_MAX:
            path = out / f"sam-{n}.yaml"
            path.write_text(dump_yaml(generate(n, seed, sam=True)))
            written.append(path)
    written += write_diff_trees(out, seed)
    # the 3-resource template of the start-up measurement
    tiny = out / "tiny-3.yaml"
    tiny.write_text(
        "AWSTemplateFormatVersion: '2010-09-09'\n"
        "Resources:\n"
        "  Queue:\n    Type: AWS::SQS::Queue\n"
        "  Worker:\n    Type: AWS::Lambda::Function\n    Properties:\n"
        "      Runtime: python3.12\n      Handler: index.handler\n"
        "      Role: arn:aws:iam::123456789012:role/worker\n"
        "      Code:\n        ZipFile: 'def handler(event, context): return None'\n"
        "  Mapping:\n    Type: AWS::Lambda::EventSourceMapping\n    Properties:\n"
        "      EventSourceArn: !GetAtt Queue.Arn\n      FunctionName: !Ref Worker\n"
    )
    written.append(tiny)
    return written


DIFF_FILES = 10  # a 500-resource system as 10 templates of 50 resources
DIFF_CHANGED = 4  # the file whose one resource changes on the head side


def change_one_resource(text: str) -> str:
    """The same template with one property of one resource changed (a queue's retention)."""
    old = "MessageRetentionPeriod: 1209600"
    assert old in text, "the generated template has no dead-letter queue"
    return text.replace(old, "MessageRetentionPeriod: 1209000", 1)


def write_diff_trees(out: Path, seed: int = DEFAULT_SEED) -> list[Path]:
    """Base and head of `iacscan diff` on two 500-resource systems that differ in one resource:
    ``diff-tree-base/`` and ``diff-tree-head/`` (10 templates of 50 resources, one file
    changed), and ``diff-500-base.yaml``/``diff-500-head.yaml`` (one 500-resource template)."""
    written = []
    for side in ("base", "head"):
        folder = out / f"diff-tree-{side}"
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(DIFF_FILES):
            text = dump_yaml(generate(50, seed + i))
            if side == "head" and i == DIFF_CHANGED:
                text = change_one_resource(text)
            path = folder / f"service-{i:02d}.yaml"
            path.write_text(text)
            written.append(path)
    text = dump_yaml(generate(500, seed))
    for side, body in (("base", text), ("head", change_one_resource(text))):
        path = out / f"diff-500-{side}.yaml"
        path.write_text(body)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(Path(__file__).parent / "generated"))
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)))
    args = ap.parse_args(argv)
    sizes = tuple(int(s) for s in args.sizes.split(","))
    for p in write_all(Path(args.out), sizes, args.seed):
        print(f"{p}  {p.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
