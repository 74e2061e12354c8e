"""Rates along the typed edges, from the ingress.

A node's rate is what arrives on its incoming edges (plus a rate the profile gives it): a trigger
or an invoke carries its source's rate times a count per invocation (for a state machine, the
number of times its definition runs the task per execution; else 1, or the usage file's
``edges:`` count); a write carries the writer's rate the same way. A channel (queue, stream)
read by compute that nothing else starts drives that compute (a poller). Reads of a store are
counted per run of the reader. Schedules bring their own rate, which does not scale with load.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat

from iacscan.cost.engine import Run, edge_label
from iacscan.cost.sfn import Count
from iacscan.model import Edge, Node

EdgeKey = tuple[str, str, str]
_RATE_EXPR = re.compile(r"^\s*rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)\s*$")
_PER = {"minute": 60.0, "hour": 3600.0, "day": 86400.0}
# Sources whose deliveries carry each message once by design (no count to assume).
_FAN_TYPES = (
    "AWS::SNS::Topic",
    "AWS::Events::EventBus",
    "AWS::Events::Rule",
    "AWS::Scheduler::Schedule",
    "AWS::S3::Bucket",
)
_BATCHED = ("AWS::SQS::Queue", "AWS::Kinesis::Stream", "AWS::DynamoDB::Table")


@dataclass(slots=True)
class Rates:
    node: dict[str, float] = field(default_factory=dict)  # per second
    edge: dict[EdgeKey, float] = field(default_factory=dict)  # per second
    reads: dict[EdgeKey, float] = field(default_factory=dict)  # reads of stores, per second
    # reads per second of each store, summed over its readers in the order of ``reads``
    read_total: dict[str, float] = field(default_factory=dict)


def key(e: Edge) -> EdgeKey:
    return (e.source, e.target, e.kind)


def schedule_rate(expression: str) -> float | None:
    """Events per second of ``rate(N unit)``; None for cron() or anything else."""
    m = _RATE_EXPR.match(expression)
    if not m:
        return None
    return int(m.group(1)) / _PER[m.group(2).rstrip("s")]


def _base(run: Run, ingress: Sequence[str]) -> dict[str, float]:
    nodes = run.facts.nodes
    base: dict[str, float] = {}
    for name, fact in run.usage.rates.items():
        if name in nodes:
            base[name] = float(fact.value) * run.scale
            run.ledger.assume(name, "rate (events/s)", float(fact.value), fact.where, False)
    for n in nodes.values():
        if n.type not in ("AWS::Events::Rule", "AWS::Scheduler::Schedule") or n.id in base:
            continue
        res = run.facts.resource(n)
        expr = run.facts.text(n.stack, res, "ScheduleExpression")
        if expr is None:
            continue
        rate = schedule_rate(expr)
        if rate is None:
            run.ledger.warn(
                f"{n.id}: schedule {expr} is not a rate(): give its rate in the usage file "
                "(rates:); counted as 0"
            )
            continue
        base[n.id] = rate
        run.ledger.assume(n.id, "rate (events/s)", rate, f"template: {expr}", False)
    for name in ingress:
        if name not in base:
            run.ledger.assume(name, "rate (events/s)", 0.0, "default: no rate given", True)
    return base


def _multiplier(run: Run, e: Edge, nodes: Mapping[str, Node], counts: Mapping[str, Count]) -> float:
    """How many messages, calls or objects one run of the edge's source sends along it."""
    fact = run.usage.edges.get((e.source, e.target)) if run.usage.edges else None
    if fact is not None:
        label = edge_label(e.source, e.kind, e.target)
        run.ledger.assume(label, "per invocation", float(fact.value), fact.where, False)
        return float(fact.value)
    if e.dead_letter:  # failed deliveries only: none when everything is delivered
        label = edge_label(e.source, e.kind, e.target)
        run.ledger.assume(
            label, "per invocation", 0.0, "default: a dead letter only when delivery fails", True
        )
        return 0.0
    count = counts.get(e.source)
    if count is not None:  # a state machine: how often its definition runs the task
        if e.target in count.runs:
            return count.runs[e.target]
        label = edge_label(e.source, e.kind, e.target)
        run.ledger.assume(
            label, "per execution", 1.0, "default: the definition names no task for it", True
        )
        return 1.0
    src, dst = nodes.get(e.source), nodes.get(e.target)
    if src is not None and src.type in _BATCHED and dst is not None and "Lambda" in dst.type:
        label = edge_label(e.source, e.kind, e.target)
        run.ledger.assume(
            label, "invocations per message", 1.0, "default: batch size 1 (an upper bound)", True
        )
        return 1.0
    if src is not None and (
        src.type in _FAN_TYPES or src.type in _BATCHED or src.role in ("ingress", "router")
    ):
        return 1.0  # a delivery carries each message once
    why = "one message, request or object per invocation (give edges:)"
    run.ledger.assume(
        edge_label(e.source, e.kind, e.target), "per invocation", 1.0, f"default: {why}", True
    )
    return 1.0


@dataclass(slots=True)
class Flow:
    """What propagation does that does not depend on the load, worked out once per system and
    kept across the runs at other loads: the edges that carry rates, the order the nodes are
    visited in (``broke``: a cycle was broken to reach the node), each edge's count per
    invocation and the reads of each store per run of its reader."""

    # node, broke, keys of its incoming edges, its outgoing edges with their keys
    order: list[tuple[str, bool, list[EdgeKey], list[tuple[Edge, EdgeKey]]]]
    reads: list[Edge]  # "reads" edges that carry no rate: reads of stores by their reader
    multipliers: dict[EdgeKey, float] = field(default_factory=dict)
    per_read: dict[EdgeKey, float] = field(default_factory=dict)
    # The keys of ``Rates``' four dicts in the order a run fills them (the same at every load),
    # once a run found every count finite and not negative: then a run whose every base rate is
    # zero (the zero-load run of a system with no schedule) has 0.0 at each, without the walk.
    zero: tuple[list[str], list[EdgeKey], list[EdgeKey], list[str]] | None = None


def flow(nodes: Mapping[str, Node], edges: Sequence[Edge]) -> Flow:
    """Ready nodes in order (sorted at first, then as their last input arrives); when none is
    ready, the first node left by id, whose rate counts what reached it so far."""
    from collections import deque

    started = {e.target for e in edges if e.kind in ("triggers", "invokes")}
    channels = {name for name, n in nodes.items() if n.role == "channel"}
    drive = [
        e for e in edges if e.kind != "reads" or (e.source in channels and e.target not in started)
    ]
    # each edge's key made once: the lists go into ``order`` as they are
    incoming: dict[str, list[EdgeKey]] = {}
    outgoing: dict[str, list[tuple[Edge, EdgeKey]]] = {}
    for e in drive:
        k = (e.source, e.target, e.kind)
        incoming.setdefault(e.target, []).append(k)
        outgoing.setdefault(e.source, []).append((e, k))
    pending = {n: len(incoming.get(n, ())) for n in nodes}
    ready = deque(sorted(n for n, c in pending.items() if c == 0))
    by_id = sorted(nodes)
    first_left = 0  # by_id[:first_left] are all done
    done: set[str] = set()
    order: list[tuple[str, bool, list[EdgeKey], list[tuple[Edge, EdgeKey]]]] = []
    while len(done) < len(nodes):
        broke = not ready
        if broke:
            while by_id[first_left] in done:
                first_left += 1
            ready.append(by_id[first_left])
        u = ready.popleft()
        if u in done:
            continue
        done.add(u)
        out = outgoing.get(u) or []
        order.append((u, broke, incoming.get(u) or [], out))
        for e, _ in out:
            pending[e.target] -= 1
            if pending[e.target] == 0 and e.target not in done:
                ready.append(e.target)
    carried = {k for keys in incoming.values() for k in keys}
    reads = [e for e in edges if e.kind == "reads" and (e.source, e.target, e.kind) not in carried]
    return Flow(order=order, reads=reads)


def propagate(
    run: Run,
    ingress: Sequence[str],
    counts: Mapping[str, Count],
    plan: Flow | None = None,
) -> Rates:
    nodes = run.facts.nodes
    plan = plan if plan is not None else flow(nodes, run.facts.topology.edges)
    base = _base(run, ingress)
    if plan.zero is not None and not any(base.values()):  # no load anywhere: every rate is 0.0
        for u, broke, _, _ in plan.order:
            if broke:
                run.ledger.warn(f"{u}: on a cycle of edges; its rate counts one pass")
        nodes_, edges_, reads_, stores = plan.zero
        return Rates(
            dict.fromkeys(nodes_, 0.0),
            dict.fromkeys(edges_, 0.0),
            dict.fromkeys(reads_, 0.0),
            dict.fromkeys(stores, 0.0),
        )
    rates = Rates()
    node_rate, edge_rate, multipliers = rates.node, rates.edge, plan.multipliers
    for u, broke, incoming, outgoing in plan.order:
        if broke:
            run.ledger.warn(f"{u}: on a cycle of edges; its rate counts one pass")
        rate = base.get(u, 0.0) + (
            sum(map(edge_rate.get, incoming, repeat(0.0))) if incoming else 0
        )
        node_rate[u] = rate
        for e, k in outgoing:
            m = multipliers.get(k)
            if m is None:  # the same at every load: the first run asks (and records why)
                m = multipliers[k] = _multiplier(run, e, nodes, counts)
            edge_rate[k] = rate * m
    for e in plan.reads:
        k = key(e)
        if k in rates.reads:  # the same edge twice: one count
            continue
        per = plan.per_read.get(k)
        if per is None:
            per = plan.per_read[k] = _reads_per_run(run, e)
        rates.reads[k] = node_rate.get(e.target, 0.0) * per
        rates.read_total[e.source] = rates.read_total.get(e.source, 0) + rates.reads[k]
    if plan.zero is None and all(
        0.0 <= m < math.inf for m in itertools.chain(multipliers.values(), plan.per_read.values())
    ):  # zero times each count is 0.0: not so for infinity, NaN or a negative count
        plan.zero = (list(node_rate), list(edge_rate), list(rates.reads), list(rates.read_total))
    return rates


def _reads_per_run(run: Run, e: Edge) -> float:
    fact = run.usage.edges.get((e.source, e.target))
    label = edge_label(e.source, e.kind, e.target)
    if fact is not None:
        per = float(fact.value)
        run.ledger.assume(label, "reads per run", per, fact.where, False)
        return per
    run.ledger.assume(label, "reads per run", 1.0, "default: one read per run of the reader", True)
    return 1.0
