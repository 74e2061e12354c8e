"""Resolved values: unknowns, resource references kept as tokens inside strings, and the
helpers that find, split and show them."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from iacscan.walk import walk

_OPEN, _SEP, _CLOSE = "\x01", "\x1f", "\x02"
_TOKEN = re.compile("\x01([^\x01\x02]*)\x02")
# An unknown part: its reason, then (for a parameter) the stack whose parameter it is.
_UNKNOWN = re.compile("\x01U\x1f([^\x01\x02\x1f]*)(?:\x1f([^\x01\x02]*))?\x02")


@dataclass(frozen=True, slots=True)
class Unknown:
    """A value that cannot be known from the templates in scope."""

    reason: str
    options: tuple[Any, ...] = ()
    # For a parameter with no value in scope: the stack it is a parameter of (a nested
    # stack's parameter bound to its parent's unknown one is the parent's), which names it.
    stack: str | None = None

    def __str__(self) -> str:
        return f"<unknown: {self.reason}>"


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference to a resource found in a resolved value."""

    stack: str
    logical_id: str
    attr: str  # "Ref" for !Ref


def ref_token(stack: str, logical_id: str, attr: str) -> str:
    return f"{_OPEN}R{_SEP}{stack}{_SEP}{logical_id}{_SEP}{attr}{_CLOSE}"


def pseudo_token(name: str) -> str:
    return f"{_OPEN}P{_SEP}{name}{_CLOSE}"


def unknown_token(reason: str, stack: str | None = None) -> str:
    reason = reason.replace(_SEP, " ")
    return f"{_OPEN}U{_SEP}{reason}{_SEP + stack if stack else ''}{_CLOSE}"


def as_token(value: Unknown) -> str:
    """An unknown as a part of a string (its reason and stack kept)."""
    return unknown_token(value.reason, value.stack)


def refs_in(value: Any) -> Iterator[Ref]:
    """Every resource reference in a resolved value (both branches of unknown conditions)."""
    for item in walk(value, children=unknown_options):
        if isinstance(item, str) and _OPEN in item:  # a token opens with _OPEN: most have none
            for m in _TOKEN.finditer(item):
                parts = m.group(1).split(_SEP)
                if parts[0] == "R" and len(parts) == 4:
                    yield Ref(parts[1], parts[2], parts[3])


def unknown_options(item: Any) -> tuple[Any, ...]:
    """The values an unknown could be (both branches of an unknown condition), for ``walk``."""
    return item.options if isinstance(item, Unknown) else ()


def has_tokens(text: str) -> bool:
    return _OPEN in text


def has_unknown(text: str) -> bool:
    """A string with a part that cannot be known (an unknown token)."""
    return _OPEN + "U" + _SEP in text


def unknown_reasons(text: str) -> list[str]:
    """The reasons of the unknown parts of a string, in order."""
    return [m.group(1) for m in _UNKNOWN.finditer(text)]


def unknown_parts(text: str) -> list[Unknown]:
    """The unknown parts of a string, in order, as unknowns (reason and stack)."""
    return [Unknown(m.group(1), stack=m.group(2) or None) for m in _UNKNOWN.finditer(text)]


def sub_unknowns(text: str, repl: Callable[[str], str]) -> str:
    """The string with each unknown part replaced by ``repl(reason)``; other tokens kept."""
    return _UNKNOWN.sub(lambda m: repl(m.group(1)), text)


# Pseudo parameters that place a resource (partition, region, account) but do not name it: an
# ARN whose only references are these names one concrete resource.
PLACE_PSEUDO = frozenset({"AWS::Partition", "AWS::Region", "AWS::AccountId", "AWS::URLSuffix"})


def with_placeholders(text: str, *, tokens: bool = False) -> tuple[str, Callable[[str], str]]:
    """``text`` with each token replaced by a placeholder free of ``:`` and ``/`` (an ARN with
    ``${AWS::Partition}`` in it splits at its colons like any other), and a function that puts
    the tokens back into any part of it: as ``display`` shows them, or (``tokens``) as they
    were."""
    shown: dict[str, str] = {}

    def hide(m: re.Match[str]) -> str:
        key = f"\x00{len(shown)}\x00"
        shown[key] = m.group(0) if tokens else display(m.group(0))
        return key

    flat = _TOKEN.sub(hide, text)

    def back(part: str) -> str:
        for key, value in shown.items():
            part = part.replace(key, value)
        return part

    return flat, back


def pseudo_only(text: str, names: Collection[str] | None = None) -> bool:
    """A string with tokens, every one of them a pseudo parameter (one of ``names`` if given):
    ``arn:${AWS::Partition}:sqs:${AWS::Region}:...``."""
    found = False

    def strip(m: re.Match[str]) -> str:
        nonlocal found
        parts = m.group(1).split(_SEP)
        if parts[0] == "P" and len(parts) == 2 and (names is None or parts[1] in names):
            found = True
            return ""
        return m.group(0)

    rest = _TOKEN.sub(strip, text)
    return found and _OPEN not in rest


def display(value: Any) -> str:
    """A resolved value as people read it: tokens back to ``${Name}`` / ``${Name.Attr}``."""
    if isinstance(value, Unknown):
        return str(value)
    if not isinstance(value, str):
        return json.dumps(value, default=str) if isinstance(value, (Mapping, list)) else str(value)

    def repl(m: re.Match[str]) -> str:
        parts = m.group(1).split(_SEP)
        if parts[0] == "R" and len(parts) == 4:
            return "${" + parts[2] + ("" if parts[3] == "Ref" else "." + parts[3]) + "}"
        if parts[0] == "P" and len(parts) == 2:
            return "${" + parts[1] + "}"
        return "${?}"

    return str(_TOKEN.sub(repl, value))


def split_tokens(text: str) -> list[str | Ref | None]:
    """Split a string into literal parts, resource refs, and None for pseudo/unknown parts."""
    out: list[str | Ref | None] = []
    pos = 0
    for m in _TOKEN.finditer(text):
        if m.start() > pos:
            out.append(text[pos : m.start()])
        parts = m.group(1).split(_SEP)
        out.append(
            Ref(parts[1], parts[2], parts[3]) if parts[0] == "R" and len(parts) == 4 else None
        )
        pos = m.end()
    if pos < len(text):
        out.append(text[pos:])
    return out
