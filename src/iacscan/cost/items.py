"""Per-request and per-second prices of the serverless resources (capacity: ``capacity.py``)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from iacscan.cost.engine import Run, edge_label
from iacscan.cost.propagate import Rates
from iacscan.cost.sfn import Count
from iacscan.model import Node

Pricer = Callable[[Run, Node, Rates, Mapping[str, Count]], None]


def _in(rates: Rates, node: str) -> float:
    return rates.node.get(node, 0.0)


def lambda_function(run: Run, n: Node, rates: Rates, counts: Mapping[str, Count]) -> None:
    res = run.facts.resource(n)
    memory = run.template_or_default(
        n.id,
        "memory_mb",
        run.facts.number(n.stack, res, "MemorySize"),
        128.0,
        "MemorySize absent: CloudFormation's default 128 MB",
    )
    arch = run.facts.value(n.stack, res, "Architectures")
    arm = isinstance(arch, list) and "arm64" in arch
    rate = _in(rates, n.id)
    duration = run.fact(n.id, "duration_ms") / 1000.0
    run.add(n.id, "requests", rate, "lambda.request")
    run.add(
        n.id,
        f"GB-seconds ({memory:g} MB x {duration * 1000:g} ms)",
        rate * duration * memory / 1024.0,
        "lambda.gb_second.arm64" if arm else "lambda.gb_second.x86_64",
    )
    pc = n.properties.get("provisioned_concurrency")
    if isinstance(pc, int) and not isinstance(pc, bool) and pc > 0:
        run.ledger.assume(
            n.id,
            "duration price",
            "on-demand",
            "default: invocations on provisioned concurrency are cheaper (an upper bound)",
            True,
        )
        run.add(
            n.id,
            f"provisioned concurrency GB-seconds ({pc} x {memory:g} MB)",
            pc * memory / 1024.0,
            "lambda.provisioned.gb_second",
        )


def state_machine(run: Run, n: Node, rates: Rates, counts: Mapping[str, Count]) -> None:
    rate = _in(rates, n.id)
    kind = str(n.properties.get("StateMachineType") or "STANDARD").upper()
    count = counts.get(n.id)
    if count is None:
        run.ledger.warn(
            f"{n.id}: its definition could not be read; priced as 1 state transition per "
            "execution (a lower bound)"
        )
        count = Count(transitions=1.0)
    if count.truncated:
        run.ledger.warn(
            f"{n.id}: its definition is too large or too deep to walk whole; its transitions "
            "and task runs are a lower bound"
        )
    if kind == "EXPRESS":
        duration = run.fact(n.id, "duration_ms", "express_duration_ms") / 1000.0
        billed = math.ceil(duration * 10 - 1e-9) / 10  # rounded up to 100 ms
        memory = run.fact(n.id, "memory_mb", "express_memory_mb")
        blocks = max(1, math.ceil(memory / 64 - 1e-9)) * 64
        run.add(n.id, "Express requests", rate, "states.express.request")
        run.add(
            n.id,
            f"Express GB-seconds ({blocks} MB x {billed:g} s)",
            rate * billed * blocks / 1024.0,
            "states.express.gb_second",
        )
        return
    run.add(
        n.id,
        f"state transitions ({count.transitions:g} per execution)",
        rate * count.transitions,
        "states.standard.transition",
    )
    if count.express_children:
        run.add(
            n.id,
            "Express child executions (distributed Map)",
            rate * count.express_children,
            "states.express.request",
        )


def bucket(run: Run, n: Node, rates: Rates, counts: Mapping[str, Count]) -> None:
    for e in run.facts.edges_of(n.id):
        key = (e.source, e.target, e.kind)
        if e.target == n.id and e.kind == "writes":
            what, quantity, price = "PUT requests", rates.edge.get(key, 0.0), "s3.put"
        elif e.source == n.id and e.kind == "reads":
            what, quantity, price = "GET requests", rates.reads.get(key, 0.0), "s3.get"
        elif e.source == n.id and e.kind == "triggers":
            # a notification's target reads the new object once
            what, quantity, price = "GET requests", rates.edge.get(key, 0.0), "s3.get"
        else:
            continue
        run.add(edge_label(e.source, e.kind, e.target), what, quantity, price, edge=True)
    storage = run.fact(n.id, "storage_gb")
    if storage:
        run.add(n.id, "storage GB-month", 0.0, "s3.storage_gb_month", per_month=storage)


def topic(run: Run, n: Node, rates: Rates, counts: Mapping[str, Count]) -> None:
    run.add(n.id, "publishes", _in(rates, n.id), "sns.publish")
    for e in run.facts.edges_of(n.id):
        if e.source == n.id and e.kind == "triggers" and e.target.startswith("ext:http"):
            label = edge_label(e.source, e.kind, e.target)
            run.add(
                label,
                "HTTP/S deliveries",
                rates.edge.get((e.source, e.target, e.kind), 0.0),
                "sns.http_delivery",
                edge=True,
            )


def queue(run: Run, n: Node, rates: Rates, counts: Mapping[str, Count]) -> None:
    res = run.facts.resource(n)
    fifo = run.facts.value(n.stack, res, "FifoQueue") in (True, "true", "True")
    run.ledger.assume(n.id, "requests per message", 3.0, "default: send, receive and delete", True)
    run.add(
        n.id,
        "requests (send, receive, delete)",
        3 * _in(rates, n.id),
        "sqs.fifo.request" if fifo else "sqs.standard.request",
    )


def event_bus(run: Run, n: Node, rates: Rates, counts: Mapping[str, Count]) -> None:
    run.add(n.id, "events published", _in(rates, n.id), "events.custom_event")


def schedule(run: Run, n: Node, rates: Rates, counts: Mapping[str, Count]) -> None:
    run.add(n.id, "invocations", _in(rates, n.id), "scheduler.invocation")


def stream(run: Run, n: Node, rates: Rates, counts: Mapping[str, Count]) -> None:
    res = run.facts.resource(n)
    mode = run.facts.text(n.stack, res, "StreamModeDetails", "StreamMode") or "PROVISIONED"
    kb = run.fact(n.id, "item_kb")
    rate = _in(rates, n.id)
    if mode.upper() == "ON_DEMAND":
        run.add(
            n.id, "stream-hours (on-demand)", 0.0, "kinesis.on_demand.stream_hour", per_month=730.0
        )
        run.add(n.id, "GB written", rate * kb / (1024 * 1024), "kinesis.on_demand.gb_in")
        return
    shards = run.facts.number(n.stack, res, "ShardCount") or 1.0
    run.add(
        n.id,
        f"shard-hours ({shards:g} shards)",
        0.0,
        "kinesis.shard_hour",
        per_month=730.0 * shards,
    )
    run.add(n.id, "PUT payload units", rate * math.ceil(kb / 25), "kinesis.put_payload_unit")


def table(run: Run, n: Node, rates: Rates, counts: Mapping[str, Count]) -> None:
    res = run.facts.resource(n)
    mode = (run.facts.text(n.stack, res, "BillingMode") or "PROVISIONED").upper()
    kb = run.fact(n.id, "item_kb")
    writes = _in(rates, n.id)
    reads = rates.read_total.get(n.id, 0)
    if mode == "PAY_PER_REQUEST":
        run.add(
            n.id,
            "write request units",
            writes * math.ceil(kb),
            "dynamodb.on_demand.write_request_unit",
        )
        run.add(
            n.id,
            "read request units",
            reads * math.ceil(kb / 4),
            "dynamodb.on_demand.read_request_unit",
        )
        return
    wcu = run.facts.number(n.stack, res, "ProvisionedThroughput", "WriteCapacityUnits") or 0.0
    rcu = run.facts.number(n.stack, res, "ProvisionedThroughput", "ReadCapacityUnits") or 0.0
    run.add(
        n.id,
        f"WCU-hours ({wcu:g} WCU)",
        0.0,
        "dynamodb.provisioned.wcu_hour",
        per_month=730.0 * wcu,
    )
    run.add(
        n.id,
        f"RCU-hours ({rcu:g} RCU)",
        0.0,
        "dynamodb.provisioned.rcu_hour",
        per_month=730.0 * rcu,
    )
    if writes > wcu or reads / 2 > rcu:
        run.ledger.warn(
            f"{n.id}: the load needs more capacity than provisioned ({wcu:g} WCU, {rcu:g} RCU)"
        )


def rest_api(run: Run, n: Node, rates: Rates, counts: Mapping[str, Count]) -> None:
    run.add(n.id, "REST API requests", _in(rates, n.id), "apigateway.rest.request")


def http_api(run: Run, n: Node, rates: Rates, counts: Mapping[str, Count]) -> None:
    res = run.facts.resource(n)
    protocol = (run.facts.text(n.stack, res, "ProtocolType") or "HTTP").upper()
    if protocol != "HTTP":
        run.ledger.warn(f"{n.id}: {protocol} APIs are not priced")
        return
    run.add(n.id, "HTTP API requests", _in(rates, n.id), "apigateway.http.request")


def distribution(run: Run, n: Node, rates: Rates, counts: Mapping[str, Count]) -> None:
    run.add(n.id, "HTTPS requests", _in(rates, n.id), "cloudfront.https_request")
    gb = run.fact(n.id, "gb_per_month")
    run.add(n.id, "GB out", 0.0, "cloudfront.gb_out", per_month=gb * run.scale)


def graphql_api(run: Run, n: Node, rates: Rates, counts: Mapping[str, Count]) -> None:
    run.add(n.id, "queries and mutations", _in(rates, n.id), "appsync.operation")


def classic_elb(run: Run, n: Node, rates: Rates, counts: Mapping[str, Count]) -> None:
    run.add(n.id, "load balancer-hours", 0.0, "elb.classic.hour", per_month=730.0)
    gb = run.fact(n.id, "gb_per_month")
    run.add(n.id, "GB processed", 0.0, "elb.classic.gb", per_month=gb * run.scale)


def rule(run: Run, n: Node, rates: Rates, counts: Mapping[str, Count]) -> None:
    """Rules match and deliver for free; the events reaching them are published by someone."""
    scheduled = run.facts.text(n.stack, run.facts.resource(n), "ScheduleExpression") is not None
    if _in(rates, n.id) > 0 and n.id in run.facts.ingress and not scheduled:
        run.ledger.assume(
            n.id,
            "events published",
            "not priced",
            "default: the publisher pays PutEvents ($1.00 per million custom events; AWS "
            "service events are free)",
            True,
        )


def free(run: Run, n: Node, rates: Rates, counts: Mapping[str, Count]) -> None:
    """Resources with no charge of their own (rules, clusters, capacity providers, URLs)."""


PRICERS: Mapping[str, Pricer] = {
    "AWS::Lambda::Function": lambda_function,
    "AWS::Serverless::Function": lambda_function,
    "AWS::StepFunctions::StateMachine": state_machine,
    "AWS::S3::Bucket": bucket,
    "AWS::SNS::Topic": topic,
    "AWS::SQS::Queue": queue,
    "AWS::Events::EventBus": event_bus,
    "AWS::Scheduler::Schedule": schedule,
    "AWS::Kinesis::Stream": stream,
    "AWS::DynamoDB::Table": table,
    "AWS::ApiGateway::RestApi": rest_api,
    "AWS::ApiGatewayV2::Api": http_api,
    "AWS::Events::Rule": rule,
    "AWS::CloudFront::Distribution": distribution,
    "AWS::AppSync::GraphQLApi": graphql_api,
    "AWS::ElasticLoadBalancing::LoadBalancer": classic_elb,
    "AWS::ECS::Cluster": free,
    "AWS::ECS::CapacityProvider": free,
    "AWS::Lambda::Url": free,
    "AWS::RDS::DBCluster": free,
}
