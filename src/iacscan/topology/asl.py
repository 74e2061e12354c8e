"""Walk an Amazon States Language (Step Functions) definition and report its shape.

Pure: standard library only (plus ``iacscan.model.line_of`` for source lines and
``iacscan.resolve.with_placeholders`` to read ARNs with references in them), no I/O.

What it reads, per the ASL specification:

- every state of every level: the top ``States``, a Map's ``ItemProcessor.States`` (or the legacy
  ``Iterator.States``), each of a Parallel's ``Branches[].States``;
- ``Task`` states: ``Resource`` and its integration (``arn:aws:states:::SERVICE:ACTION`` with an
  optional ``.sync``/``.sync:2``/``.waitForTaskToken`` suffix, ``arn:aws:states:::aws-sdk:...``,
  a bare Lambda function ARN, an activity ARN), ``Parameters`` (JSONPath) or ``Arguments``
  (JSONata);
- ``Map`` states: ``ItemProcessor.ProcessorConfig`` (``Mode`` INLINE|DISTRIBUTED,
  ``ExecutionType`` STANDARD|EXPRESS), ``ItemReader``, ``ItemsPath``/``Items``, ``ResultWriter``;
- transitions, for loop detection: ``Next``, ``Default``, ``Choices[].Next``, ``Catch[].Next``.

Values may hold unresolved CloudFormation placeholders (``{"Fn::GetAtt": [...]}``,
``"${ConverterArn}"``): they are returned raw, never interpreted, never an error. Malformed
definitions never raise: whatever cannot be read is skipped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from iacscan.model import line_of
from iacscan.resolve import with_placeholders

__all__ = [
    "AslShape",
    "AslTask",
    "MapState",
    "MAX_CYCLES",
    "MAX_DEPTH",
    "MAX_STATES",
    "parse_definition_text",
    "parse_integration",
    "states_on_cycles",
    "walk",
]

# Nesting levels (Map/Parallel inside Map/Parallel) walked; deeper levels are not descended into.
MAX_DEPTH = 100
# Cycles reported in ``AslShape.loops``, over all levels together (``in_loop`` stays exact).
MAX_CYCLES = 50
# States walked in all; guards against YAML aliases that share one subtree many times.
MAX_STATES = 100_000


@dataclass(frozen=True, slots=True)
class AslTask:
    """One ``Task`` state (or the ``ItemReader``/``ResultWriter`` of a Map, see ``MapState``)."""

    path: str  # "ProcessFrames/Convert", "Detect/branch1/DetectA" (branches numbered from 1)
    name: str
    resource: object  # raw Resource value (str, or an unresolved intrinsic)
    parameters: Mapping[str, object]  # Parameters or Arguments, {} when absent or not a mapping
    service: str | None
    action: str | None
    pattern: str | None  # "request" | "sync" | "waitForTaskToken"; None if not a states ARN
    sdk: bool
    in_map: bool
    in_parallel: bool
    in_loop: bool
    line: int | None


@dataclass(frozen=True, slots=True)
class MapState:
    """One ``Map`` state."""

    path: str
    distributed: bool
    execution_type: str | None  # ProcessorConfig.ExecutionType, distributed maps only
    items_from: str | None  # "ItemReader <Resource>", or the ItemsPath / Items value as text
    line: int | None
    # The S3 (or other) integration the distributed map reads items with / writes results with.
    reader: AslTask | None = None
    writer: AslTask | None = None


@dataclass(frozen=True, slots=True)
class AslShape:
    tasks: tuple[AslTask, ...]
    maps: tuple[MapState, ...]
    parallels: tuple[tuple[str, int], ...]  # (path, number of branches)
    loops: tuple[tuple[str, ...], ...]  # each cycle of state names (any level), MAX_CYCLES at most
    state_count: int
    wait_in_loop: bool  # a Wait state is on a cycle (at its level or an enclosing one)
    # True when MAX_DEPTH or MAX_STATES stopped the walk: the shape is then partial.
    truncated: bool = False


# --------------------------------------------------------------------------- integrations

# One ARN field: literal text and ${...} placeholders (which may hold "::", as ${AWS::Region}).
_SEG = r"(?:\$\{[^}]*\}|[^:$]|\$(?!\{))*"
_STATES_ARN = re.compile(rf"^arn:{_SEG}:states:::(?P<rest>.*)$", re.DOTALL)
_INTEGRATION = re.compile(
    r"^(?P<sdk>aws-sdk:)?(?P<service>[A-Za-z0-9][A-Za-z0-9._-]*)"
    r":(?P<action>[A-Za-z0-9_]+)"
    r"(?P<suffix>\.sync(?::\d+)?|\.waitForTaskToken)?$"
)
_LAMBDA_ARN = re.compile(rf"^arn:{_SEG}:lambda:{_SEG}:{_SEG}:function:.+$", re.DOTALL)
_ACTIVITY_ARN = re.compile(rf"^arn:{_SEG}:states:{_SEG}:{_SEG}:activity:.+$", re.DOTALL)

_NONE: tuple[str | None, str | None, str | None, bool] = (None, None, None, False)


def parse_integration(resource: object) -> tuple[str | None, str | None, str | None, bool]:
    """(service, action, pattern, sdk) for a Resource value; (None, None, None, False) when not a
    string or not recognised.

    ``arn:aws:states:::ecs:runTask.sync`` -> ("ecs", "runTask", "sync", False);
    ``arn:aws:states:::aws-sdk:s3:putObject`` -> ("s3", "putObject", "request", True);
    ``arn:aws:lambda:us-east-1:1:function:f`` -> ("lambda", "invoke", None, False);
    ``arn:aws:states:us-east-1:1:activity:a`` -> ("activity", None, None, False).
    """
    if not isinstance(resource, str):
        return _NONE
    # References resolved into the text (``arn:`` + the partition + ``:states:::...``, as CDK
    # builds it with Fn::Join) hold colons of their own: read the ARN around them.
    text, _ = with_placeholders(resource.strip())
    states = _STATES_ARN.match(text)
    if states is not None:
        found = _INTEGRATION.match(states.group("rest"))
        if found is None:
            return _NONE
        suffix = found.group("suffix")
        if suffix is None:
            pattern = "request"
        elif suffix.startswith(".sync"):
            pattern = "sync"
        else:
            pattern = "waitForTaskToken"
        sdk = found.group("sdk") is not None
        return found.group("service"), found.group("action"), pattern, sdk
    if _LAMBDA_ARN.match(text):
        return "lambda", "invoke", None, False
    if _ACTIVITY_ARN.match(text):
        return "activity", None, None, False
    return _NONE


# --------------------------------------------------------------------------- graph algorithms


def _tarjan(succ: Sequence[Sequence[int]], members: set[int]) -> list[list[int]]:
    """Strongly connected components of the subgraph on ``members`` (iterative Tarjan)."""
    index_of: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    result: list[list[int]] = []
    counter = 0
    for root in sorted(members):
        if root in index_of:
            continue
        index_of[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        calls: list[tuple[int, Iterator[int]]] = [(root, iter(succ[root]))]
        while calls:
            v, neighbours = calls[-1]
            descended = False
            for w in neighbours:
                if w not in members:
                    continue
                if w not in index_of:
                    index_of[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    calls.append((w, iter(succ[w])))
                    descended = True
                    break
                if w in on_stack:
                    low[v] = min(low[v], index_of[w])
            if descended:
                continue
            calls.pop()
            if calls:
                parent = calls[-1][0]
                low[parent] = min(low[parent], low[v])
            if low[v] == index_of[v]:
                component: list[int] = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.append(w)
                    if w == v:
                        break
                result.append(component)
    return result


def _simple_cycles(succ: Sequence[Sequence[int]], limit: int) -> list[list[int]]:
    """Elementary cycles (Johnson's algorithm, iterative), at most ``limit`` of them."""
    found: list[list[int]] = []
    if limit <= 0:
        return found
    n = len(succ)
    for v in range(n):
        if v in succ[v]:
            found.append([v])
            if len(found) >= limit:
                return found
    plain = [[w for w in succ[v] if w != v] for v in range(n)]
    pending = [c for c in _tarjan(plain, set(range(n))) if len(c) > 1]
    while pending:
        members = set(pending.pop())
        start = min(members)
        path = [start]
        blocked = {start}
        closed: set[int] = set()
        blocked_by: dict[int, set[int]] = {}

        def targets(v: int, members: set[int] = members) -> list[int]:
            # Reversed so that pop() follows the definition order.
            return [w for w in reversed(plain[v]) if w in members]

        stack: list[tuple[int, list[int]]] = [(start, targets(start))]
        while stack:
            node, nbrs = stack[-1]
            if nbrs:
                nxt = nbrs.pop()
                if nxt == start:
                    found.append(list(path))
                    if len(found) >= limit:
                        return found
                    closed.update(path)
                elif nxt not in blocked:
                    path.append(nxt)
                    stack.append((nxt, targets(nxt)))
                    closed.discard(nxt)
                    blocked.add(nxt)
                    continue
            if not nbrs:
                if node in closed:
                    to_unblock = {node}
                    while to_unblock:
                        u = to_unblock.pop()
                        if u in blocked:
                            blocked.discard(u)
                            to_unblock.update(blocked_by.pop(u, set()))
                else:
                    for w in targets(node):
                        blocked_by.setdefault(w, set()).add(node)
                stack.pop()
                path.pop()
        members.discard(start)
        pending.extend(c for c in _tarjan(plain, members) if len(c) > 1)
    return found


def _transitions(state: Mapping[object, object]) -> list[str]:
    """Names a state can go to: Next, Default, Choices[].Next, Catch[].Next."""
    out: list[str] = []
    for key in ("Next", "Default"):
        target = state.get(key)
        if isinstance(target, str):
            out.append(target)
    for key in ("Choices", "Catch"):
        rules = state.get(key)
        if isinstance(rules, list | tuple):
            for rule in rules:
                if isinstance(rule, Mapping):
                    target = rule.get("Next")
                    if isinstance(target, str):
                        out.append(target)
    return out


def _level_loops(
    states: Sequence[tuple[str, Mapping[object, object]]], cycle_budget: int
) -> tuple[frozenset[str], list[tuple[str, ...]]]:
    """(names of the states on a cycle, the cycles found, at most ``cycle_budget``) of one level."""
    index = {name: i for i, (name, _) in enumerate(states)}
    succ: list[list[int]] = []
    for _, state in states:
        targets: list[int] = []
        for name in _transitions(state):
            i = index.get(name)
            if i is not None and i not in targets:
                targets.append(i)
        succ.append(targets)
    on_cycle: set[int] = {v for v in range(len(succ)) if v in succ[v]}
    for component in _tarjan(succ, set(range(len(succ)))):
        if len(component) > 1:
            on_cycle.update(component)
    if not on_cycle:
        return frozenset(), []
    cycles: list[tuple[str, ...]] = []
    for cycle in _simple_cycles(succ, cycle_budget):
        first = cycle.index(min(cycle))
        rotated = cycle[first:] + cycle[:first]
        cycles.append(tuple(states[i][0] for i in rotated))
    return frozenset(states[i][0] for i in on_cycle), cycles


def states_on_cycles(states: object) -> frozenset[str]:
    """Names of the states of one level (a ``States`` mapping) that lie on a cycle of
    ``Next``/``Default``/``Choices``/``Catch`` transitions (the cost model counts them per loop
    iteration)."""
    on_cycle, _ = _level_loops(_readable_states(states), 0)
    return on_cycle


# --------------------------------------------------------------------------- walk


@dataclass(slots=True)
class _Level:
    states: Iterator[tuple[str, Mapping[object, object]]]
    prefix: str
    in_map: bool
    in_parallel: bool
    on_loop: frozenset[str]
    outer_loop: bool
    depth: int


def _readable_states(value: object) -> list[tuple[str, Mapping[object, object]]]:
    if not isinstance(value, Mapping):
        return []
    try:
        items = list(value.items())
    except Exception:  # a hostile Mapping must not break the walk
        return []
    return [
        (name, cast(Mapping[object, object], state))
        for name, state in items
        if isinstance(name, str) and isinstance(state, Mapping)
    ]


def _parameters(state: Mapping[object, object]) -> Mapping[str, object]:
    for key in ("Arguments", "Parameters"):
        value = state.get(key)
        if isinstance(value, Mapping):
            return cast(Mapping[str, object], value)
    return {}


def _as_text(value: object) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, default=str, sort_keys=False)
    except (TypeError, ValueError, RecursionError):
        return "(a value that cannot be shown)"


def _line(state: object, name: object) -> int | None:
    line = line_of(state)
    return line if line is not None else line_of(name)


def _integration_task(
    owner: Mapping[object, object],
    key: str,
    map_path: str,
    level: _Level,
    in_loop: bool,
) -> AslTask | None:
    block = owner.get(key)
    if not isinstance(block, Mapping):
        return None
    block = cast(Mapping[object, object], block)
    resource = block.get("Resource")
    service, action, pattern, sdk = parse_integration(resource)
    return AslTask(
        path=f"{map_path}/{key}",
        name=key,
        resource=resource,
        parameters=_parameters(block),
        service=service,
        action=action,
        pattern=pattern,
        sdk=sdk,
        in_map=level.in_map,
        in_parallel=level.in_parallel,
        in_loop=in_loop,
        line=_line(block, None),
    )


def walk(definition: Mapping[str, object]) -> AslShape:
    """Walk every state, nested Map/Parallel included (iteratively; nesting deeper than
    MAX_DEPTH is not descended into). Never raises on malformed input (missing States, States
    not a mapping, Next pointing nowhere, non-string names): it skips what it cannot read.

    Tasks and maps come in document order, outer state before the states nested in it.
    """
    tasks: list[AslTask] = []
    maps: list[MapState] = []
    parallels: list[tuple[str, int]] = []
    loops: list[tuple[str, ...]] = []
    state_count = 0
    wait_in_loop = False
    truncated = False

    def open_level(
        value: object, prefix: str, in_map: bool, in_parallel: bool, outer: bool, depth: int
    ) -> _Level:
        states = _readable_states(value)
        on_loop, cycles = _level_loops(states, MAX_CYCLES - len(loops))
        loops.extend(cycles)
        return _Level(iter(states), prefix, in_map, in_parallel, on_loop, outer, depth)

    root = definition.get("States") if isinstance(definition, Mapping) else None
    stack: list[_Level] = [open_level(root, "", False, False, False, 0)]
    while stack:
        level = stack[-1]
        item = next(level.states, None)
        if item is None:
            stack.pop()
            continue
        if state_count >= MAX_STATES:
            truncated = True
            break
        name, state = item
        state_count += 1
        path = level.prefix + name
        in_loop = level.outer_loop or name in level.on_loop
        kind = state.get("Type")
        line = _line(state, name)

        if kind == "Task":
            resource = state.get("Resource")
            service, action, pattern, sdk = parse_integration(resource)
            tasks.append(
                AslTask(
                    path=path,
                    name=name,
                    resource=resource,
                    parameters=_parameters(state),
                    service=service,
                    action=action,
                    pattern=pattern,
                    sdk=sdk,
                    in_map=level.in_map,
                    in_parallel=level.in_parallel,
                    in_loop=in_loop,
                    line=line,
                )
            )
        elif kind == "Wait":
            wait_in_loop = wait_in_loop or in_loop
        elif kind == "Map":
            processor = state.get("ItemProcessor")
            if not isinstance(processor, Mapping):
                processor = state.get("Iterator")
            config = processor.get("ProcessorConfig") if isinstance(processor, Mapping) else None
            mode = config.get("Mode") if isinstance(config, Mapping) else None
            distributed = isinstance(mode, str) and mode.upper() == "DISTRIBUTED"
            execution = config.get("ExecutionType") if isinstance(config, Mapping) else None
            if not (distributed and isinstance(execution, str)):
                execution = None
            reader = _integration_task(state, "ItemReader", path, level, in_loop)
            if reader is not None:
                res = reader.resource
                items_from: str | None = (
                    f"ItemReader {res}" if isinstance(res, str) else "ItemReader"
                )
            elif "ItemsPath" in state:
                items_from = _as_text(state.get("ItemsPath"))
            elif "Items" in state:
                items_from = _as_text(state.get("Items"))
            else:
                items_from = None
            maps.append(
                MapState(
                    path=path,
                    distributed=distributed,
                    execution_type=execution,
                    items_from=items_from,
                    line=line,
                    reader=reader,
                    writer=_integration_task(state, "ResultWriter", path, level, in_loop),
                )
            )
            if isinstance(processor, Mapping):
                if level.depth + 1 > MAX_DEPTH:
                    truncated = True
                else:
                    stack.append(
                        open_level(
                            processor.get("States"),
                            f"{path}/",
                            True,
                            level.in_parallel,
                            in_loop,
                            level.depth + 1,
                        )
                    )
        elif kind == "Parallel":
            branches = state.get("Branches")
            if not isinstance(branches, list | tuple):
                branches = ()
            parallels.append((path, len(branches)))
            if branches and level.depth + 1 > MAX_DEPTH:
                truncated = True
            elif branches:
                opened = [
                    open_level(
                        branch.get("States"),
                        f"{path}/branch{number}/",
                        level.in_map,
                        True,
                        in_loop,
                        level.depth + 1,
                    )
                    for number, branch in enumerate(branches, start=1)
                    if isinstance(branch, Mapping)
                ]
                stack.extend(reversed(opened))

    return AslShape(
        tasks=tuple(tasks),
        maps=tuple(maps),
        parallels=tuple(parallels),
        loops=tuple(loops),
        state_count=state_count,
        wait_in_loop=wait_in_loop,
        truncated=truncated,
    )


# --------------------------------------------------------------------------- text


def parse_definition_text(text: str) -> Mapping[str, object]:
    """``json.loads`` a DefinitionString. Raises ValueError("line N: message") when the text is
    not JSON or its top level is not an object."""
    if not isinstance(text, str | bytes | bytearray):
        raise ValueError(f"line 1: a definition must be text, not {type(text).__name__}")
    try:
        value: object = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"line {err.lineno}: {err.msg} (column {err.colno})") from None
    except RecursionError:
        raise ValueError("line 1: the definition is nested too deeply") from None
    except ValueError as err:  # e.g. an integer with too many digits, or bad bytes
        raise ValueError(f"line 1: {err}") from None
    if not isinstance(value, dict):
        raw = text if isinstance(text, str) else bytes(text).decode("utf-8", "replace")
        stripped = raw.lstrip()
        line = raw[: len(raw) - len(stripped)].count("\n") + 1
        raise ValueError(
            f"line {line}: a state machine definition must be a JSON object, "
            f"not {type(value).__name__}"
        )
    return cast(dict[str, object], value)


# --------------------------------------------------------------------------- substitutions

# The same bound as load.cfn.Limits.max_definition_size (the SAM loader's DefinitionUri files).
MAX_DEFINITION = 2 * 1024 * 1024

_SUBST = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


def substitute_text(text: str, subs: Mapping[str, Any]) -> str:
    """``DefinitionSubstitutions`` in a ``DefinitionString``: values written as JSON string
    content, so a quote in one cannot break the definition; unknown names stay as written."""

    def one(m: re.Match[str]) -> str:
        value = subs.get(m.group(1))
        if isinstance(value, str):
            return json.dumps(value)[1:-1]
        if isinstance(value, (int, float, bool)):
            return str(value)
        return m.group(0)

    return _SUBST.sub(one, text) if subs else text


def substitute(value: Any, subs: Mapping[str, Any]) -> Any:
    """``DefinitionSubstitutions`` in a ``Definition`` object: a whole ``${Name}`` string takes
    the value itself, a string that embeds one takes its text."""
    if not subs:
        return value
    if isinstance(value, str):
        whole = _SUBST.fullmatch(value)
        if whole and whole.group(1) in subs:
            return subs[whole.group(1)]
        return _SUBST.sub(lambda m: str(subs.get(m.group(1), m.group(0))), value)
    if isinstance(value, Mapping):
        return {k: substitute(v, subs) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, subs) for v in value]
    return value
