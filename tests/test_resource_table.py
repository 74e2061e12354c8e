"""The resource knowledge table (knowledge/data/resources.yaml): schema, coverage, spot checks.

Loads the YAML directly; spot checks run the product's own rule evaluator on its entries. Coverage is checked against the corpus manifest and
the research table (§5, docs/research/definition-research.md, a copy of ../shared).
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from iacscan.classify.assess import ABSENT, evaluate_rules, get_path
from iacscan.classify.deciders import DECIDERS as PRODUCT_DECIDERS
from iacscan.knowledge.resource_types import TRAITS, entry_info
from iacscan.model import Resource

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "src" / "iacscan" / "knowledge" / "data" / "resources.yaml"
SHARED = Path(os.environ.get("IACSCAN_SHARED", ROOT.parent / "shared"))
MANIFEST = SHARED / "corpus" / "MANIFEST.tsv"
RESEARCH = ROOT / "docs" / "research" / "definition-research.md"  # a copy of the shared one

ROLES = {"compute", "orchestrator", "channel", "store", "ingress", "router", "capacity", "none"}
NODES = {"always", "on-edge", "never"}
MANAGED = {"PPU", "MAF", "MP", "AMI", "SMS", "STO", "CFG"}
LEVELS = {"serverless", "serverless-with-floor", "not-serverless"}
IDLE_KINDS = {
    "container-floor",
    "provisioned-concurrency",
    "managed-floor",
    "network",
    "ecs-on-ec2",
    "instance",
}
DECIDERS = set(PRODUCT_DECIDERS)  # the product's registry, not a copy
ENTRY_REQUIRED = {"role", "managed", "level", "why", "source"}
ENTRY_KEYS = ENTRY_REQUIRED | {
    "node",
    "unit",
    "idle_kind",
    "small_fixed",
    "deploy_time",
    "decider",
    "judged",
    "traits",
    "rules",
}
TESTS = {"equals", "in", "present", "gt", "gte", "lt", "lte"}
RULE_REQUIRED = {"property", "level", "why"}
RULE_KEYS = RULE_REQUIRED | {"default", "idle_kind", "warning"} | TESTS

# Types the research §5 table names in shorthand (`Stage`, `ReplicationGroup`, ...) next to a
# full type; the full ones are read from the document itself.
RESEARCH_SHORTHAND = {
    "AWS::Lambda::Alias",
    "AWS::Lambda::LayerVersion",
    "AWS::AutoScaling::LaunchConfiguration",
    "AWS::EC2::EC2Fleet",
    "AWS::Batch::JobQueue",
    "AWS::SageMaker::EndpointConfig",
    "AWS::ApiGateway::Stage",
    "AWS::ElastiCache::ReplicationGroup",
    "AWS::RedshiftServerless::Namespace",
    "AWS::DocDB::DBInstance",
    "AWS::Neptune::DBInstance",
    "AWS::Glue::Table",
    "AWS::Glue::Crawler",
    "AWS::EC2::TransitGatewayAttachment",
    "AWS::EC2::Subnet",
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::RouteTable",
    "AWS::EC2::InternetGateway",
    "AWS::IAM::Policy",
    "AWS::IAM::ManagedPolicy",
}


@pytest.fixture(scope="module")
def table() -> dict[str, dict[str, Any]]:
    with TABLE.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    assert isinstance(data, dict) and set(data) == {"types"}, "top level must be exactly `types`"
    types = data["types"]
    assert isinstance(types, dict) and types
    return types


def lookup(table: dict[str, dict[str, Any]], rtype: str) -> tuple[str, dict[str, Any]] | None:
    """Exact entry first, else the longest matching "Prefix::*" pattern."""
    if rtype in table:
        return rtype, table[rtype]
    best: str | None = None
    for key in table:
        matches = key.endswith("::*") and rtype.startswith(key[:-1])
        if matches and (best is None or len(key) > len(best)):
            best = key
    return (best, table[best]) if best else None


def evaluate(entry: dict[str, Any], props: dict[str, Any]) -> tuple[str, str | None, bool]:
    """(level, idle_kind, from_default) by the product's own rule evaluator, on this YAML entry
    (a re-implementation here once hid a bug the product had)."""
    info = entry_info("AWS::Test::Resource", entry)
    res = Resource(logical_id="R", type=info.type, properties=props, line=1)
    base = {"stack": "s", "logical_id": "R", "node": "R", "file": "t.yaml"}
    a = evaluate_rules(info, res, lambda v: v, base)
    return a.level, a.idle_kind, a.default


# --------------------------------------------------------------------------- schema


def _check_key(key: Any) -> list[str]:
    if not isinstance(key, str) or not key:
        return [f"{key!r}: key must be a non-empty string"]
    if "*" in key and not (key.endswith("::*") and key.count("*") == 1):
        return [f"{key}: a pattern must be 'Service::*' with one trailing '*'"]
    return []


def _check_rule(key: str, i: int, rule: Any) -> list[str]:
    where = f"{key} rules[{i}]"
    if not isinstance(rule, dict):
        return [f"{where}: not a mapping"]
    errs = []
    if extra := set(rule) - RULE_KEYS:
        errs.append(f"{where}: unknown keys {sorted(extra)}")
    if missing := RULE_REQUIRED - set(rule):
        errs.append(f"{where}: missing {sorted(missing)}")
    tests = set(rule) & TESTS
    if len(tests) != 1:
        errs.append(f"{where}: needs exactly one test of {sorted(TESTS)}, has {sorted(tests)}")
    if not isinstance(rule.get("property"), str) or not rule.get("property"):
        errs.append(f"{where}: property must be a non-empty string")
    if "in" in rule and (not isinstance(rule["in"], list) or not rule["in"]):
        errs.append(f"{where}: `in` must be a non-empty list")
    if "present" in rule and not isinstance(rule["present"], bool):
        errs.append(f"{where}: `present` must be true or false")
    for op in ("gt", "gte", "lt", "lte"):
        if op in rule and (isinstance(rule[op], bool) or not isinstance(rule[op], int | float)):
            errs.append(f"{where}: `{op}` must be a number")
    if "present" in rule and "default" in rule:
        errs.append(f"{where}: a `present` test cannot have a default")
    level = rule.get("level")
    if level not in LEVELS:
        errs.append(f"{where}: level {level!r} not in {sorted(LEVELS)}")
    idle = rule.get("idle_kind")
    if level == "serverless" and idle is not None:
        errs.append(f"{where}: idle_kind must be absent/null when level is serverless")
    if level in LEVELS - {"serverless"} and idle not in IDLE_KINDS:
        errs.append(f"{where}: idle_kind required (one of {sorted(IDLE_KINDS)}) for {level}")
    if not isinstance(rule.get("why"), str) or not rule.get("why", "").strip():
        errs.append(f"{where}: why must be a non-empty sentence")
    return errs


def _check_entry(key: str, entry: Any) -> list[str]:
    if not isinstance(entry, dict):
        return [f"{key}: not a mapping"]
    errs = []
    if extra := set(entry) - ENTRY_KEYS:
        errs.append(f"{key}: unknown keys {sorted(extra)}")
    if missing := ENTRY_REQUIRED - set(entry):
        errs.append(f"{key}: missing {sorted(missing)}")
    if unknown_traits := set(entry.get("traits") or ()) - TRAITS:
        errs.append(f"{key}: unknown traits {sorted(unknown_traits)}")
    if entry.get("judged", "alone") not in ("alone", "through-services"):
        errs.append(f"{key}: judged must be alone or through-services")
    role = entry.get("role")
    if role not in ROLES:
        errs.append(f"{key}: role {role!r} not in {sorted(ROLES)}")
    if "node" in entry:
        if entry["node"] not in NODES:
            errs.append(f"{key}: node {entry['node']!r} not in {sorted(NODES)}")
        elif role == "none" and entry["node"] != "never":
            errs.append(f"{key}: role none can only have node never")
    if entry.get("managed") not in MANAGED:
        errs.append(f"{key}: managed {entry.get('managed')!r} not in {sorted(MANAGED)}")
    level = entry.get("level")
    if level not in LEVELS:
        errs.append(f"{key}: level {level!r} not in {sorted(LEVELS)}")
    idle = entry.get("idle_kind")
    if level == "serverless" and idle is not None:
        errs.append(f"{key}: idle_kind must be absent/null when level is serverless")
    if level in LEVELS - {"serverless"} and idle not in IDLE_KINDS:
        errs.append(f"{key}: idle_kind required (one of {sorted(IDLE_KINDS)}) for {level}")
    for flag in ("unit", "small_fixed", "deploy_time"):
        if flag in entry and not isinstance(entry[flag], bool):
            errs.append(f"{key}: {flag} must be true or false")
    if entry.get("unit") and role not in {"compute", "orchestrator"}:
        errs.append(f"{key}: a unit must have role compute")
    decider = entry.get("decider")
    if decider is not None and decider not in DECIDERS:
        errs.append(f"{key}: decider {decider!r} not in {sorted(DECIDERS)}")
    for text in ("why", "source"):
        if not isinstance(entry.get(text), str) or not entry.get(text, "").strip():
            errs.append(f"{key}: {text} must be a non-empty string")
    rules = entry.get("rules")
    if rules is not None:
        if not isinstance(rules, list) or not rules:
            errs.append(f"{key}: rules must be a non-empty list when present")
        else:
            for i, rule in enumerate(rules):
                errs.extend(_check_rule(key, i, rule))
    return errs


def test_schema(table: dict[str, dict[str, Any]]) -> None:
    errors = []
    for key, entry in table.items():
        errors.extend(_check_key(key))
        errors.extend(_check_entry(key, entry))
    assert not errors, "\n".join(errors)


def test_no_duplicate_keys() -> None:
    seen: set[str] = set()
    dupes = []
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^  (\"[^\"]+\"|[^\s#\"][^:\s]*(?:::[^:\s]+)*):\s*$", line)
        if m:
            key = m.group(1).strip('"')
            if key in seen:
                dupes.append(key)
            seen.add(key)
    assert not dupes, f"duplicate entries: {dupes}"


def test_deploy_time_helpers(table: dict[str, dict[str, Any]]) -> None:
    for rtype in ("Custom::Anything", "AWS::CloudFormation::CustomResource", "AWS::CDK::Metadata"):
        found = lookup(table, rtype)
        assert found is not None, rtype
        assert found[1].get("deploy_time") is True, rtype


# --------------------------------------------------------------------------- coverage


def _manifest_types() -> set[str]:
    types: set[str] = set()
    with MANIFEST.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            for t in (row.get("resource_types") or "").split(","):
                if t.strip():
                    types.add(t.strip())
    return types


@pytest.mark.skipif(not MANIFEST.exists(), reason="corpus manifest not available")
def test_covers_every_manifest_type(table: dict[str, dict[str, Any]]) -> None:
    types = _manifest_types()
    assert len(types) > 300
    uncovered = sorted(t for t in types if lookup(table, t) is None)
    assert not uncovered, f"{len(uncovered)} uncovered types:\n" + "\n".join(uncovered)


def _research_types() -> set[str]:
    text = RESEARCH.read_text(encoding="utf-8")
    start = text.index("## 5. Classification table")
    end = text.index("## 6. Sources", start)
    section = text[start:end]
    full = set(re.findall(r"`(AWS::[A-Za-z0-9]+::[A-Za-z0-9]+)`", section))
    return full | RESEARCH_SHORTHAND


def test_covers_every_research_type_exactly(table: dict[str, dict[str, Any]]) -> None:
    types = _research_types()
    assert len(types) > 80
    uncovered = sorted(t for t in types if lookup(table, t) is None)
    assert not uncovered, "uncovered research §5 types:\n" + "\n".join(uncovered)


# --------------------------------------------------------------------------- spot checks


def test_dynamodb_default_is_provisioned_floor(table: dict[str, dict[str, Any]]) -> None:
    entry = table["AWS::DynamoDB::Table"]
    assert entry["role"] == "store"
    assert evaluate(entry, {}) == ("serverless-with-floor", "managed-floor", True)
    assert evaluate(entry, {"BillingMode": "PROVISIONED"})[:2] == (
        "serverless-with-floor",
        "managed-floor",
    )
    assert evaluate(entry, {"BillingMode": "PAY_PER_REQUEST"}) == ("serverless", None, False)


def test_simple_table_on_demand_without_throughput(table: dict[str, dict[str, Any]]) -> None:
    entry = table["AWS::Serverless::SimpleTable"]
    assert evaluate(entry, {})[0] == "serverless"
    assert evaluate(entry, {"ProvisionedThroughput": {"ReadCapacityUnits": 5}})[0] == (
        "serverless-with-floor"
    )


def test_nat_gateway_is_network_floor(table: dict[str, dict[str, Any]]) -> None:
    entry = table["AWS::EC2::NatGateway"]
    assert entry["role"] == "none"
    assert (entry["level"], entry["idle_kind"]) == ("serverless-with-floor", "network")


def test_vpc_endpoint_type(table: dict[str, dict[str, Any]]) -> None:
    entry = table["AWS::EC2::VPCEndpoint"]
    assert evaluate(entry, {}) == ("serverless", None, True)
    assert evaluate(entry, {"VpcEndpointType": "Interface"})[:2] == (
        "serverless-with-floor",
        "network",
    )


def test_rds_instance_serverless_class(table: dict[str, dict[str, Any]]) -> None:
    entry = table["AWS::RDS::DBInstance"]
    assert entry["role"] == "store"
    assert evaluate(entry, {"DBInstanceClass": "db.serverless"})[0] == "serverless"
    assert evaluate(entry, {"DBInstanceClass": "db.r6g.large"})[:2] == (
        "not-serverless",
        "instance",
    )


def test_rds_cluster_serverless_v2(table: dict[str, dict[str, Any]]) -> None:
    entry = table["AWS::RDS::DBCluster"]
    v2 = "ServerlessV2ScalingConfiguration"
    assert evaluate(entry, {v2: {"MinCapacity": 0, "MaxCapacity": 4}})[0] == "serverless"
    assert evaluate(entry, {v2: {"MinCapacity": 0.5, "MaxCapacity": 4}})[:2] == (
        "serverless-with-floor",
        "managed-floor",
    )
    assert evaluate(entry, {"Engine": "aurora-postgresql"}) == ("not-serverless", "instance", True)


def test_ec2_instance_is_a_server(table: dict[str, dict[str, Any]]) -> None:
    entry = table["AWS::EC2::Instance"]
    assert entry["role"] == "compute" and entry["unit"] is True
    assert (entry["level"], entry["idle_kind"]) == ("not-serverless", "instance")
    # The EC2 pattern must not swallow the instance, and must not make a VPC costly.
    assert lookup(table, "AWS::EC2::VPC")[1]["level"] == "serverless"  # type: ignore[index]


def test_sagemaker_endpoint_config(table: dict[str, dict[str, Any]]) -> None:
    entry = table["AWS::SageMaker::EndpointConfig"]
    serverless = {"ProductionVariants": [{"ServerlessConfig": {"MemorySizeInMB": 2048}}]}
    instances = {"ProductionVariants": [{"InstanceType": "ml.m5.large"}]}
    assert evaluate(entry, serverless)[0] == "serverless"
    assert evaluate(entry, instances)[:2] == ("not-serverless", "instance")
    # Two serverless variants, one with provisioned concurrency: a floor, not instances.
    floor = {
        "ProductionVariants": [
            {"ServerlessConfig": {"MemorySizeInMB": 2048}},
            {"ServerlessConfig": {"MemorySizeInMB": 2048, "ProvisionedConcurrency": 2}},
        ]
    }
    assert evaluate(entry, floor)[:2] == ("serverless-with-floor", "provisioned-concurrency")
    # One instance variant next to a serverless one bills by the hour.
    mixed = {
        "ProductionVariants": [*serverless["ProductionVariants"], *instances["ProductionVariants"]]
    }
    assert evaluate(entry, mixed)[:2] == ("not-serverless", "instance")


def test_absent_list_element_property_is_absent() -> None:
    """``Foo[].Bar`` with no element having Bar is absent, and its `why` shows no object repr."""
    variants = [{"ServerlessConfig": {"MemorySizeInMB": 1024}}]
    assert get_path({"ProductionVariants": variants}, "ProductionVariants[].InstanceType") is ABSENT
    assert get_path({"ProductionVariants": variants}, "ProductionVariants[].ServerlessConfig") == [
        {"MemorySizeInMB": 1024}
    ]
    entry = {
        "level": "serverless",
        "why": "per use",
        "rules": [
            {
                "property": "ProductionVariants[].InstanceType",
                "present": True,
                "level": "not-serverless",
                "idle_kind": "instance",
                "why": "instances",
            }
        ],
    }
    assert evaluate(entry, {"ProductionVariants": variants}) == ("serverless", None, False)
    info = entry_info("AWS::SageMaker::EndpointConfig", entry)
    hourly = [{"InstanceType": "ml.m5.large"}, *variants]
    res = Resource(
        logical_id="C", type=info.type, properties={"ProductionVariants": hourly}, line=1
    )
    a = evaluate_rules(
        info, res, lambda v: v, {"stack": "s", "logical_id": "C", "node": "C", "file": "f"}
    )
    assert (a.level, a.why) == (
        "not-serverless",
        'instances (ProductionVariants[].InstanceType = ["ml.m5.large"])',
    )


def test_deciders_and_roles(table: dict[str, dict[str, Any]]) -> None:
    expected = {
        "AWS::Lambda::Function": ("compute", "lambda-function"),
        "AWS::Serverless::Function": ("compute", "lambda-function"),
        "AWS::ECS::Service": ("compute", "ecs-service"),
        "AWS::ECS::TaskDefinition": ("compute", "ecs-task-definition"),
        "AWS::ECS::CapacityProvider": ("capacity", None),
        "AWS::AutoScaling::AutoScalingGroup": ("compute", "autoscaling-group"),
        "AWS::EKS::Cluster": ("compute", "eks-cluster"),
        "AWS::Batch::ComputeEnvironment": ("capacity", "batch-compute-environment"),
        "AWS::Lambda::Version": ("none", "lambda-provisioned-concurrency"),
        "AWS::Lambda::Alias": ("none", "lambda-provisioned-concurrency"),
    }
    for rtype, (role, decider) in expected.items():
        assert (table[rtype]["role"], table[rtype].get("decider")) == (role, decider), rtype
    assert table["AWS::ECS::TaskDefinition"]["node"] == "on-edge"
    assert table["AWS::Logs::LogGroup"]["node"] == "on-edge"
    assert table["AWS::StepFunctions::StateMachine"]["role"] == "orchestrator"
    assert table["AWS::Events::Rule"]["role"] == "router"
    assert lookup(table, "AWS::IAM::Role")[1]["role"] == "none"  # type: ignore[index]


def _set_path(path: str, value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    cur = out
    parts = path.split(".")
    for part in parts[:-1]:
        cur[part] = {}
        cur = cur[part]
    cur[parts[-1]] = value
    return out


def test_default_wording_only_when_defaulted(table: dict[str, dict[str, Any]]) -> None:
    """A rule's `why` says "default" only when the value was really defaulted: written out
    explicitly, the same value gives a why without the word; absent, the why says so."""
    wrong = []
    for key, entry in table.items():
        for rule in entry.get("rules") or []:
            if "default" not in rule or "[]" in rule["property"]:
                continue
            info = entry_info(key, entry)
            base = {"stack": "s", "logical_id": "R", "node": "R", "file": "t.yaml"}
            explicit = _set_path(rule["property"], rule["default"])
            a = evaluate_rules(info, Resource("R", key, explicit, 1), lambda v: v, base)
            if "default" in a.why.lower() or a.default:
                wrong.append(f"{key} {rule['property']}={rule['default']} explicit: {a.why}")
            b = evaluate_rules(info, Resource("R", key, {}, 1), lambda v: v, base)
            if b.default != ("the CloudFormation default" in b.why):
                wrong.append(f"{key} {rule['property']} absent: {b.why}")
    assert not wrong, "\n".join(wrong)


AURORA_V1 = """
Resources:
  Db:
    Type: AWS::RDS::DBCluster
    Properties:
      Engine: aurora-mysql
      EngineMode: serverless
      MasterUsername: admin
      ManageMasterUserPassword: true
SCALING
"""


@pytest.mark.parametrize(
    ("scaling", "idle"),
    [
        ("      ScalingConfiguration: {AutoPause: true, MinCapacity: 1}", []),
        (
            "      ScalingConfiguration: {AutoPause: false, MinCapacity: 1}",
            [("Db", "managed-floor")],
        ),
    ],
)
def test_aurora_serverless_v1_warns_of_its_end_of_life(
    tmp_path: Path, scaling: str, idle: list[tuple[str, str]]
) -> None:
    """A rule's warning reaches the report: the template says v1, which AWS has retired."""
    from scan_helpers import scan

    path = tmp_path / "t.yaml"
    path.write_text(AURORA_V1.replace("SCALING", scaling))
    a = scan([path])
    assert a.verdict.level == "no-compute"  # a database alone
    assert [(c.node, c.kind) for c in a.verdict.idle_costs] == idle
    assert [w for w in a.verdict.warnings if "end of life" in w] == [
        "Db: Aurora Serverless v1 (EngineMode serverless) reached end of life on 31 March 2025: "
        "CloudFormation no longer creates it, and AWS moved existing v1 clusters to Aurora "
        "Serverless v2 or to provisioned capacity. This verdict reads the template as written; "
        "check what runs (Serverless v2 pauses only at MinCapacity 0)."
    ]
