"""The usage profile: what arrives at the ingress and the few facts a template cannot know.

A YAML file (``iacscan-usage.yaml``, format in docs/cost.md) and ``--rate NODE=RATE`` flags. A
rate is ``N`` (per second) or ``N/s``, ``N/min``, ``N/h``, ``N/day``, ``N/month`` (730 hours,
as AWS bills). Every fact the price needs and no one gave comes from ``DEFAULTS``, and the report
lists it as an assumption.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iacscan.errors import DefinitionError, UsageError

SECONDS_PER_MONTH = 730 * 3600
USAGE_FILE = "iacscan-usage.yaml"
MAX_USAGE_BYTES = 1024 * 1024
_PER = {
    "": 1.0,
    "s": 1.0,
    "sec": 1.0,
    "second": 1.0,
    "min": 60.0,
    "minute": 60.0,
    "h": 3600.0,
    "hour": 3600.0,
    "day": 86400.0,
    "month": float(SECONDS_PER_MONTH),
}
_RATE = re.compile(
    r"^\s*(?P<n>[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)\s*(?:/\s*(?P<per>[a-z]+))?\s*$"
)

# Documented defaults (docs/cost.md): (value, why). Each use is reported as an assumption.
DEFAULTS: Mapping[str, tuple[float, str]] = {
    "duration_ms": (100.0, "a Lambda invocation takes 100 ms (give duration_ms)"),
    "express_duration_ms": (1000.0, "an Express execution takes 1 s (give duration_ms)"),
    "express_memory_mb": (64.0, "an Express execution uses one 64 MB block (give memory_mb)"),
    "map_items": (10.0, "a Map state iterates over 10 items (give map_items)"),
    "loop_iterations": (1.0, "a loop in a workflow runs once per execution (give loop_iterations)"),
    "run_seconds": (
        60.0,
        "a task started per event runs 60 s, Fargate's minimum (give run_seconds)",
    ),
    "seconds_per_event": (1.0, "one event keeps a task busy for 1 s (give seconds_per_event)"),
    "events_per_task": (1.0, "a task handles one event at a time (give events_per_task)"),
    "target_utilisation": (0.7, "autoscaling keeps tasks 70% busy (give target_utilisation)"),
    "per_invocation": (1.0, "one message, request or object per invocation (give edges:)"),
    "storage_gb": (0.0, "data storage is not priced (give storage_gb)"),
    "gb_per_month": (0.0, "no data processed by the gateway (give gb_per_month)"),
    "item_kb": (1.0, "items and records are 1 KB (give item_kb)"),
    "lcu": (0.0, "load balancer capacity units: new connections / 25 per second"),
}

FIELDS = frozenset(
    {
        "duration_ms",
        "memory_mb",
        "map_items",
        "loop_iterations",
        "run_seconds",
        "seconds_per_event",
        "events_per_task",
        "target_utilisation",
        "storage_gb",
        "gb_per_month",
        "item_kb",
        "instances",
    }
)


@dataclass(frozen=True, slots=True)
class Fact:
    value: Any
    where: str  # "usage file u.yaml:12", "--rate"


@dataclass(slots=True)
class Usage:
    """The parsed profile. ``rates`` in events per second."""

    rates: dict[str, Fact] = field(default_factory=dict)
    resources: dict[str, dict[str, Fact]] = field(default_factory=dict)
    edges: dict[tuple[str, str], Fact] = field(default_factory=dict)
    origin: str = ""
    notes: list[str] = field(default_factory=list)

    def fact(self, node: str, name: str) -> Fact | None:
        facts = self.resources.get(node)
        return facts.get(name) if facts is not None else None

    def names(self) -> set[str]:
        return set(self.rates) | set(self.resources) | {n for e in self.edges for n in e}


def parse_rate(text: str) -> float:
    """Events per second; ValueError with a sentence when the text is not a rate."""
    m = _RATE.match(str(text).lower())
    if m is None or (m.group("per") or "") not in _PER or not math.isfinite(float(m.group("n"))):
        raise ValueError(
            f"{text!r} is not a rate: write N/s, N/min, N/h, N/day or N/month (e.g. 2000/s)"
        )
    return float(m.group("n")) / _PER[m.group("per") or ""]


def parse_rate_flags(flags: Sequence[str], usage: Usage) -> None:
    """``--rate NODE=RATE`` (repeatable): wins over the file's rate for that node."""
    for flag in flags:
        node, sep, rate = flag.partition("=")
        if not sep or not node.strip():
            raise UsageError(f"--rate {flag}: expected NODE=RATE", "e.g. --rate StartRule=2000/s")
        try:
            usage.rates[node.strip()] = Fact(parse_rate(rate), f"--rate {flag}")
        except ValueError as err:
            raise UsageError(f"--rate {flag}: {err}", "e.g. --rate StartRule=2000/s") from None


# --------------------------------------------------------------------------- the file


def _lines(
    node: Any, path: tuple[str, ...], out: dict[tuple[str, ...], int], seen: set[int] | None = None
) -> None:
    """Line of every mapping key, by its path (for errors and assumptions that name a line).
    Each node is walked once: aliases that repeat a mapping cannot make the walk explode."""
    import yaml

    seen = set() if seen is None else seen
    if isinstance(node, yaml.MappingNode) and id(node) not in seen and len(path) < 4:
        seen.add(id(node))
        for key, value in node.value:
            k = (*path, str(key.value))
            out[k] = key.start_mark.line + 1
            _lines(value, k, out, seen)


def _number(value: object, where: str, what: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
    ):
        raise DefinitionError(
            f"{where}: {what} must be a number >= 0, not {value!r}", "see docs/cost.md"
        )
    return float(value)


def load_usage(path: str) -> Usage:
    """The usage file at ``path``; a clear error naming file and line when it is malformed."""
    import yaml

    try:
        if Path(path).stat().st_size > MAX_USAGE_BYTES:
            raise DefinitionError(
                f"usage file is over {MAX_USAGE_BYTES:,} bytes",
                "a usage profile is small",
                file=path,
            )
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        why = getattr(err, "strerror", None) or err
        raise DefinitionError(
            f"cannot read usage file {path}: {why}", "check the path", file=path
        ) from None
    try:
        data = yaml.safe_load(text)
        lines: dict[tuple[str, ...], int] = {}
        _lines(yaml.compose(text, Loader=yaml.SafeLoader), (), lines)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise DefinitionError(
            f"usage file is not valid YAML: {getattr(err, 'problem', None) or err}",
            "fix the file (format: docs/cost.md)",
            file=path,
            line=mark.line + 1 if mark is not None else None,
        ) from None
    return parse_usage(data or {}, path, lines)


def parse_usage(data: object, origin: str, lines: Mapping[tuple[str, ...], int]) -> Usage:
    def at(*key: str) -> str:
        line = lines.get(key)
        return f"{origin}:{line}" if line else origin

    def fail(message: str, *key: str) -> DefinitionError:
        line = lines.get(key)
        return DefinitionError(message, "see docs/cost.md for the format", file=origin, line=line)

    if not isinstance(data, Mapping):
        raise fail("a usage file is a mapping with rates:, resources: and edges:")
    unknown = set(data) - {"version", "rates", "resources", "edges", "notes"}
    if unknown:
        key = sorted(map(str, unknown))[0]
        raise fail(f"unknown key {key!r} (expected rates, resources, edges, notes)", key)
    usage = Usage(origin=origin)
    rates = data.get("rates") or {}
    if not isinstance(rates, Mapping):
        raise fail("rates: must map node ids to rates", "rates")
    for node, rate in rates.items():
        try:
            usage.rates[str(node)] = Fact(
                parse_rate(str(rate)), f"usage file {at('rates', str(node))}"
            )
        except ValueError as err:
            raise fail(f"rates.{node}: {err}", "rates", str(node)) from None
    resources = data.get("resources") or {}
    if not isinstance(resources, Mapping):
        raise fail("resources: must map node ids to facts", "resources")
    for node, facts in resources.items():
        if not isinstance(facts, Mapping):
            raise fail(f"resources.{node}: must be a mapping of facts", "resources", str(node))
        parsed: dict[str, Fact] = {}
        for name, value in facts.items():
            fkey = ("resources", str(node), str(name))
            if name not in FIELDS:
                raise fail(
                    f"resources.{node}.{name}: unknown fact (known: {', '.join(sorted(FIELDS))})",
                    *fkey,
                )
            where = f"{origin}:{lines.get(fkey)}" if lines.get(fkey) else origin
            if name == "map_items" and isinstance(value, Mapping):
                parsed[name] = Fact(
                    {str(k): _number(v, where, f"map_items.{k}") for k, v in value.items()},
                    f"usage file {where}",
                )
            else:
                parsed[name] = Fact(_number(value, where, f"{node}.{name}"), f"usage file {where}")
        usage.resources[str(node)] = parsed
    edges = data.get("edges") or {}
    if not isinstance(edges, Mapping):
        raise fail("edges: must map 'SOURCE -> TARGET' to a count per invocation", "edges")
    for name, value in edges.items():
        source, sep, target = str(name).partition("->")
        if not sep or not source.strip() or not target.strip():
            raise fail(f"edges.{name}: expected 'SOURCE -> TARGET'", "edges", str(name))
        where = at("edges", str(name))
        usage.edges[(source.strip(), target.strip())] = Fact(
            _number(value, where, f"edges.{name}"), f"usage file {where}"
        )
    notes = data.get("notes") or []
    if isinstance(notes, list):
        usage.notes = [str(n) for n in notes]
    return usage


def find_usage_file(paths: Sequence[str]) -> str | None:
    """``iacscan-usage.yaml`` beside the first scanned path (in it, for a folder), if any."""
    for p in paths[:1]:
        if p.startswith("stack:") or p == "-":
            return None
        base = Path(p)
        folder = base if base.is_dir() else base.parent
        candidate = folder / USAGE_FILE
        if candidate.is_file():
            return str(candidate)
    return None
