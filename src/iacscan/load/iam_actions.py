"""IAM action meanings: which actions read from or write to which resource type.

The base is the table aws-sam-translator ships for SAM connectors
(``samtranslator/model/connector_profiles/profiles.json``), read as data; a short supplement adds
the actions it does not cover (Kinesis, Firehose, ECS RunTask/UpdateService, Batch, Glue, the RDS
Data API, MSK, OpenSearch...), and housekeeping actions that move no data (DeleteMessage,
Describe*, ACLs) are dropped. Both lists are data: ``load/data/iam_actions.json``.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from importlib.util import find_spec
from pathlib import Path

Meaning = tuple[str, str]  # (resource type, "Read" | "Write")


@cache
def _local_table() -> tuple[dict[str, tuple[Meaning, ...]], frozenset[str]]:
    """The supplement and the ignored actions, from ``load/data/iam_actions.json`` (data)."""
    text = (resources.files("iacscan") / "load" / "data" / "iam_actions.json").read_text("utf-8")
    data = json.loads(text)
    supplement = {
        str(action).lower(): tuple((str(t), str(c)) for t, c in meanings)
        for action, meanings in data["supplement"].items()
    }
    return supplement, frozenset(str(a).lower() for a in data["ignored"])


def _profiles_path() -> Path | None:
    spec = find_spec("samtranslator")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations)))
    candidate = path / "model" / "connector_profiles" / "profiles.json"
    return candidate if candidate.is_file() else None


@cache
def action_table() -> dict[str, tuple[Meaning, ...]]:
    """Lower-case ``service:action`` -> the (resource type, Read|Write) meanings it has."""
    table: dict[str, set[Meaning]] = {}
    path = _profiles_path()
    if path is not None:
        data = json.loads(path.read_text("utf-8"))
        for src, dests in data.get("Permissions", {}).items():
            for dst, spec in dests.items():
                if spec.get("Type") != "AWS_IAM_ROLE_MANAGED_POLICY":
                    continue
                for category, body in spec["Properties"]["AccessCategories"].items():
                    for statement in body.get("Statement", []):
                        _add_statement(table, statement, src, dst, category)
    supplement, ignored = _local_table()
    for action, meanings in supplement.items():
        table.setdefault(action, set()).update(meanings)
    return {a: tuple(sorted(m)) for a, m in table.items() if a not in ignored}


def _add_statement(
    table: dict[str, set[Meaning]], statement: dict[str, object], src: str, dst: str, category: str
) -> None:
    actions = statement.get("Action", [])
    resources = statement.get("Resource", [])
    actions = [actions] if isinstance(actions, str) else actions
    resources = [resources] if isinstance(resources, str) else resources
    if not isinstance(actions, list) or not isinstance(resources, list):
        return
    text = " ".join(str(r) for r in resources)
    owner = dst if "%{Destination" in text else src if "%{Source" in text else None
    if owner is None:
        return
    for action in actions:
        table.setdefault(str(action).lower(), set()).add((owner, category))
