"""A side of a diff that cannot read a template: what that template holds is not analysed on that
side, so it is neither removed nor added, and every renderer says so alike."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from scan_helpers import run_cli

T = Path(__file__).resolve().parent.parent / "fixtures" / "templates"
ISLAND = T / "extract-apigw-rest.yaml"  # an API, two functions, a queue, a table
FARGATE = T / "ecs-fargate-always-on.yaml"  # not serverless: a fixed Fargate fleet
ISLAND_NODES = [
    "ListOrdersFunction",
    "OrdersApi",
    "OrdersQueue",
    "OrdersTable",
    "ProcessOrderFunction",
]
BROKEN = "Resources:\n  Table: [oops\n"


def _diff(cwd: Path, *args: str) -> tuple[int, dict[str, Any]]:
    p = run_cli("diff", *args, "--format", "json", cwd=cwd)
    return p.returncode, json.loads(p.stdout)


def _text(cwd: Path, *args: str, fmt: str = "text") -> str:
    return run_cli("diff", *args, "--format", fmt, "--no-color", cwd=cwd).stdout


def _nothing_compared(changes: dict[str, Any]) -> None:
    assert changes["nodes"]["added"] == [] and changes["nodes"]["removed"] == []
    assert changes["nodes"]["changed"] == []
    assert changes["edges"] == {"added": [], "removed": []}
    assert changes["boundary"] == {
        "ingress": {"added": [], "removed": []},
        "egress": {"added": [], "removed": []},
    }
    assert changes["findings"] == {"new": [], "fixed": []}


@pytest.mark.parametrize("head_name", ["template.yaml", "after.yaml"])
def test_a_side_that_reads_nothing_removes_nothing(tmp_path: Path, head_name: str) -> None:
    (tmp_path / "base").mkdir()
    (tmp_path / "head").mkdir()
    shutil.copy(ISLAND, tmp_path / "base" / "template.yaml")
    (tmp_path / "head" / head_name).write_text(BROKEN)
    args = ("base/template.yaml", f"head/{head_name}")
    code, data = _diff(tmp_path, *args)
    assert code == 3
    changes = data["changes"]
    _nothing_compared(changes)
    assert changes["nodes"]["not_analysed"] == ISLAND_NODES
    assert not any(s.startswith(("Removed", "Edges", "Boundary changed")) for s in data["summary"])
    text = _text(tmp_path, *args)
    assert "Removed:" not in text and "removed {" not in text and "- OrdersApi" not in text
    assert "Not analysed" in text
    # and the other way round: a base that cannot be read adds nothing
    code, data = _diff(tmp_path, f"head/{head_name}", "base/template.yaml")
    assert code == 3
    _nothing_compared(data["changes"])
    assert data["changes"]["nodes"]["not_analysed"] == ISLAND_NODES


def _folders(tmp_path: Path) -> None:
    for side in ("base", "head"):
        (tmp_path / side).mkdir()
        shutil.copy(ISLAND, tmp_path / side / "island.yaml")
        shutil.copy(FARGATE, tmp_path / side / "fargate.yml")
    (tmp_path / "head" / "island.yaml").write_text(BROKEN)


def test_a_template_one_side_cannot_read_is_not_analysed_not_removed(tmp_path: Path) -> None:
    _folders(tmp_path)
    code, data = _diff(tmp_path, "base", "head")
    assert code == 3
    changes = data["changes"]
    _nothing_compared(changes)
    assert changes["nodes"]["not_analysed"] == [f"island/{n}" for n in ISLAND_NODES]
    # the unread template's node is named alike on both sides: by its stack, not by the path
    # of the side's checkout
    ids = [n["id"] for side in ("before", "after") for n in data[side]["topology"]["nodes"]]
    assert not [i for i in ids if "head" in i or "base" in i], ids
    assert "ext:island.yaml" in ids
    [island] = [s for s in changes["systems"] if s["name"] == "island"]
    assert island["not_analysed"] is True and island["after"] is None
    summary = "\n".join(data["summary"])
    assert "System island not analysed on the after side" in summary, summary
    assert "Removed:" not in summary and "Added:" not in summary and "Edges:" not in summary
    assert "System island removed" not in summary and "ingress removed" not in summary
    assert "Not analysed (the after side could not read their template" in summary, summary
    markdown = _text(tmp_path, "base", "head", fmt="markdown")
    assert "➖ removed" not in markdown and "➕ added" not in markdown
    assert "System island removed" not in markdown and "(not analysed)" in markdown
    text = _text(tmp_path, "base", "head")
    assert "Removed:" not in text and "- island/OrdersApi" not in text


def test_a_template_neither_side_can_read_is_no_change(tmp_path: Path) -> None:
    _folders(tmp_path)
    (tmp_path / "base" / "island.yaml").write_text(BROKEN + "\n# another line\n")
    code, data = _diff(tmp_path, "base", "head")
    assert code == 3
    _nothing_compared(data["changes"])
    assert data["changes"]["nodes"]["not_analysed"] == []


def test_a_nested_template_one_side_cannot_read_is_not_analysed(tmp_path: Path) -> None:
    parent = (
        "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n"
        "  Island:\n    Type: AWS::CloudFormation::Stack\n"
        "    Properties: {TemplateURL: island.yaml}\n"
    )
    for side in ("base", "head"):
        (tmp_path / side).mkdir()
        (tmp_path / side / "parent.yaml").write_text(parent)
        shutil.copy(ISLAND, tmp_path / side / "island.yaml")
    (tmp_path / "head" / "island.yaml").write_text(BROKEN)
    code, data = _diff(tmp_path, "base/parent.yaml", "head/parent.yaml")
    assert code == 3
    _nothing_compared(data["changes"])
    assert data["changes"]["nodes"]["not_analysed"] == [
        f"parent/Island/{n}" for n in ISLAND_NODES
    ]


def test_a_template_the_change_adds_unreadable_counts_as_a_stack(tmp_path: Path) -> None:
    # ids are STACK/LogicalId as soon as either side has several stacks, read or not: the
    # head that adds a broken template names the island's nodes as the fixed one will
    _folders(tmp_path)
    (tmp_path / "base" / "fargate.yml").unlink()
    shutil.copy(ISLAND, tmp_path / "head" / "island.yaml")
    (tmp_path / "head" / "fargate.yml").write_text(BROKEN)
    code, data = _diff(tmp_path, "base", "head")
    assert code == 3
    _nothing_compared(data["changes"])
    assert data["changes"]["nodes"]["not_analysed"] == []
    ids = {n["id"] for n in data["before"]["topology"]["nodes"]}
    assert ids == {f"island/{n}" for n in ISLAND_NODES}
    assert "ext:fargate.yml" in {n["id"] for n in data["after"]["topology"]["nodes"]}
