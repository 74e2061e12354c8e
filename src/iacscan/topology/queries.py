"""Graph queries over a frozen topology, with networkx.

networkx is imported here and nowhere else, inside the functions: importing it costs about a
third of a second (its ``__init__`` loads every algorithm and scans the installed packages for
backends), more than a whole scan of a small template, so only runs that ask a graph question
pay for it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from iacscan.errors import UsageError
from iacscan.model import Topology
from iacscan.topology.labels import matching_nodes

if TYPE_CHECKING:
    import networkx as nx


def to_networkx(topology: Topology) -> nx.MultiDiGraph:
    """The topology as a MultiDiGraph: nodes carry ``node`` (the model's Node), edges are keyed
    by kind and carry ``edge`` (the model's Edge). Edges to ids that are not nodes add a bare
    node, as the renderers do."""
    import networkx as nx

    g: nx.MultiDiGraph = nx.MultiDiGraph()
    for n in topology.nodes:
        g.add_node(n.id, node=n)
    for e in topology.edges:
        g.add_edge(e.source, e.target, key=e.kind, edge=e)
    return g


def resolve_focus(topology: Topology, wanted: str) -> str:
    """A node id from what the user typed: the exact id, a label, a construct path (CDK:
    ``Shop/Orders/Queue``, with or without ``/Resource``), or an id's end after a ``/`` when
    that names one node (``Fn`` or ``Nested/Fn`` for ``Stack/Nested/Fn``)."""
    ids = {n.id for n in topology.nodes} | {e.source for e in topology.edges}
    ids |= {e.target for e in topology.edges}
    if wanted in ids:
        return wanted
    named = matching_nodes(topology.nodes, wanted)
    if len(named) == 1:
        return named.pop()
    if named:
        raise UsageError(
            f"--focus {wanted} names {len(named)} nodes: {', '.join(sorted(named))}",
            hint="give the node's id or its whole construct path",
        )
    tails = sorted(i for i in ids if i.endswith("/" + wanted))
    if len(tails) == 1:
        return tails[0]
    if tails:
        raise UsageError(
            f"--focus {wanted} names {len(tails)} nodes: {', '.join(tails)}",
            hint="give the full id, with its stack",
        )
    close = difflib.get_close_matches(wanted, sorted(ids), n=3)
    raise UsageError(
        f"--focus {wanted}: no such node in the topology",
        hint=f"did you mean {' or '.join(close)}?"
        if close
        else "list the node ids with `iacscan graph PATH --format json`",
    )


def focus(topology: Topology, wanted: Iterable[str], depth: int | None = None) -> Topology:
    """The part of the topology that flows into or out of the focus nodes: every node upstream
    (ancestors) and downstream (descendants) of each, within ``depth`` hops if given, and the
    edges between the nodes kept. Siblings reached only sideways (upstream of a downstream
    node) are left out: the result is the flow through the focus, not its component."""
    import networkx as nx

    g = to_networkx(topology)
    keep: set[str] = set()
    for node_id in (resolve_focus(topology, w) for w in wanted):
        keep.add(node_id)
        if depth is None:
            keep |= nx.ancestors(g, node_id) | nx.descendants(g, node_id)
        else:
            keep.update(nx.single_source_shortest_path_length(g, node_id, cutoff=depth))
            keep.update(
                nx.single_source_shortest_path_length(g.reverse(copy=False), node_id, cutoff=depth)
            )
    return Topology(
        nodes=tuple(n for n in topology.nodes if n.id in keep),
        edges=tuple(e for e in topology.edges if e.source in keep and e.target in keep),
    )
