"""What a decider sees, and the small helpers every decider uses."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from iacscan.classify.assess import Assessment
from iacscan.classify.profile import Profile
from iacscan.model import Resource, Topology
from iacscan.resolve import Unknown, has_tokens
from iacscan.topology.result import StackView, TopologyFacts


@dataclass(frozen=True, slots=True)
class DeciderInput:
    ctx: StackView
    facts: TopologyFacts
    topology: Topology
    profile: Profile
    stack: str
    res: Resource
    base: Mapping[str, Any]


Decider = Callable[[DeciderInput], Assessment | None]


def assessed(
    d: DeciderInput,
    level: str,
    why: str,
    *,
    idle: str | None = None,
    line: int | None = None,
    default: bool = False,
    **extra: Any,
) -> Assessment:
    return Assessment(
        **d.base,
        type=d.res.type,
        level=level,
        idle_kind=idle,
        why=why,
        line=line or d.res.line,
        default=default,
        **extra,
    )


def known_text(d: DeciderInput, value: Any) -> str | None:
    r = d.ctx.resolve(d.stack, value)
    if isinstance(r, Unknown) or (isinstance(r, str) and has_tokens(r)):
        return None
    return None if r is None else str(r)


def as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):  # .inf, .nan, a template's garbage
        return None
