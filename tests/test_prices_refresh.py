"""``iacscan prices refresh``: the table rebuilt through boto3's pricing client, tested with
botocore's Stubber (no network, no credentials)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.stub import ANY, Stubber

from iacscan.cost.prices import dump_table, load_table, parse_table, shipped_rows
from iacscan.errors import AwsError
from iacscan.load.pricing import fetch_price, query_for, refresh_rows


def product(usagetype: str, usd: str, sku: str, begin: str = "0") -> str:
    return json.dumps(
        {
            "product": {"sku": sku, "attributes": {"usagetype": usagetype}},
            "terms": {
                "OnDemand": {
                    f"{sku}.T": {
                        "priceDimensions": {
                            f"{sku}.T.1": {"beginRange": begin, "pricePerUnit": {"USD": usd}},
                        }
                    }
                }
            },
        }
    )


def client() -> Any:
    return boto3.session.Session(
        aws_access_key_id="x", aws_secret_access_key="y", region_name="us-east-1"
    ).client("pricing")


def test_a_price_is_the_usage_types_first_nonzero_on_demand_tier() -> None:
    c = client()
    with Stubber(c) as stub:
        stub.add_response(
            "get_products",
            {
                "PriceList": [
                    product("EUW1-StateTransition-Free", "0.0000000000", "FREE"),
                    product("EUW1-StateTransitionX", "9", "NOPE"),
                    product("EUW1-StateTransition", "0.0000250000", "SKU1"),
                ],
                "FormatVersion": "aws_v1",
            },
            {
                "ServiceCode": "AmazonStates",
                "Filters": [{"Type": "TERM_MATCH", "Field": "regionCode", "Value": "eu-west-1"}],
                "MaxResults": 100,
            },
        )
        query = query_for("states.standard.transition")
        assert query is not None
        assert fetch_price(c, query, "eu-west-1") == (0.000025, "SKU1")
        stub.assert_no_pending_responses()


def test_refresh_updates_what_the_api_gives_and_keeps_the_rest_with_its_date() -> None:
    base = shipped_rows()["rows"]
    rows = {k: base[k] for k in ("ec2.c6i.4xlarge", "fargate.gb_hour.x86_64", "alb.hour")}
    c = client()
    with Stubber(c) as stub:
        # sorted keys: alb.hour has no query; ec2.c6i.4xlarge, then fargate.gb_hour.x86_64
        stub.add_response(
            "get_products",
            {"PriceList": [product("BoxUsage:c6i.4xlarge", "0.7100000000", "EC2SKU")]},
            {"ServiceCode": "AmazonEC2", "Filters": ANY, "MaxResults": 100},
        )
        stub.add_response(
            "get_products",
            {"PriceList": [], "NextToken": "more"},
            {"ServiceCode": "AmazonECS", "Filters": ANY, "MaxResults": 100},
        )
        stub.add_response(
            "get_products",
            {"PriceList": [product("USE1-Fargate-GB-Hours", "0.0044450000", "FGSKU")]},
            {"ServiceCode": "AmazonECS", "Filters": ANY, "MaxResults": 100, "NextToken": "more"},
        )
        out = refresh_rows(c, rows, "us-east-1", "2027-01-02")
        stub.assert_no_pending_responses()
    assert set(out.updated) == {"ec2.c6i.4xlarge", "fargate.gb_hour.x86_64"}
    assert out.kept == ["alb.hour"]
    assert out.rows["ec2.c6i.4xlarge"]["usd"] == 0.71
    assert out.rows["ec2.c6i.4xlarge"]["date"] == "2027-01-02"
    assert "EC2SKU" in out.rows["ec2.c6i.4xlarge"]["source"]
    assert out.rows["ec2.c6i.4xlarge"]["vcpu"] == 16  # what the API does not give is kept
    assert out.rows["alb.hour"] == rows["alb.hour"]
    written = yaml.safe_load(dump_table({"region": "us-east-1", "rows": out.rows}))
    row = parse_table(written, "t").get("ec2.c6i.4xlarge")
    assert row is not None and row.usd == 0.71


def test_an_api_refusal_is_an_aws_error_with_a_hint() -> None:
    c = client()
    with Stubber(c) as stub:
        stub.add_client_error("get_products", service_error_code="AccessDeniedException")
        with pytest.raises(AwsError, match="refused") as err:
            refresh_rows(c, {"s3.put": shipped_rows()["rows"]["s3.put"]}, "us-east-1", "d")
    assert "pricing:GetProducts" in err.value.hint


def test_the_prices_refresh_command_writes_a_table_the_cost_model_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import iacscan.load.pricing as pricing
    from iacscan.cli import main

    base = shipped_rows()["rows"]
    c = client()
    stub = Stubber(c)
    refreshed = []
    for key in sorted(base):  # refresh_rows asks in key order, one page per query
        query = query_for(key)
        if query is None:
            continue
        refreshed.append(key)
        usd = f"{base[key]['usd'] * 2:.10f}"
        stub.add_response(
            "get_products",
            {"PriceList": [product(f"EUW1-{query.usagetype}", usd, f"SKU-{key}")]},
            {"ServiceCode": query.service, "Filters": ANY, "MaxResults": 100},
        )
    stub.activate()
    monkeypatch.setattr(pricing, "make_pricing_client", lambda profile=None: c)
    out = tmp_path / "eu.yaml"
    with pytest.raises(SystemExit) as code:
        main(["prices", "refresh", "--region", "eu-west-1", "--output", str(out)])
    assert code.value.code == 0
    stub.assert_no_pending_responses()
    err = capsys.readouterr().err
    assert "left out (no eu-west-1 price from the API)" in err and "alb.hour" in err
    table = load_table(str(out))
    assert table.region == "eu-west-1"
    assert set(table.rows) == set(refreshed)  # us-east-1 figures are not passed off as eu-west-1
    lam = table.get("lambda.request")
    assert lam is not None and lam.usd == pytest.approx(2 * base["lambda.request"]["usd"])
    assert "SKU-lambda.request" in lam.source
