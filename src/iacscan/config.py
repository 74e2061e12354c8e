"""Per-repository configuration: ``.iacscan.yaml`` or ``[tool.iacscan]`` in pyproject.toml,
found upward from the scanned path. Command-line flags override it."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import yaml

from iacscan.errors import DefinitionError

KEYS = {"definition", "fail-on", "ignore", "paths", "systems"}
FAIL_ON = {"never", "not-serverless", "warning", "error"}


def find_config(start: Path | None) -> dict[str, Any]:
    here = (start or Path.cwd()).resolve()
    folder = here if here.is_dir() else here.parent
    for candidate in [folder, *folder.parents]:
        yaml_file = candidate / ".iacscan.yaml"
        if yaml_file.is_file():
            return _check(_read_yaml(yaml_file), yaml_file)
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file():
            try:
                data = tomllib.loads(pyproject.read_text("utf-8"))
            except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError):
                continue
            section = data.get("tool", {}).get("iacscan")
            if isinstance(section, dict):
                return _check(section, pyproject)
        if (candidate / ".git").exists():
            break
    return {}


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text("utf-8")) or {}
    except (yaml.YAMLError, OSError, UnicodeDecodeError) as err:
        raise DefinitionError(
            f"cannot read the configuration: {err}", "fix the YAML", file=str(path)
        ) from None
    if not isinstance(data, dict):
        raise DefinitionError(
            "the configuration must be a mapping", "see the README", file=str(path)
        )
    return data


def _line_of(path: Path, key: str) -> int | None:
    try:
        for i, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if line.strip().startswith((f"{key}:", f"{key} =", f'"{key}"')):
                return i
    except OSError:
        return None
    return None


def _check(data: dict[str, Any], path: Path) -> dict[str, Any]:
    for key in data:
        if key not in KEYS:
            raise DefinitionError(
                f"unknown configuration key {key!r}",
                f"allowed keys: {', '.join(sorted(KEYS))}",
                file=str(path),
                line=_line_of(path, str(key)),
            )
    if "fail-on" in data and data["fail-on"] not in FAIL_ON:
        raise DefinitionError(
            f"fail-on must be one of {', '.join(sorted(FAIL_ON))}",
            "fix the value",
            file=str(path),
            line=_line_of(path, "fail-on"),
        )
    for key in ("paths", "systems"):
        if key in data and not (
            isinstance(data[key], list)
            and all(
                isinstance(v, str)
                or (key == "systems" and isinstance(v, list) and all(isinstance(g, str) for g in v))
                for v in data[key]
            )
        ):
            raise DefinitionError(
                f"{key} must be a list of paths or globs"
                + (" (a system: one glob, or a list of globs)" if key == "systems" else ""),
                "fix the value",
                file=str(path),
                line=_line_of(path, key),
            )
    if "ignore" in data and not isinstance(data["ignore"], list):
        raise DefinitionError(
            "ignore must be a list of rule ids",
            "fix the value",
            file=str(path),
            line=_line_of(path, "ignore"),
        )
    return data
