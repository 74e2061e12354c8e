"""action.yml and its install lock: pinned actions on Node 24 majors, a hashed install cached by
the action's version, and outputs that match what the runner writes."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
LOCK = (ROOT / "action-requirements.txt").read_text()
# actions/setup-python v6 and actions/cache v5 are the first majors on Node 24
NODE24_MAJORS = {"actions/setup-python": 6, "actions/cache": 5}


def _steps() -> list[dict[str, object]]:
    steps: list[dict[str, object]] = ACTION["runs"]["steps"]
    return steps


def test_used_actions_are_pinned_by_sha_on_node24_majors() -> None:
    uses = {str(s["uses"]).split("@")[0]: s for s in _steps() if "uses" in s}
    assert set(uses) == set(NODE24_MAJORS)
    text = (ROOT / "action.yml").read_text()
    for name, major in NODE24_MAJORS.items():
        ref = str(uses[name]["uses"]).split("@")[1]
        assert re.fullmatch(r"[0-9a-f]{40}", ref), name
        version = re.search(rf"# {re.escape(name)} v(\d+)\.\d+\.\d+ \(Node 24\)\n.*{ref}", text)
        assert version and int(version.group(1)) >= major, name


def test_the_install_uses_the_hashed_lock_and_is_cached_by_action_version() -> None:
    install = next(s for s in _steps() if s.get("id") == "install")
    script = str(install["run"])
    assert "--require-hashes" in script and "action-requirements.txt" in script
    assert "--no-deps" in script and "--only-binary :all:" in script
    assert not re.search(r"pip install [^\n]*IACSCAN_ACTION_PATH\"\s*$", script, re.M)
    cache = next(s for s in _steps() if s.get("id") == "cache")
    assert cache["with"] == {  # type: ignore[comparison-overlap]
        "path": "${{ runner.temp }}/iacscan-venv",
        "key": "${{ steps.key.outputs.key }}",
    }
    key = str(next(s for s in _steps() if s.get("id") == "key")["run"])
    assert "IACSCAN_ACTION_REF" in key and "action-requirements.txt" in key
    assert "IACSCAN_PYTHON_VERSION" in key


def test_the_lock_pins_every_dependency_with_hashes() -> None:
    pinned: dict[str, list[Version]] = {}
    for block in re.split(r"\n(?=[a-z0-9])", LOCK.split("\n", 3)[3]):
        head = block.split("\\", 1)[0].strip()
        if not head or head.startswith("#"):
            continue
        name, version = head.split(";")[0].strip().split("==")
        assert "--hash=sha256:" in block, name
        pinned.setdefault(str(canonicalize_name(name)), []).append(Version(version))
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for dependency in project["dependencies"]:
        req = Requirement(dependency)
        versions = pinned.get(str(canonicalize_name(req.name)))
        assert versions, f"{req.name} is not in action-requirements.txt (make action-lock)"
        assert all(v in req.specifier for v in versions), (req, versions)


def test_every_output_the_runner_writes_is_declared() -> None:
    from test_github import OUTPUTS

    assert set(ACTION["outputs"]) == OUTPUTS
