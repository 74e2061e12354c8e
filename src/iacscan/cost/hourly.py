"""Resources paid by the hour whatever the load: network glue (NAT gateways, load balancers,
interface endpoints, public IPv4 addresses, API caches) and database instances."""

from __future__ import annotations

from collections.abc import Mapping

from iacscan.cost.engine import HOURS_PER_MONTH, Run
from iacscan.cost.propagate import Rates
from iacscan.cost.sfn import Count
from iacscan.model import Node


def nat_gateway(run: Run, n: Node, rates: Rates, counts: Mapping[str, Count]) -> None:
    run.add(n.id, "NAT gateway-hours", 0.0, "nat.hour", per_month=HOURS_PER_MONTH)
    run.add(
        n.id, "GB processed", 0.0, "nat.gb", per_month=run.fact(n.id, "gb_per_month") * run.scale
    )


def load_balancer(run: Run, n: Node, rates: Rates, counts: Mapping[str, Count]) -> None:
    res = run.facts.resource(n)
    kind = (run.facts.text(n.stack, res, "Type") or "application").lower()
    prefix, per = ("nlb", 800.0) if kind == "network" else ("alb", 25.0)
    if kind == "gateway":
        run.ledger.warn(f"{n.id}: gateway load balancers are not priced")
        return
    rate = rates.node.get(n.id, 0.0)
    run.ledger.assume(
        n.id,
        "capacity units",
        f"new connections/s / {per:g}",
        "default: one request per connection",
        True,
    )
    run.add(n.id, f"{prefix.upper()}-hours", 0.0, f"{prefix}.hour", per_month=HOURS_PER_MONTH)
    unit = "nlcu_hour" if prefix == "nlb" else "lcu_hour"
    run.add(
        n.id, "capacity unit-hours", 0.0, f"{prefix}.{unit}", per_month=rate / per * HOURS_PER_MONTH
    )


def db_instance(run: Run, n: Node, rates: Rates, counts: Mapping[str, Count]) -> None:
    f = run.facts
    res = f.resource(n)
    klass = f.text(n.stack, res, "DBInstanceClass")
    engine = (f.text(n.stack, res, "Engine") or "").lower()
    if engine == "" and res is not None:
        for ref in f.refs(n.stack, res, "DBClusterIdentifier"):
            engine = (f.text(ref.stack, f.resource_at(ref), "Engine") or "").lower()
    if klass == "db.serverless":
        acu = 0.5
        for ref in f.refs(n.stack, res, "DBClusterIdentifier"):
            acu = (
                f.number(
                    ref.stack, f.resource_at(ref), "ServerlessV2ScalingConfiguration", "MinCapacity"
                )
                or acu
            )
        run.add(
            n.id,
            f"ACU-hours (minimum {acu:g} ACU)",
            0.0,
            "aurora.serverless_v2.acu_hour",
            per_month=acu * HOURS_PER_MONTH,
        )
        run.ledger.assume(
            n.id, "ACUs", acu, "template: the cluster's MinCapacity (load not modelled)", False
        )
        return
    family = "aurora" if engine.startswith("aurora") else "rds"
    key = f"{family}.{klass}"
    if klass is None or run.table.get(key) is None:
        run.ledger.warn(f"{n.id}: no price for {family} class {klass}; not priced")
        return
    multi = f.value(n.stack, res, "MultiAZ") in (True, "true", "True")
    count = 2.0 if multi and family == "rds" else 1.0
    run.add(
        n.id, f"instance-hours ({count:g} x {klass})", 0.0, key, per_month=count * HOURS_PER_MONTH
    )


def vpc_endpoint(run: Run, n: Node, rates: Rates, counts: Mapping[str, Count]) -> None:
    res = run.facts.resource(n)
    kind = (run.facts.text(n.stack, res, "VpcEndpointType") or "Gateway").lower()
    if kind == "gateway":
        return  # gateway endpoints (S3, DynamoDB) are free
    subnets = run.facts.value(n.stack, res, "SubnetIds")
    azs = float(len(subnets)) if isinstance(subnets, list) and subnets else 1.0
    if not isinstance(subnets, list) or not subnets:
        run.ledger.assume(n.id, "availability zones", 1.0, "default: SubnetIds not readable", True)
    run.add(
        n.id,
        f"endpoint-AZ-hours ({azs:g} AZ)",
        0.0,
        "vpce.interface.hour",
        per_month=azs * HOURS_PER_MONTH,
    )


def public_ip(run: Run, n: Node, rates: Rates, counts: Mapping[str, Count]) -> None:
    run.add(n.id, "public IPv4 address-hours", 0.0, "ipv4.public.hour", per_month=HOURS_PER_MONTH)


def api_stage(run: Run, n: Node, rates: Rates, counts: Mapping[str, Count]) -> None:
    res = run.facts.resource(n)
    if run.facts.value(n.stack, res, "CacheClusterEnabled") not in (True, "true", "True"):
        return
    size = run.facts.text(n.stack, res, "CacheClusterSize") or "0.5"
    run.add(
        n.id, f"cache-hours ({size} GB)", 0.0, f"apigateway.cache.{size}", per_month=HOURS_PER_MONTH
    )


HOURLY = {
    "AWS::EC2::NatGateway": nat_gateway,
    "AWS::ElasticLoadBalancingV2::LoadBalancer": load_balancer,
    "AWS::RDS::DBInstance": db_instance,
    "AWS::EC2::VPCEndpoint": vpc_endpoint,
    "AWS::EC2::EIP": public_ip,
    "AWS::ApiGateway::Stage": api_stage,
}
