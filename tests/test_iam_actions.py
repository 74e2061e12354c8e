"""The IAM action meaning data (load/data/iam_actions.json): well-formed, about resource types
the resource table makes nodes of, and read by the product."""

from __future__ import annotations

import json
from pathlib import Path

from iacscan.knowledge.resource_types import type_info
from iacscan.load.iam_actions import action_table

DATA = (
    Path(__file__).resolve().parents[1] / "src" / "iacscan" / "load" / "data" / "iam_actions.json"
)


def test_data_is_well_formed() -> None:
    data = json.loads(DATA.read_text(encoding="utf-8"))
    assert set(data) == {"_about", "supplement", "ignored"}
    problems = []
    for action, meanings in data["supplement"].items():
        if action != action.lower() or ":" not in action:
            problems.append(f"{action}: lower-case service:action")
        for rtype, category in meanings:
            if category not in ("Read", "Write"):
                problems.append(f"{action}: category {category}")
            info = type_info(rtype)
            # A startable configuration type (a Batch job definition) is no node in scope, but
            # one passed in from outside the scan is an ext: node the action starts.
            if not info.classified or (info.role == "none" and "startable" not in info.traits):
                problems.append(f"{action}: {rtype} is no node, the meaning can never make an edge")
    overlap = set(data["supplement"]) & set(data["ignored"])
    assert not overlap, overlap
    assert not problems, "\n".join(problems)


def test_product_reads_the_data() -> None:
    table = action_table()
    cluster = "AWS::RDS::DBCluster"
    assert set(table["rds-data:executestatement"]) == {(cluster, "Read"), (cluster, "Write")}
    assert table["kafka-cluster:readdata"] == (
        ("AWS::MSK::Cluster", "Read"),
        ("AWS::MSK::ServerlessCluster", "Read"),
    )
    assert "sqs:deletemessagebatch" not in table  # ignored: moves no data
    assert table["sqs:sendmessage"] == (("AWS::SQS::Queue", "Write"),)  # the SAM table's own
