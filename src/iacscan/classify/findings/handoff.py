"""Which buckets carry data from one compute step to another, who writes, who reads, and how sure
the scan is (shared by ``s3-intermediate-bus`` and ``fan-out-re-reads``).

- high: IAM tells writers from readers (one unit may write, another read) and the two are
  linked (the bucket's notification triggers the reader, a common invoker, or one invokes the
  other).
- medium / low: one role lets several units both read and write the bucket, so IAM cannot say
  who hands data to whom. The hand-off is inferred from the workflow: a state machine's order
  (a task that runs before another), or one unit invoking the next; environment variables that
  name the bucket narrow the units down to those that really use it. Order plus environment
  variables is medium; either alone (order, or environment variables on units of one workflow
  with no order) is low.

Reads topology facts only through the context's read methods (``resource``, ``resolve``,
``refs``, ``canonical``, ``node_id``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from iacscan.classify.findings.base import RuleInput
from iacscan.model import Resource
from iacscan.topology.asl import states_on_cycles

_UNIT_ROLES = ("compute",)
_MAX_STATES = 2_000  # states walked per state machine
_MAX_DEPTH = 40  # nested Map and Parallel levels


@dataclass(frozen=True, slots=True)
class Handoff:
    writers: tuple[str, ...]  # when the direction is unknown: every unit that hands data
    readers: tuple[str, ...]  # never also a writer; empty when the direction is unknown
    confidence: str  # high | medium | low
    basis: str  # the evidence, as a clause

    def note(self) -> str:
        return f"confidence {self.confidence}: {self.basis}"


def intermediate_buckets(data: RuleInput) -> dict[str, Handoff]:
    """Bucket -> the hand-off it carries, for buckets that carry data between linked units."""
    out: dict[str, Handoff] = {}
    for node in data.topology.nodes:
        if node.type != "AWS::S3::Bucket":
            continue
        writers = _units(
            data, (e.source for e in data.in_edges.get(node.id, []) if e.kind == "writes")
        )
        readers = _units(
            data,
            (e.target for e in data.out_edges.get(node.id, []) if e.kind in ("reads", "triggers")),
        )
        if not writers or not readers:
            continue
        if writers != readers and _linked(data, node.id, sorted(writers), sorted(readers)):
            # IAM tells them apart: those that only write hand data to those that read (a
            # reader that also writes, like a step that assembles the parts, is a reader).
            producers = sorted(writers - readers) or sorted(writers)
            consumers = sorted(readers - set(producers))
            if consumers:
                basis = (
                    f"IAM lets {', '.join(producers)} write it and {', '.join(consumers)} read it"
                )
                if writers - readers:
                    out[node.id] = Handoff(tuple(producers), tuple(consumers), "high", basis)
                    continue
                # Every writer also reads it: IAM alone does not say the data flows from the
                # writers to the readers (a step that reads the upload, then a step that writes
                # thumbnails beside it). A workflow that runs the readers first rules it out.
                order, how = _order(data, producers, consumers)
                if order == "after":
                    continue
                basis += (
                    f" ({', '.join(producers)} {'reads' if len(producers) == 1 else 'read'} it too)"
                )
                if order == "before":
                    out[node.id] = Handoff(
                        tuple(producers), tuple(consumers), "high", f"{basis}; {how}"
                    )
                else:
                    basis += "; no workflow the scan can read says in which order they run"
                    out[node.id] = Handoff(tuple(producers), tuple(consumers), "medium", basis)
                continue
        shared = _shared(data, node.id, writers & readers)
        if shared is not None:
            out[node.id] = shared
    return out


def _order(data: RuleInput, producers: list[str], consumers: list[str]) -> tuple[str | None, str]:
    """ "before" when a state machine that runs them all runs every producer before every
    consumer, "after" when it runs every consumer first, else None; with the clause saying so."""
    callers = {c for u in (*producers, *consumers) for c in _callers(data, u)}
    for caller in sorted(callers):
        walker = _walk(data, caller)
        if walker is None or walker.looped:
            continue  # a loop runs a reader again after the writer: no order to rely on
        every = walker.every
        if not all(u in every for u in (*producers, *consumers)):
            continue
        # every step of each, not only the first: a reader that also runs after the writer
        # reads what it wrote
        pairs = [
            (p, c) for pu in producers for p in every[pu] for cu in consumers for c in every[cu]
        ]
        if all(_runs_before(p, c) for p, c in pairs):
            return "before", f"state machine {caller} runs them in that order"
        if all(_runs_before(c, p) for p, c in pairs):
            return "after", f"state machine {caller} runs the readers first"
    return None, ""


def _units(data: RuleInput, ids: Iterable[str]) -> set[str]:
    """Running units among ``ids``: a deploy-time helper (a custom resource's provider that
    seeds a bucket) hands nothing to the running system."""
    return {i for i in ids if data.nodes[i].role in _UNIT_ROLES and not data.nodes[i].deploy_time}


def _linked(data: RuleInput, bucket: str, writers: list[str], readers: list[str]) -> bool:
    if any(e.kind == "triggers" for e in data.out_edges.get(bucket, [])):
        return True
    for w in writers:
        callers_w = _callers(data, w)
        for r in readers:
            if r == w:
                continue
            if callers_w & _callers(data, r) or w in _callers(data, r):
                return True
    return False


def _callers(data: RuleInput, node: str) -> set[str]:
    return {e.source for e in data.in_edges.get(node, []) if e.kind == "invokes"}


# ----------------------------------------------------------------------------- shared roles


def _shared(data: RuleInput, bucket: str, users: set[str]) -> Handoff | None:
    """Several units may both read and write the bucket: infer who hands data to whom."""
    if len(users) < 2:
        return None
    named = {u for u in users if _env_names(data, u, bucket)}
    candidates = named if len(named) >= 2 else users
    env_note = (
        f"environment variables name it in {', '.join(sorted(named))}" if len(named) >= 2 else ""
    )
    shared_note = f"one role lets {', '.join(sorted(users))} both read and write it"
    before: set[tuple[str, str]] = set()
    order_notes: list[str] = []
    order_known = False  # a readable workflow runs two of them: the order is its, not a guess
    for caller in sorted({c for u in candidates for c in _callers(data, u)}):
        ranks = _workflow_ranks(data, caller)
        if len(candidates & set(ranks)) < 2:
            continue
        order_known = True
        pairs = {
            (a, b)
            for a in candidates
            for b in candidates
            if a != b and a in ranks and b in ranks and _runs_before(ranks[a], ranks[b])
        }
        if pairs:
            before |= pairs
            order_notes.append(f"state machine {caller} runs them in order")
    for a in sorted(candidates):
        for b in sorted(candidates):
            if a != b and a in _callers(data, b):
                before.add((a, b))
                order_notes.append(f"{a} invokes {b}")
    if before:
        # The producers: units that run before another and after none; the rest read.
        writers = sorted({a for a, _ in before} - {b for _, b in before})
        readers = sorted({b for a, b in before if a in writers})
        if writers and readers:
            confidence = "medium" if env_note else "low"
            basis = "; ".join(x for x in (shared_note, *order_notes, env_note) if x)
            return Handoff(tuple(writers), tuple(readers), confidence, basis)
    if env_note and not order_known and _one_workflow(data, named):
        # Units of one workflow that all name the bucket, in no order the scan can read: a
        # hand-off is likely, its direction is not known.
        basis = f"{shared_note}; {env_note}; they are steps of one workflow, order unknown"
        return Handoff(tuple(sorted(named)), (), "low", basis)
    return None


def _one_workflow(data: RuleInput, units: set[str]) -> bool:
    callers = [_callers(data, u) for u in units]
    return bool(callers) and bool(set.intersection(*callers))


def _env_names(data: RuleInput, unit: str, bucket: str) -> bool:
    """Does the unit's environment (Lambda variables, container environment) name the bucket?"""
    res, stack = _resource(data, unit)
    target, bucket_stack = _resource(data, bucket)
    if res is None or target is None:
        return False
    env: list[Any] = [_get(res.properties, "Environment", "Variables")]
    containers = res.properties.get("ContainerDefinitions")
    if res.type == "AWS::ECS::Service":
        task_value = res.properties.get("TaskDefinition")
        for ref in data.ctx.refs(stack, task_value):
            task = data.ctx.resource((ref.stack, ref.logical_id))
            if task is not None:
                containers = task.properties.get("ContainerDefinitions")
                stack = ref.stack
    for container in containers if isinstance(containers, list) else []:
        env.append(_get(container, "Environment"))
    wanted = (bucket_stack, bucket.rsplit("/", 1)[-1])
    return any(
        data.ctx.canonical((r.stack, r.logical_id)) == wanted
        for value in env
        if value is not None
        for r in data.ctx.refs(stack, value)
    )


def _resource(data: RuleInput, node_id: str) -> tuple[Resource | None, str]:
    node = data.nodes.get(node_id)
    if node is None or not node.stack:
        return None, ""
    return data.ctx.resource((node.stack, node_id.rsplit("/", 1)[-1])), node.stack


def _get(value: Any, *path: str) -> Any:
    for key in path:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


# ----------------------------------------------------------------------------- workflow order

Rank = tuple[int, tuple[tuple[int, int], ...]]  # (step, ((parallel id, branch), ...))


def _runs_before(a: Rank, b: Rank) -> bool:
    """``a`` runs before ``b``: an earlier step, and not in sibling branches of one Parallel."""
    branches_a = dict(a[1])
    if any(pid in branches_a and branches_a[pid] != branch for pid, branch in b[1]):
        return False
    return a[0] < b[0]


def _workflow_ranks(data: RuleInput, machine: str) -> dict[str, Rank]:
    """Node id -> the step at which a state machine's definition first runs it."""
    walker = _walk(data, machine)
    return walker.ranks if walker is not None else {}


def _walk(data: RuleInput, machine: str) -> _Walker | None:
    """The walk of a state machine's definition (None when it cannot be read)."""
    node = data.nodes.get(machine)
    if node is None or node.type != "AWS::StepFunctions::StateMachine":
        return None
    res, stack = _resource(data, machine)
    if res is None:
        return None
    definition = _definition(data, stack, res)
    if definition is None:
        return None
    subs = res.properties.get("DefinitionSubstitutions")
    walker = _Walker(data, stack, subs if isinstance(subs, Mapping) else {})
    walker.level(definition, 0, ())
    return walker


def _definition(data: RuleInput, stack: str, res: Resource) -> Mapping[str, Any] | None:
    value = data.ctx.resolve(stack, res.properties.get("Definition"))
    if isinstance(value, Mapping):
        return value
    text = data.ctx.resolve(stack, res.properties.get("DefinitionString"))
    if not isinstance(text, str):
        return None
    try:
        parsed = json.loads(text, strict=False)
    except ValueError:
        return None
    return parsed if isinstance(parsed, Mapping) else None


class _Walker:
    def __init__(self, data: RuleInput, stack: str, subs: Mapping[str, Any]) -> None:
        self.data = data
        self.stack = stack
        self.subs = subs
        self.ranks: dict[str, Rank] = {}
        self.every: dict[str, list[Rank]] = {}  # each step that runs the node
        self.looped = False  # a transition goes back to a state already walked
        self.budget = _MAX_STATES
        self.parallel_ids = 0
        self.depth = 0  # Map levels entered (Parallel levels are counted in ``branch``)

    def level(self, machine: Any, step: int, branch: tuple[tuple[int, int], ...]) -> int:
        """Walk one States level from StartAt; returns the step after its last state."""
        states = machine.get("States") if isinstance(machine, Mapping) else None
        if not isinstance(states, Mapping) or len(branch) + self.depth > _MAX_DEPTH:
            return step
        if states_on_cycles(states):
            self.looped = True  # a state runs again after the ones that follow it
        seen: set[str] = set()
        pending = [(machine.get("StartAt"), step)]
        last = step
        while pending and self.budget > 0:
            name, at = pending.pop(0)
            if not isinstance(name, str) or name in seen or name not in states:
                continue
            seen.add(name)
            self.budget -= 1
            state = states[name]
            if not isinstance(state, Mapping):
                continue
            after = self.state(state, at, branch)
            last = max(last, after)
            for nxt in _transitions(state):
                pending.append((nxt, after))
        return last

    def state(
        self, state: Mapping[str, Any], step: int, branch: tuple[tuple[int, int], ...]
    ) -> int:
        kind = state.get("Type")
        if kind == "Task":
            for node in self._targets(state):
                self.ranks.setdefault(node, (step, branch))
                self.every.setdefault(node, []).append((step, branch))
            return step + 1
        if kind == "Parallel":
            self.parallel_ids += 1
            pid = self.parallel_ids
            ends = [
                self.level(b, step, (*branch, (pid, i)))
                for i, b in enumerate(_list(state.get("Branches")))
            ]
            return max(ends, default=step) + 1
        if kind == "Map":
            inner = state.get("ItemProcessor") or state.get("Iterator")
            self.depth += 1
            try:
                return self.level(inner, step, branch) + 1
            finally:
                self.depth -= 1
        return step + 1

    def _targets(self, state: Mapping[str, Any]) -> list[str]:
        values: list[Any] = [state.get("Resource")]
        params = state.get("Parameters") or state.get("Arguments")
        if isinstance(params, Mapping):
            values.append(params.get("FunctionName"))
        out = []
        for value in values:
            if isinstance(value, str) and value.startswith("${") and value[2:-1] in self.subs:
                value = self.subs[value[2:-1]]
            for ref in self.data.ctx.refs(self.stack, value):
                key = self.data.ctx.canonical((ref.stack, ref.logical_id))
                node = self.data.ctx.node_id(*key)
                if node in self.data.nodes:
                    out.append(node)
        return out


def _transitions(state: Mapping[str, Any]) -> list[str]:
    out = [state.get("Next"), state.get("Default")]
    for item in (*_list(state.get("Choices")), *_list(state.get("Catch"))):
        if isinstance(item, Mapping):
            out.append(item.get("Next"))
    return [n for n in out if isinstance(n, str)]


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
