"""Channels between compute units, for the architecture label: the paths a message takes from one
unit to another through queues, topics, streams, buses, delivery streams and rules.

definitions.md lets a monolith-candidate have "no channel (queue, topic, stream, bus) between
compute units". A channel is seldom one node: a topic fans out to a queue that a worker reads
(topic -> queue), a bus hands events to a rule that starts a function (bus -> rule), a stream
feeds a delivery stream. So a channel is a path unit -> one or more channel or routing nodes ->
unit, whatever the number of hops; the evidence is the whole path. Pipes are not nodes (their
source triggers their target directly), so a piped path is already one of these.

A path that comes back into the unit it left (a function that writes the queue, topic or bus it
also consumes) is a loop inside one unit, not a channel *between* compute units: it counts for
none of them, whatever carries it. Copies of one artifact are separate units, so a path between
two copies is a channel.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from iacscan.knowledge.resource_types import type_info

# Roles of the nodes a message passes through on its way between units.
_PASSING_ROLES = frozenset({"channel", "router"})
# How many paths a reason names; the rest are counted.
SHOWN = 5


@dataclass(frozen=True, slots=True)
class ChannelPaths:
    # unit -> channel or routing nodes -> another unit: the shortest path of each pair of units,
    # the first SHOWN pairs in order, and how many pairs there are.
    between: tuple[tuple[str, ...], ...]
    between_total: int
    # unit -> channel or routing nodes -> the same unit, through nodes no other unit reaches.
    loops: tuple[tuple[str, ...], ...]
    loops_total: int


def passes_messages(node: Any) -> bool:
    """A queue, topic, stream, bus, delivery stream or rule; one defined outside the scan (the
    account's default event bus, an imported queue) counts by its type."""
    if node.role in _PASSING_ROLES:
        return True
    return bool(node.role == "external" and type_info(node.type).role in _PASSING_ROLES)


def channel_paths(
    units: Collection[str], nodes: Mapping[str, Any], out_edges: Mapping[str, Sequence[Any]]
) -> ChannelPaths:
    """The channels between ``units`` and the loops of one unit through channels.

    Bounded on large graphs: a breadth-first search from all units at once, in which each
    channel node keeps only the first two units that reach it. Two are enough: a unit reached
    from a node was reached from a *different* unit if the node kept one. Each node is entered
    at most twice, so the work is linear in nodes and edges, and since the search goes level by
    level, the kept paths are shortest."""
    # channel node -> {unit that reached it: (previous node on the path, hops from that unit)}
    reached: dict[str, dict[str, tuple[str, int]]] = {}
    todo: deque[tuple[str, str]] = deque()

    def visit(node_id: str, unit: str, prev: str, hops: int) -> None:
        if not passes_messages(nodes[node_id]):
            return
        kept = reached.setdefault(node_id, {})
        if unit not in kept and len(kept) < 2:
            kept[unit] = (prev, hops)
            todo.append((node_id, unit))

    for unit in sorted(units):
        for e in out_edges.get(unit, ()):
            visit(e.target, unit, unit, 1)
    while todo:
        node_id, unit = todo.popleft()
        hops = reached[node_id][unit][1]
        for e in out_edges.get(node_id, ()):
            visit(e.target, unit, node_id, hops + 1)
    best: dict[tuple[str, str], tuple[int, str]] = {}
    loops: dict[str, tuple[int, str]] = {}
    for node_id in sorted(reached):
        kept = reached[node_id]
        for e in out_edges.get(node_id, ()):
            end = e.target
            if end not in units:
                continue
            for start, (_, hops) in kept.items():
                pick = (hops, node_id)
                if start != end:
                    best[(start, end)] = min(best.get((start, end), pick), pick)
                elif len(kept) == 1:
                    loops[start] = min(loops.get(start, pick), pick)
    pairs = sorted(best.items())[:SHOWN]
    own = sorted(loops.items())[:SHOWN]
    return ChannelPaths(
        between=tuple(_path(reached, s, last) + (e,) for (s, e), (_, last) in pairs),
        between_total=len(best),
        loops=tuple(_path(reached, u, last) + (u,) for u, (_, last) in own),
        loops_total=len(loops),
    )


def _path(
    reached: Mapping[str, Mapping[str, tuple[str, int]]], unit: str, last: str
) -> tuple[str, ...]:
    """The kept path from ``unit`` to the channel node ``last``, ``unit`` first."""
    path = [last]
    while path[-1] != unit:
        path.append(reached[path[-1]][unit][0])
    return tuple(reversed(path))


def show_paths(paths: Sequence[Sequence[str]], total: int) -> str:
    """Paths as a reason shows them: ``A -> Topic -> Queue -> B; ...; and 3 more``."""
    text = "; ".join(" -> ".join(p) for p in paths)
    more = total - len(paths)
    return text + (f"; and {more} more" if more > 0 else "")
