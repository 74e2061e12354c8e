"""Definition profiles: data files, shipped in the package or given as a path (``--definition``).

The engine knows no profile by name: a profile is its passing levels, its ``ecs_on_ec2`` switch
and its sources.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from iacscan.errors import DefinitionError, UsageError

BUILTIN = ("johnston-2023", "johnston-2017", "aws", "cncf")
DEFAULT = "johnston-2023"
_LEVELS = {"serverless", "serverless-with-floor", "not-serverless"}
_KEYS = {"id", "title", "passes", "ecs_on_ec2", "sources", "description"}
_SOURCE_KEYS = {"author", "title", "date", "url", "quote"}
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: 10x faster than pure Python


@dataclass(frozen=True, slots=True)
class Source:
    author: str
    title: str
    date: str
    url: str
    quote: str


@dataclass(frozen=True, slots=True)
class Profile:
    id: str
    title: str
    passes: frozenset[str]
    ecs_on_ec2: str  # "warn" | "fail"
    sources: tuple[Source, ...]
    file: str


def load_profile(name_or_path: str) -> Profile:
    """A built-in profile by name, or a custom definition file by path."""
    if name_or_path in BUILTIN:
        text = (
            resources.files("iacscan") / "classify" / "profiles" / f"{name_or_path}.yaml"
        ).read_text("utf-8")
        return parse_profile(text, f"<builtin>/{name_or_path}.yaml")
    path = Path(name_or_path)
    if not path.is_file():
        if path.suffix in (".yaml", ".yml", ".json") or "/" in name_or_path:
            raise UsageError(
                f"definition file {name_or_path} not found",
                f"check the path, or use one of {', '.join(BUILTIN)}",
            )
        raise UsageError(
            f"unknown definition {name_or_path!r}",
            f"use one of {', '.join(BUILTIN)}, or the path of a definition file",
        )
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise DefinitionError(
            f"cannot read the definition file: {err}", "check the path", file=str(path)
        ) from None
    return parse_profile(text, str(path))


def all_profiles() -> tuple[Profile, ...]:
    return tuple(load_profile(name) for name in BUILTIN)


def parse_profile(text: str, file: str) -> Profile:
    try:
        nodes = yaml.compose(text, Loader=_LOADER)
        data = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise DefinitionError(
            f"invalid YAML: {getattr(err, 'problem', err)}",
            "fix the syntax",
            file=file,
            line=mark.line + 1 if mark else None,
        ) from None
    lines = _key_lines(nodes)

    def fail(key: str, message: str, hint: str) -> DefinitionError:
        return DefinitionError(f"{key}: {message}", hint, file=file, line=lines.get(key))

    if not isinstance(data, Mapping):
        raise DefinitionError(
            "a definition file is a mapping", "see `iacscan definitions`", file=file
        )
    for key in data:
        if key not in _KEYS:
            raise fail(str(key), "unknown key", f"allowed keys: {', '.join(sorted(_KEYS))}")
    for key in ("id", "title", "passes", "ecs_on_ec2"):
        if key not in data:
            raise DefinitionError(f"missing key {key!r}", "add it", file=file)
    passes = data["passes"]
    if not isinstance(passes, list) or not passes:
        raise fail(
            "passes", "must be a list of levels", f"choose from {', '.join(sorted(_LEVELS))}"
        )
    unknown = [str(p) for p in passes if p not in _LEVELS]
    if unknown:
        raise fail(
            "passes",
            f"unknown level {', '.join(unknown)}",
            f"choose from {', '.join(sorted(_LEVELS))}",
        )
    if str(data["id"]) in BUILTIN and not file.startswith("<builtin>/"):
        raise fail(
            "id",
            f"{data['id']} is a built-in definition",
            "give your definition its own id, so that reports cannot be mistaken for the built-in one",
        )
    if data["ecs_on_ec2"] not in ("warn", "fail"):
        raise fail(
            "ecs_on_ec2", "must be warn or fail", "warn: ECS on EC2 capacity passes with a warning"
        )
    sources = []
    for item in data.get("sources") or []:
        if not isinstance(item, Mapping) or not set(item) <= _SOURCE_KEYS:
            raise fail(
                "sources",
                "each source is a mapping of author, title, date, url, quote",
                "remove unknown keys",
            )
        sources.append(Source(**{k: str(item.get(k, "")) for k in _SOURCE_KEYS}))
    return Profile(
        id=str(data["id"]),
        title=str(data["title"]),
        passes=frozenset(passes),
        ecs_on_ec2=str(data["ecs_on_ec2"]),
        sources=tuple(sources),
        file=file,
    )


def _key_lines(node: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key, _ in node.value:
            out[str(key.value)] = key.start_mark.line + 1
    return out
