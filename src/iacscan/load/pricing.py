"""``iacscan prices refresh``: rebuild the price table from the AWS Price List API (boto3's
``pricing`` client). Called only by that command: nothing else in iacscan calls AWS for prices.

Each refreshable row names a service code, exact attribute filters and the usage type it must
have (``USAGETYPE`` or ``REGIONPREFIX-USAGETYPE``); the price is the On-Demand dimension in USD
whose range starts at 0 and that is not zero (free tiers are separate usage types or zero-priced
first tiers). Rows the API does not give keep their shipped figure and date, and are listed.
``refresh_rows`` takes the client, so tests hand in a botocore-stubbed one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from iacscan.errors import AwsError

PRICING_ENDPOINT_REGION = "us-east-1"  # the Price List API answers in us-east-1 (and 2 others)
SOURCE = "AWS Price List API"


@dataclass(frozen=True, slots=True)
class Query:
    service: str
    usagetype: str
    filters: Mapping[str, str] = field(default_factory=dict)


def _ec2(itype: str) -> Query:
    return Query(
        "AmazonEC2",
        f"BoxUsage:{itype}",
        {
            "instanceType": itype,
            "operatingSystem": "Linux",
            "tenancy": "Shared",
            "preInstalledSw": "NA",
            "capacitystatus": "Used",
        },
    )


QUERIES: Mapping[str, Query] = {
    "lambda.request": Query("AWSLambda", "Request", {"group": "AWS-Lambda-Requests"}),
    "lambda.gb_second.x86_64": Query(
        "AWSLambda", "Lambda-GB-Second", {"group": "AWS-Lambda-Duration"}
    ),
    "lambda.gb_second.arm64": Query(
        "AWSLambda", "Lambda-GB-Second-ARM", {"group": "AWS-Lambda-Duration-ARM"}
    ),
    "states.standard.transition": Query("AmazonStates", "StateTransition"),
    "s3.put": Query("AmazonS3", "Requests-Tier1"),
    "s3.get": Query("AmazonS3", "Requests-Tier2"),
    "sns.publish": Query("AmazonSNS", "Requests-Tier1"),
    "dynamodb.on_demand.write_request_unit": Query("AmazonDynamoDB", "WriteRequestUnits"),
    "dynamodb.on_demand.read_request_unit": Query("AmazonDynamoDB", "ReadRequestUnits"),
    "fargate.vcpu_hour.x86_64": Query("AmazonECS", "Fargate-vCPU-Hours:perCPU"),
    "fargate.gb_hour.x86_64": Query("AmazonECS", "Fargate-GB-Hours"),
    "fargate.vcpu_hour.arm64": Query("AmazonECS", "Fargate-ARM-vCPU-Hours:perCPU"),
    "fargate.gb_hour.arm64": Query("AmazonECS", "Fargate-ARM-GB-Hours"),
    "nat.hour": Query("AmazonEC2", "NatGateway-Hours"),
    "nat.gb": Query("AmazonEC2", "NatGateway-Bytes"),
}


def query_for(key: str) -> Query | None:
    if key.startswith("ec2."):
        return _ec2(key.removeprefix("ec2."))
    return QUERIES.get(key)


def _usagetype_matches(value: str, wanted: str) -> bool:
    if value == wanted:
        return True
    prefix, _, rest = value.partition("-")
    return rest == wanted and prefix.isalnum()


def _on_demand_usd(item: Mapping[str, Any]) -> float | None:
    terms = item.get("terms", {}).get("OnDemand", {})
    best: float | None = None
    for term in terms.values():
        for dim in term.get("priceDimensions", {}).values():
            try:
                usd = float(dim.get("pricePerUnit", {}).get("USD", "nan"))
                begin = float(dim.get("beginRange", "0") or 0)
            except (TypeError, ValueError):
                continue
            if usd > 0 and begin == 0 and (best is None or usd < best):
                best = usd
    return best


def fetch_price(client: Any, query: Query, region: str) -> tuple[float, str] | None:
    """(USD, sku) of the product the query names in ``region``; None when there is none."""
    filters = [{"Type": "TERM_MATCH", "Field": "regionCode", "Value": region}]
    filters += [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in query.filters.items()]
    token: str | None = None
    for _ in range(50):  # pages; a filtered query has a handful
        kwargs: dict[str, Any] = {
            "ServiceCode": query.service,
            "Filters": filters,
            "MaxResults": 100,
        }
        if token:
            kwargs["NextToken"] = token
        page = client.get_products(**kwargs)
        for raw in page.get("PriceList", []):
            item = json.loads(raw) if isinstance(raw, str) else raw
            attrs = item.get("product", {}).get("attributes", {})
            if not _usagetype_matches(str(attrs.get("usagetype", "")), query.usagetype):
                continue
            usd = _on_demand_usd(item)
            if usd is not None:
                return usd, str(item.get("product", {}).get("sku", ""))
        token = page.get("NextToken")
        if not token:
            return None
    return None


@dataclass(slots=True)
class Refreshed:
    rows: dict[str, dict[str, Any]]
    updated: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


def refresh_rows(
    client: Any, base: Mapping[str, Mapping[str, Any]], region: str, today: str
) -> Refreshed:
    """The base rows with every refreshable one re-read from the Price List API."""
    import botocore.exceptions as bx

    out = Refreshed(rows={k: dict(v) for k, v in base.items()})
    for key in sorted(base):
        query = query_for(key)
        found = None
        if query is not None:
            try:
                found = fetch_price(client, query, region)
            except (bx.BotoCoreError, bx.ClientError) as err:
                raise _error(err) from None
        if found is None:
            out.kept.append(key)
            continue
        usd, sku = found
        row = out.rows[key]
        row.update(
            usd=usd,
            source=f"{SOURCE}: {query.service if query else ''} sku {sku}",
            date=today,
            checked=f"{SOURCE}, {region}",
        )
        out.updated.append(key)
    return out


def _error(err: Exception) -> AwsError:
    import botocore.exceptions as bx

    if isinstance(err, bx.NoCredentialsError | bx.PartialCredentialsError):
        return AwsError(
            "no AWS credentials found for the Price List API",
            "configure credentials (aws configure, AWS_PROFILE) with pricing:GetProducts",
        )
    if isinstance(err, bx.ClientError):
        code = str(err.response.get("Error", {}).get("Code", ""))
        return AwsError(
            f"the Price List API refused the request ({code})",
            "the caller needs pricing:GetProducts",
        )
    return AwsError(f"the Price List API failed: {' '.join(str(err).split())}", "retry later")


def make_pricing_client(profile: str | None = None) -> Any:
    import boto3

    session = boto3.session.Session(profile_name=profile, region_name=PRICING_ENDPOINT_REGION)
    return session.client("pricing")
