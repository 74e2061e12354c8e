"""Real templates from the public corpus priced at a stated load, against hand calculations
from the shipped price table (the issue's real-world check). Skipped without the corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from iacscan.cost.price import price
from iacscan.cost.prices import load_table
from iacscan.cost.usage import Usage, parse_rate_flags
from iacscan.load.discover import load_paths
from scan_helpers import scan

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not present")
MONTH = 730 * 3600
P = load_table(None)


def usd(key: str) -> float:
    row = P.get(key)
    assert row is not None
    return row.usd


def priced(rel: str, *rates: str) -> dict[tuple[str, str], float]:
    path = str(CORPUS / rel)
    usage = Usage()
    parse_rate_flags(list(rates), usage)
    report = price(scan([path]), load_paths([path]).templates, usage, P)
    out: dict[tuple[str, str], float] = {}
    for i in report.items:
        out[(i.subject, i.price_key)] = out.get((i.subject, i.price_key), 0.0) + i.monthly
    out[("", "total")] = report.monthly
    out[("", "idle")] = report.idle_monthly
    return out


def test_s3_event_to_a_standard_workflow_lambda_dynamodb_and_sns() -> None:
    got = priced(
        "serverless-patterns/s3-event-sfn-lambda-ddb-sns/template.yaml",
        "UpdateTableStateMachineStateChange=10/s",
    )
    n = 10 * MONTH  # executions a month
    hand = {
        # LambdaInvoke, PrepareSNSMessage, SNSPublish: 3 transitions per execution
        ("UpdateTableStateMachine", "states.standard.transition"): 3
        * n
        * usd("states.standard.transition"),
        ("LambdaFunction", "lambda.request"): n * usd("lambda.request"),
        ("LambdaFunction", "lambda.gb_second.x86_64"): n
        * 0.1
        * 128
        / 1024
        * usd("lambda.gb_second.x86_64"),
        ("DynamoDBTable", "dynamodb.on_demand.write_request_unit"): n
        * usd("dynamodb.on_demand.write_request_unit"),
        ("DynamoDBTable", "dynamodb.on_demand.read_request_unit"): n
        * usd("dynamodb.on_demand.read_request_unit"),
        ("MySnsTopic", "sns.publish"): n * usd("sns.publish"),
    }
    for key, value in hand.items():
        assert got[key] == pytest.approx(value), key
    assert got[("", "total")] == pytest.approx(sum(hand.values()))
    assert got[("", "idle")] == 0


def test_api_gateway_vpc_link_alb_and_a_fixed_fargate_fleet() -> None:
    # The API reaches the internal ALB through its VPC link: the ALB's load is the API's.
    got = priced(
        "serverless-patterns/apigw-vpclink-alb-ecs/template.yaml",
        "ProductsRestAPI=100/s",
    )
    idle = (
        2 * 730 * usd("nat.hour")  # two NAT gateways
        + 2 * 730 * usd("ipv4.public.hour")  # their Elastic IPs
        + 3 * 2 * 730 * usd("vpce.interface.hour")  # three interface endpoints in two AZs
        + 730 * usd("alb.hour")
        + 2 * 730 * (0.25 * usd("fargate.vcpu_hour.x86_64") + 0.5 * usd("fargate.gb_hour.x86_64"))
    )
    load = 100 * MONTH * usd("apigateway.rest.request") + 100 / 25 * 730 * usd("alb.lcu_hour")
    assert got[("", "idle")] == pytest.approx(idle)
    assert got[("", "total")] == pytest.approx(idle + load)


def test_an_api_with_a_cache_cluster_and_a_table_stream_that_invalidates_it() -> None:
    got = priced(
        "serverless-patterns/apigw-cache-invalidation-eventbridge/template.yaml",
        "Api=50/s",
        "PetTable=5/s",
    )
    writes = 5 * MONTH  # table writes: each goes through the pipe, the bus and the rule
    hand = {
        ("ApiProdStage", "apigateway.cache.0.5"): 730 * usd("apigateway.cache.0.5"),
        # the requests from outside, plus one cache invalidation per table write
        ("Api", "apigateway.rest.request"): (50 * MONTH + writes) * usd("apigateway.rest.request"),
        ("PetTable", "dynamodb.on_demand.write_request_unit"): writes
        * usd("dynamodb.on_demand.write_request_unit"),
        ("PetTable -triggers-> PetEventBus", "pipes.request"): writes * usd("pipes.request"),
        ("PetEventBus", "events.custom_event"): writes * usd("events.custom_event"),
    }
    for key, value in hand.items():
        assert got[key] == pytest.approx(value), key
    assert got[("", "total")] == pytest.approx(sum(hand.values()))
    assert got[("", "idle")] == pytest.approx(730 * usd("apigateway.cache.0.5"))
