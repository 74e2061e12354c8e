"""Per-repository configuration: ``.iacscan.yaml`` or ``[tool.iacscan]`` in pyproject.toml,
found upward from the scanned path. Command-line flags override it.

In a pull request check the work tree is the pull request's: ``find_config(start, ref=BASE)``
reads the configuration (and a definition file it names) as it is at the base revision, so a
pull request cannot switch its own gate off (``diff --base-ref`` and ``--config-ref``).
"""

from __future__ import annotations

import atexit
import os
import shutil
import stat
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from iacscan.classify.profile import BUILTIN
from iacscan.errors import ConfigError
from iacscan.model import FAIL_ON_VALUES

KEYS = {"definition", "fail-on", "ignore", "paths", "systems"}
FAIL_ON = frozenset(FAIL_ON_VALUES)
MAX_CONFIG_BYTES = 256 * 1024
MAX_ALIASES = 100
BASE_DEFINITION = "_base_definition"  # the name a base configuration gave its definition file

Reader = Callable[[Path], bytes | None]


def find_config(start: Path | None, ref: str | None = None) -> dict[str, Any]:
    """The configuration found upward from ``start``: in the work tree, or at git ``ref``."""
    try:
        here = (start or Path.cwd()).resolve()
        folder = here if here.is_dir() else here.parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent  # a path the change adds or deletes, stack:NAME
    except (OSError, RuntimeError, ValueError):  # a name too long, a NUL, a symlink loop
        folder = Path.cwd().resolve()
    top: Path | None = None
    if ref is None:
        read: Reader = _read_work_tree
    else:
        from iacscan.load.gitrev import read_at, toplevel_of

        top = toplevel_of(folder)
        if top is None:
            raise ConfigError(
                f"cannot read the configuration at {ref}: {folder} is not in a git repository",
                "drop --config-ref, or scan paths inside the repository",
            )
        git_top = top

        def read(path: Path) -> bytes | None:
            return read_at(ref, path, git_top, MAX_CONFIG_BYTES)

    for candidate in [folder, *folder.parents]:
        yaml_file = candidate / ".iacscan.yaml"
        raw = read(yaml_file)
        if raw is not None:
            text = _text(raw, yaml_file)
            data = _check(_parse_yaml(text, yaml_file), yaml_file, text)
            return _definition_at(data, ref, top) if ref is not None else data
        pyproject = candidate / "pyproject.toml"
        raw = read(pyproject)
        if raw is not None:
            try:
                parsed = tomllib.loads(raw.decode("utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError):
                parsed = {}
            tool = parsed.get("tool")
            section = tool.get("iacscan") if isinstance(tool, dict) else None
            if isinstance(section, dict):
                data = _check(section, pyproject, raw.decode("utf-8"))
                return _definition_at(data, ref, top) if ref is not None else data
        if candidate == top or (ref is None and (candidate / ".git").exists()):
            break
    return {}


def _read_work_tree(path: Path) -> bytes | None:
    """A regular file's bytes; None for what is not there or not a regular file (a FIFO or a
    device would hang or never end)."""
    try:
        info = path.stat()
    except (OSError, ValueError):
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    if info.st_size > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"the configuration file is {info.st_size:,} bytes, over {MAX_CONFIG_BYTES:,}",
            "a configuration is a few lines: remove what does not belong in it",
            file=str(path),
        )
    try:
        with path.open("rb") as handle:
            return handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as err:
        raise ConfigError(
            f"cannot read the configuration: {err.strerror or err}",
            "check the file's permissions",
            file=str(path),
        ) from None


def _text(raw: bytes, path: Path) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ConfigError(
            f"the configuration is not UTF-8 text (byte {err.start})",
            "save it as UTF-8",
            file=str(path),
        ) from None


def _parse_yaml(text: str, path: Path) -> dict[str, Any]:
    try:
        aliases = sum(isinstance(e, yaml.AliasEvent) for e in yaml.parse(text))
        if aliases > MAX_ALIASES:
            raise ConfigError(
                f"the configuration uses {aliases} YAML aliases (over {MAX_ALIASES})",
                "a configuration needs no aliases: write the values out",
                file=str(path),
            )
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        problem = getattr(err, "problem", None) or "invalid YAML"
        raise ConfigError(
            f"cannot read the configuration: {problem}",
            "fix the YAML",
            file=str(path),
            line=mark.line + 1 if mark is not None else None,
        ) from None
    if not isinstance(data, dict):
        raise ConfigError("the configuration must be a mapping", "see the README", file=str(path))
    return data


def _line_of(text: str, key: str) -> int | None:
    for i, line in enumerate(text.splitlines(), 1):
        if line.strip().startswith((f"{key}:", f"{key} =", f'"{key}"')):
            return i
    return None


def _check(data: dict[str, Any], path: Path, text: str) -> dict[str, Any]:
    def bad(message: str, hint: str, key: str) -> ConfigError:
        return ConfigError(message, hint, file=str(path), line=_line_of(text, key))

    for key in data:
        if key not in KEYS:
            shown = key if isinstance(key, str) else repr(key)
            raise bad(
                f"unknown configuration key {shown!r}",
                f"allowed keys: {', '.join(sorted(KEYS))}",
                str(key),
            )
    if "fail-on" in data and (
        not isinstance(data["fail-on"], str) or data["fail-on"] not in FAIL_ON
    ):
        raise bad(
            f"fail-on must be one of {', '.join(sorted(FAIL_ON))}", "fix the value", "fail-on"
        )
    ignore = data.get("ignore", [])
    if not isinstance(ignore, list) or not all(isinstance(r, str) for r in ignore):
        raise bad("ignore must be a list of rule ids", "fix the value", "ignore")
    if "definition" in data and (not isinstance(data["definition"], str) or not data["definition"]):
        raise bad(
            "definition must be a profile name or the path of a definition file",
            f"use one of {', '.join(BUILTIN)}, or a path",
            "definition",
        )
    paths = data.get("paths", [])
    if not isinstance(paths, (list, str)) or (
        isinstance(paths, list) and not all(isinstance(p, str) for p in paths)
    ):
        raise bad("paths must be a list of paths", "fix the value", "paths")
    systems = data.get("systems", [])
    if not isinstance(systems, list) or not all(
        isinstance(v, str) or (isinstance(v, list) and all(isinstance(g, str) for g in v))
        for v in systems
    ):
        raise bad(
            "systems must be a list of systems, each one glob or a list of globs",
            "fix the value (see the README, 'Several systems')",
            "systems",
        )
    return data


_TEMP: list[str] = []


def _definition_at(data: dict[str, Any], ref: str | None, top: Path | None) -> dict[str, Any]:
    """A definition file the base configuration names is read at the base revision too."""
    name = data.get("definition")
    if ref is None or top is None or not isinstance(name, str) or name in BUILTIN:
        return data
    from iacscan.load.gitrev import read_at

    raw = read_at(ref, Path(name), top, 4 * 1024 * 1024)
    if raw is None:
        return data  # not a file at the base: load_profile says what is wrong with the name
    if not _TEMP:
        _TEMP.append(tempfile.mkdtemp(prefix="iacscan-config-"))
        atexit.register(shutil.rmtree, _TEMP[0], True)
    copy = os.path.join(_TEMP[0], f"base-{len(os.listdir(_TEMP[0]))}-{Path(name).name}")
    Path(copy).write_bytes(raw)
    return {**data, "definition": copy, BASE_DEFINITION: name}


def describe_difference(base: dict[str, Any], head: dict[str, Any]) -> str:
    """A sentence naming what the head's configuration changes (empty when nothing)."""
    named = {**base, "definition": base.get(BASE_DEFINITION, base.get("definition"))}
    keys = sorted(k for k in KEYS if named.get(k) != head.get(k))
    if not keys:
        return ""
    return (
        f"The pull request changes the iacscan configuration ({', '.join(keys)}); the base "
        "revision's configuration was used, the change applies once merged"
    )
