"""State transitions per Step Functions execution, counted from the definition.

One transition per state entered (Step Functions "counts a state transition each time a step
of your workflow is executed"): a state on a loop counts once per loop iteration, the states
inside a Map once per item, each Parallel branch once per entry of the Parallel. Retries are
not counted. A Distributed Map whose children are EXPRESS runs its items as Express executions:
their states are not Standard transitions but child requests.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from iacscan.cost.facts import Facts
from iacscan.model import Resource
from iacscan.resolve import refs_in
from iacscan.topology import asl
from iacscan.topology.asl import MAX_DEPTH, MAX_STATES, states_on_cycles


@dataclass(slots=True)
class Count:
    transitions: float = 0.0  # Standard transitions per execution
    express_children: float = 0.0  # Express child executions per execution (distributed maps)
    runs: dict[str, float] = field(default_factory=dict)  # node id -> task runs per execution
    walked: int = 0  # states walked, bounded by MAX_STATES (shared subtrees count each time)
    truncated: bool = False  # the bound or MAX_DEPTH stopped the walk: counts are a lower bound
    loops: bool = False


# (map path, map name) -> items per iteration
Items = Callable[[str, str], float]


def load_definition(facts: Facts, stack: str, res: Resource) -> Mapping[str, Any] | None:
    """The definition with references kept as tokens; None when it cannot be read."""
    props = res.properties
    subs = facts.value(stack, res, "DefinitionSubstitutions")
    subs = subs if isinstance(subs, Mapping) else {}
    if isinstance(props.get("Definition"), Mapping):
        d = facts.value(stack, res, "Definition")
        return asl.substitute(d, subs) if isinstance(d, Mapping) else None
    text = facts.value(stack, res, "DefinitionString")
    if not isinstance(text, str) or len(text) > asl.MAX_DEFINITION:
        return None
    text = asl.substitute_text(text, subs)
    try:
        parsed = json.loads(text, strict=False)
    except (ValueError, RecursionError):
        return None
    return parsed if isinstance(parsed, Mapping) else None


def count(facts: Facts, definition: Mapping[str, Any], items: Items, loops: float) -> Count:
    out = Count()
    _level(facts, definition.get("States"), "", 1.0, items, loops, out, 0, express=False)
    return out


def _targets(facts: Facts, state: Mapping[str, Any]) -> set[str]:
    found: set[str] = set()
    for part in (state.get("Resource"), state.get("Parameters"), state.get("Arguments")):
        if part is None:  # absent: nothing to walk (most tasks have no Arguments)
            continue
        for ref in refs_in(part):
            node = facts.node_of(ref)
            if node is not None:
                found.add(node)
    return found


def _level(
    facts: Facts,
    states: object,
    prefix: str,
    times: float,
    items: Items,
    loops: float,
    out: Count,
    depth: int,
    express: bool,
) -> None:
    if not isinstance(states, Mapping):
        return
    if depth > MAX_DEPTH:
        out.truncated = True
        return
    on_cycle = states_on_cycles(states)
    out.loops = out.loops or bool(on_cycle)
    for name, state in states.items():
        if not isinstance(name, str) or not isinstance(state, Mapping):
            continue
        out.walked += 1
        if out.walked > MAX_STATES:
            out.truncated = True
            return
        n = times * (loops if name in on_cycle else 1.0)
        if not express:
            out.transitions += n
        kind = state.get("Type")
        path = prefix + name
        if kind == "Task":
            for node in _targets(facts, state):
                out.runs[node] = out.runs.get(node, 0.0) + n
        elif kind == "Map":
            per = items(path, name)
            processor = state.get("ItemProcessor")
            if not isinstance(processor, Mapping):
                processor = state.get("Iterator")
            if not isinstance(processor, Mapping):
                continue
            config = processor.get("ProcessorConfig")
            config = config if isinstance(config, Mapping) else {}
            distributed = str(config.get("Mode", "")).upper() == "DISTRIBUTED"
            child_express = (
                distributed and str(config.get("ExecutionType", "")).upper() == "EXPRESS"
            )
            if child_express:
                out.express_children += n * per
            for key in ("ItemReader", "ResultWriter"):
                block = state.get(key)
                if isinstance(block, Mapping):
                    for node in _targets(facts, block):
                        out.runs[node] = out.runs.get(node, 0.0) + n
            _level(
                facts,
                processor.get("States"),
                f"{path}/",
                n * per,
                items,
                loops,
                out,
                depth + 1,
                express or child_express,
            )
        elif kind == "Parallel":
            branches = state.get("Branches")
            if isinstance(branches, list | tuple):
                for number, branch in enumerate(branches, start=1):
                    if isinstance(branch, Mapping):
                        _level(
                            facts,
                            branch.get("States"),
                            f"{path}/branch{number}/",
                            n,
                            items,
                            loops,
                            out,
                            depth + 1,
                            express,
                        )
