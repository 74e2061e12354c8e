"""The "runs on" links between capacity and the units it runs, read from node properties.

They are not edges (the edge vocabulary describes data flow; see topology/extractors/capacity.py):
diagrams draw them dotted, from the capacity to what it runs.
"""

from __future__ import annotations

from iacscan.model import Topology


def capacity_links(topology: Topology) -> list[tuple[str, str]]:
    """(capacity node, node it runs) pairs, both nodes of the topology, sorted."""
    ids = {n.id for n in topology.nodes}
    out: set[tuple[str, str]] = set()
    for node in topology.nodes:
        runs_on = node.properties.get("runs_on")
        if not isinstance(runs_on, str):
            continue
        out.update((c, node.id) for c in runs_on.split(", ") if c in ids)
    return sorted(out)
