"""Types that are paid for while idle are classified; a type iacscan does not know is never
silently free when its name says it may be capacity (knowledge/resource_types.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from iacscan.model import Analysis
from scan_helpers import scan

FUNCTION = """
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Handler: i.h, Runtime: python3.12, Role: arn:aws:iam::1:role/r, Code: {ZipFile: x}}
"""


def _scan(tmp_path: Path, resources: str) -> Analysis:
    path = tmp_path / "t.yaml"
    path.write_text("Resources:\n" + resources)
    return scan([str(path)])


def test_an_airflow_environment_is_paid_for_while_idle(tmp_path: Path) -> None:
    a = _scan(
        tmp_path,
        FUNCTION
        + """
  Airflow:
    Type: AWS::MWAA::Environment
    Properties: {Name: etl, EnvironmentClass: mw1.small, MinWorkers: 1, MaxWorkers: 5}
""",
    )
    assert (a.verdict.level, a.verdict.serverless) == ("not-serverless", False)
    assert {(c.node, c.kind) for c in a.verdict.idle_costs} == {("Airflow", "instance")}
    assert not any("not in iacscan's table" in w for w in a.verdict.warnings)


def test_a_provisioned_keyspaces_table_has_a_floor_and_an_on_demand_one_none(
    tmp_path: Path,
) -> None:
    table = """
  T:
    Type: AWS::Cassandra::Table
    Properties: {KeyspaceName: k, PartitionKeyColumns: [{ColumnName: id, ColumnType: text}]MODE}
"""
    on_demand = _scan(tmp_path, FUNCTION + table.replace("MODE", ""))
    assert on_demand.verdict.level == "serverless"
    provisioned = _scan(
        tmp_path,
        FUNCTION
        + table.replace(
            "MODE",
            ", BillingMode: {Mode: PROVISIONED, ProvisionedThroughput: "
            "{ReadCapacityUnits: 5, WriteCapacityUnits: 5}}",
        ),
    )
    assert provisioned.verdict.level == "serverless-with-floor"
    assert {(c.node, c.kind) for c in provisioned.verdict.idle_costs} == {("T", "managed-floor")}


def test_an_unknown_type_named_like_capacity_leaves_the_level_undecided(tmp_path: Path) -> None:
    a = _scan(
        tmp_path,
        FUNCTION
        + """
  Farm:
    Type: AWS::Imaginary::RenderFleet
    Properties: {Size: 4}
  Plan:
    Type: AWS::Imaginary::Setting
    Properties: {Name: p}
""",
    )
    v = a.verdict
    assert (v.level, v.serverless, v.scales_to_zero) == ("indeterminate", None, None)
    assert v.cases is not None
    assert (v.cases.best, v.cases.worst) == ("serverless", "not-serverless")
    assert len(v.cases.missing) == 1 and v.cases.missing[0].startswith(
        "Farm (AWS::Imaginary::RenderFleet): a type iacscan does not know"
    )
    # the setting is still treated as configuration, and said so; the fleet is not called free
    free = [w for w in v.warnings if w.startswith("resource types not in iacscan's table")]
    assert free == [
        "resource types not in iacscan's table, treated as free configuration: "
        "AWS::Imaginary::Setting (1)"
    ]


def test_an_unknown_capacity_type_alone_is_not_no_compute(tmp_path: Path) -> None:
    a = _scan(
        tmp_path,
        """
  Hsm:
    Type: AWS::Imaginary::Cluster
    Properties: {Nodes: 2}
""",
    )
    assert a.verdict.level == "indeterminate"
    assert a.verdict.cases is not None
    assert (a.verdict.cases.best, a.verdict.cases.worst) == ("no-compute", "not-serverless")


def test_an_unknown_type_not_named_like_capacity_stays_configuration(tmp_path: Path) -> None:
    a = _scan(
        tmp_path,
        FUNCTION
        + """
  Plan:
    Type: AWS::Imaginary::Setting
    Properties: {Name: p}
""",
    )
    assert (a.verdict.level, a.verdict.cases) == ("serverless", None)


def test_a_database_whose_class_is_read_at_deploy_time_is_not_no_compute(tmp_path: Path) -> None:
    """Only an RDS instance whose class comes from SSM: it may be servers (any class but
    db.serverless), so the level is undecided, never "nothing to judge"."""
    a = _scan(
        tmp_path,
        """
  Db:
    Type: AWS::RDS::DBInstance
    Properties: {Engine: postgres, DBInstanceClass: "{{resolve:ssm:/db/class}}", AllocatedStorage: "20"}
""",
    )
    assert a.verdict.level == "indeterminate"
    assert a.verdict.cases is not None
    assert (a.verdict.cases.best, a.verdict.cases.worst) == ("no-compute", "not-serverless")
    assert any("DBInstanceClass of Db" in m for m in a.verdict.cases.missing)


@pytest.mark.parametrize(
    ("rtype", "props", "level"),
    [
        # capacity that a service-wide row (AWS::GameLift::*, AWS::Timestream::*, AWS::EC2::*)
        # called free configuration
        ("AWS::GameLift::GameServerGroup", "{MinSize: 2, MaxSize: 4}", "not-serverless"),
        ("AWS::Timestream::InfluxDBCluster", "{DbInstanceType: db.influx.large}", "not-serverless"),
        ("AWS::EC2::CapacityReservationFleet", "{TotalTargetCapacity: 2}", "not-serverless"),
        (
            "AWS::Comprehend::EntityRecognizerEndpoint",
            "{DesiredInferenceUnits: 1}",
            "serverless-with-floor",
        ),
    ],
)
def test_capacity_is_never_free_configuration(
    tmp_path: Path, rtype: str, props: str, level: str
) -> None:
    a = _scan(tmp_path, FUNCTION + f"\n  It:\n    Type: {rtype}\n    Properties: {props}\n")
    assert a.verdict.level == level
    assert {c.node for c in a.verdict.idle_costs} == {"It"}
