"""The cost report of one analysis: idle floor, cost at the profile's load, line items."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import attrgetter

from iacscan.cost.capacity import CAPACITY
from iacscan.cost.clusters import CLUSTERS
from iacscan.cost.engine import SECONDS_PER_MONTH, Ledger, Run, edge_label, merge_idle
from iacscan.cost.facts import Facts
from iacscan.cost.hourly import HOURLY
from iacscan.cost.items import PRICERS, Pricer
from iacscan.cost.prices import PriceTable
from iacscan.cost.propagate import flow, propagate
from iacscan.cost.sfn import Count, count, load_definition
from iacscan.cost.usage import DEFAULTS, Usage
from iacscan.model import Analysis, CostReport, LineItem, Node, Template


class Pricing:
    """One system, priced at any multiple of the profile's load."""

    def __init__(
        self, analysis: Analysis, templates: Sequence[Template], usage: Usage, table: PriceTable
    ) -> None:
        self.analysis = analysis
        idle = [i.node for i in analysis.verdict.idle_costs]
        self.facts = Facts(analysis.topology, templates, idle)
        self.facts.ingress = frozenset(analysis.boundary.ingress)
        self.usage = usage
        self.table = table
        self.ledger = Ledger()
        self.counts = self._counts()
        self.flow = flow(self.facts.nodes, self.facts.topology.edges)
        # the nodes priced (by id; None: warned as not priced), the same at every load
        self.pricers: list[tuple[Node, Pricer | None]] = []
        for n in sorted(self.facts.nodes.values(), key=lambda n: n.id):
            if n.role == "external":
                continue  # outside the system: not priced here (an S3 event to the default bus...)
            pricer = (
                PRICERS.get(n.type)
                or CAPACITY.get(n.type)
                or HOURLY.get(n.type)
                or CLUSTERS.get(n.type)
            )
            if pricer is not None or not n.deploy_time:
                self.pricers.append((n, pricer))
        # integrations that are evidence on an edge, not nodes
        self.pipes = [
            e
            for e in self.facts.topology.edges
            if e.kind == "triggers"
            and not e.dead_letter  # a pipe's dead-letter queue is no request of its own
            and any(v.what.startswith("AWS::Pipes::Pipe ") for v in e.via)
        ]

    def _counts(self) -> dict[str, Count]:
        out: dict[str, Count] = {}
        for n in self.facts.nodes.values():
            if n.type != "AWS::StepFunctions::StateMachine":
                continue
            res = self.facts.resource(n)
            definition = load_definition(self.facts, n.stack, res) if res else None
            if definition is None:
                continue
            probe = Run(self.facts, self.usage, self.table, self.ledger, 1.0)
            f = self.usage.fact(n.id, "loop_iterations")
            loops = float(f.value) if f is not None else DEFAULTS["loop_iterations"][0]
            out[n.id] = count(self.facts, definition, self._items(probe, n.id), loops)
            if out[n.id].loops:
                probe.fact(n.id, "loop_iterations")  # shown only when the workflow loops
        return out

    def _items(self, run: Run, node: str) -> Callable[[str, str], float]:
        def items(path: str, name: str) -> float:
            f = self.usage.fact(node, "map_items")
            if f is not None and isinstance(f.value, Mapping):
                for k in (path, name):
                    if k in f.value:
                        run.ledger.assume(node, f"map_items {k}", float(f.value[k]), f.where, False)
                        return float(f.value[k])
                return run.fact(node, f"map_items {name}", "map_items")
            return run.fact(node, "map_items")

        return items

    def run(self, scale: float) -> Run:
        run = Run(self.facts, self.usage, self.table, self.ledger, scale)
        rates = propagate(run, self.analysis.boundary.ingress, self.counts, self.flow)
        for n, pricer in self.pricers:
            if pricer is not None:
                pricer(run, n, rates, self.counts)
            else:
                self.ledger.warn(f"{n.id}: {n.type} is not priced by iacscan (not counted)")
        for e in self.pipes:
            rate = rates.edge.get((e.source, e.target, e.kind), 0.0)
            label = edge_label(e.source, e.kind, e.target)
            run.add(label, "pipe requests", rate, "pipes.request", edge=True)
        return run

    def events_per_month(self, scale: float) -> float:
        return sum(
            float(f.value) * scale * SECONDS_PER_MONTH
            for name, f in self.usage.rates.items()
            if name in self.facts.nodes
        )

    def monthly(self, scale: float) -> float:
        return self.run(scale).total()

    def report(self, elsewhere: Iterable[str] = ()) -> CostReport:
        at_load = self.run(1.0)
        idle = self.run(0.0)
        known = set(self.facts.nodes) | set(elsewhere)
        missing = sorted(self.usage.names() - known)
        if missing:
            self.ledger.warn(
                f"the usage profile names nodes not in this system: {', '.join(missing)}"
            )
        events = self.events_per_month(1.0)
        monthly = at_load.total()
        load = tuple(
            (name, float(f.value))
            for name, f in sorted(self.usage.rates.items())
            if name in self.facts.nodes
        )
        return CostReport(
            region=self.table.region,
            prices=self.table.describe(),
            load=load,
            events_per_month=events,
            idle_monthly=idle.total(),
            monthly=monthly,
            per_million_events=monthly / events * 1e6 if events > 0 else None,
            items=_dearest_first(merge_idle(at_load.items, idle.items)),
            assumptions=tuple(
                sorted(self.ledger.assumptions.values(), key=attrgetter("subject", "what"))
            ),
            warnings=tuple(self.ledger.warnings),
        )


def _dearest_first(items: Sequence[LineItem]) -> tuple[LineItem, ...]:
    """Sorted by ``(-monthly, subject, price_key)``: by subject and row, then stably by cost,
    dearest first (two sorts on C key functions instead of a Python key per item). A NaN in
    the costs (their sum is NaN) makes the two orders differ: then the one sort."""
    total = sum(map(_MONTHLY, items))
    if total != total:
        return tuple(sorted(items, key=lambda i: (-i.monthly, i.subject, i.price_key)))
    out = sorted(items, key=_SUBJECT_AND_ROW)
    out.sort(key=_MONTHLY, reverse=True)  # reverse keeps equal items in their order
    return tuple(out)


_MONTHLY = attrgetter("monthly")
_SUBJECT_AND_ROW = attrgetter("subject", "price_key")


def price(
    analysis: Analysis,
    templates: Sequence[Template],
    usage: Usage,
    table: PriceTable,
    elsewhere: Iterable[str] = (),
) -> CostReport:
    """The cost report of ``analysis`` at the usage profile's load."""
    return Pricing(analysis, templates, usage, table).report(elsewhere)
