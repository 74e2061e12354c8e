"""What topology extraction hands to classification: a frozen, typed result.

Classification reads the topology, the typed facts extractors learned, and a read-only view of
the stacks and the resolver. It never sees the build state (the graph builder, the error sink,
the extractors' working sets); import-linter keeps it that way.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from iacscan.model import InputError, Resource, Template, Topology
from iacscan.resolve import Ref
from iacscan.topology.asl import AslShape
from iacscan.topology.ecs_capacity import EcsCapacity
from iacscan.topology.stack_index import Key, StackIndex

__all__ = ["Key", "StackView", "TaskLaunch", "TopologyFacts", "TopologyResult"]


@dataclass(frozen=True, slots=True)
class TaskLaunch:
    """How one starter runs a task definition (RunTask's own ``LaunchType`` or
    ``CapacityProviderStrategy``, as a rule target, a schedule, a pipe or a state machine gives
    them; both None when the starter does not say: a function's code, or nothing given)."""

    starter: str  # node id
    stack: str  # where the values below resolve
    launch_type: Any  # the LaunchType value, unresolved
    strategy: Any  # the CapacityProviderStrategy value, unresolved
    what: str  # the starter, as people read it
    file: str
    line: int | None


@dataclass(frozen=True, slots=True)
class TopologyFacts:
    """Per-resource facts extraction learned and classification decides with."""

    # Task definitions started per event (RunTask from a function, rule, pipe, state machine).
    started_tasks: frozenset[Key]
    # Where ECS work runs: services of a task definition, EC2 capacity behind clusters.
    ecs: EcsCapacity
    # State machine node id -> the shape of its definition (absent: definition not readable).
    workflow_shapes: Mapping[str, AslShape]
    # Task definition -> how each starter runs it (the launch type it asks for, when it does).
    task_launches: Mapping[Key, tuple[TaskLaunch, ...]] = field(default_factory=dict)
    # The same for task definitions from outside the scan (ext: node id -> its starters).
    outside_launches: Mapping[str, tuple[TaskLaunch, ...]] = field(default_factory=dict)


class StackView:
    """Read-only access to the stacks in scope and the resolver, with node ids mapped back."""

    __slots__ = ("_index", "key_of")

    def __init__(self, index: StackIndex, key_of: Mapping[str, Key]) -> None:
        self._index = index
        self.key_of: Mapping[str, Key] = MappingProxyType(dict(key_of))

    @property
    def templates(self) -> Mapping[str, Template]:
        return self._index.templates

    @property
    def disabled(self) -> frozenset[Key]:
        return self._index.disabled

    def node_id(self, stack: str, lid: str) -> str:
        return self._index.node_id(stack, lid)

    def resource(self, key: Key) -> Resource | None:
        return self._index.resource(key)

    def resource_of(self, node_id: str) -> tuple[Key, Resource] | None:
        """The resource behind a node (None for external nodes)."""
        key = self.key_of.get(node_id)
        res = self._index.resource(key) if key is not None else None
        return (key, res) if key is not None and res is not None else None

    def resources(self, *types: str) -> Iterator[tuple[str, Resource]]:
        return self._index.resources(*types)

    def canonical(self, key: Key) -> Key:
        return self._index.canonical(key)

    def resolve(self, stack: str, value: Any) -> Any:
        return self._index.resolve(stack, value)

    def refs(self, stack: str, value: Any) -> Iterator[Ref]:
        return self._index.refs(stack, value)

    def text(self, stack: str, value: Any) -> str:
        return self._index.text(stack, value)

    @property
    def undefined(self) -> frozenset[tuple[str, str]]:
        """References met so far that name nothing their template defines (file, reference)."""
        return frozenset(self._index.scope.undefined)


@dataclass(frozen=True, slots=True)
class TopologyResult:
    topology: Topology
    view: StackView
    facts: TopologyFacts
    failures: tuple[Exception, ...]
    # Inputs (or parts of them) that could not be analysed: the Analysis' errors.
    input_errors: tuple[InputError, ...] = ()
    notes: tuple[str, ...] = ()
