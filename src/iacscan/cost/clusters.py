"""Instance-sized managed clusters, priced by the node-hour: ElastiCache, MSK, OpenSearch."""

from __future__ import annotations

from collections.abc import Mapping

from iacscan.cost.engine import HOURS_PER_MONTH, Run
from iacscan.cost.propagate import Rates
from iacscan.cost.sfn import Count
from iacscan.model import Node


def _nodes(run: Run, n: Node, family: str, itype: str | None, count: float, what: str) -> None:
    key = f"{family}.{itype}"
    if itype is None or run.table.get(key) is None:
        run.ledger.warn(f"{n.id}: no price for {family} node type {itype}; not priced")
        return
    run.add(n.id, f"{what} ({count:g} x {itype})", 0.0, key, per_month=count * HOURS_PER_MONTH)


def cache_cluster(run: Run, n: Node, rates: Rates, counts: Mapping[str, Count]) -> None:
    f, res = run.facts, run.facts.resource(n)
    count = f.number(n.stack, res, "NumCacheNodes") or 1.0
    _nodes(run, n, "elasticache", f.text(n.stack, res, "CacheNodeType"), count, "node-hours")


def replication_group(run: Run, n: Node, rates: Rates, counts: Mapping[str, Count]) -> None:
    f, res = run.facts, run.facts.resource(n)
    clusters = f.number(n.stack, res, "NumCacheClusters")
    if clusters is None:
        groups = f.number(n.stack, res, "NumNodeGroups") or 1.0
        replicas = f.number(n.stack, res, "ReplicasPerNodeGroup") or 0.0
        clusters = groups * (replicas + 1)
    _nodes(run, n, "elasticache", f.text(n.stack, res, "CacheNodeType"), clusters, "node-hours")


def kafka(run: Run, n: Node, rates: Rates, counts: Mapping[str, Count]) -> None:
    f, res = run.facts, run.facts.resource(n)
    brokers = f.number(n.stack, res, "NumberOfBrokerNodes") or 1.0
    itype = f.text(n.stack, res, "BrokerNodeGroupInfo", "InstanceType")
    _nodes(run, n, "msk", itype, brokers, "broker-hours")
    run.ledger.assume(n.id, "broker storage", "not priced", "default: storage is not priced", True)


def search_domain(run: Run, n: Node, rates: Rates, counts: Mapping[str, Count]) -> None:
    f, res = run.facts, run.facts.resource(n)
    config = (
        ("ClusterConfig",)
        if n.type == "AWS::OpenSearchService::Domain"
        else ("ElasticsearchClusterConfig",)
    )
    count = f.number(n.stack, res, *config, "InstanceCount") or 1.0
    itype = f.text(n.stack, res, *config, "InstanceType")
    if itype is None:
        itype = "r6g.large.search" if n.type == "AWS::OpenSearchService::Domain" else None
        run.ledger.assume(
            n.id, "instance type", str(itype), "default: CloudFormation's default", True
        )
    _nodes(run, n, "opensearch", itype, count, "instance-hours")
    if f.value(n.stack, res, *config, "DedicatedMasterEnabled") in (True, "true", "True"):
        masters = f.number(n.stack, res, *config, "DedicatedMasterCount") or 3.0
        master = f.text(n.stack, res, *config, "DedicatedMasterType")
        _nodes(run, n, "opensearch", master, masters, "dedicated master-hours")


CLUSTERS = {
    "AWS::ElastiCache::CacheCluster": cache_cluster,
    "AWS::ElastiCache::ReplicationGroup": replication_group,
    "AWS::MSK::Cluster": kafka,
    "AWS::OpenSearchService::Domain": search_domain,
    "AWS::Elasticsearch::Domain": search_domain,
}
