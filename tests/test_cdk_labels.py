"""Names a CDK user recognises (no synthesis: CDK-shaped templates and hand-made nodes), and
what a failed synthesis tells the user."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from iacscan.errors import UsageError
from iacscan.load.cdk_cache import installed_libraries, source_digest
from iacscan.load.cdk_hints import pip_name, synth_hint
from iacscan.model import Node
from iacscan.render.json_report import analysis_to_dict
from iacscan.render.text import render_text
from iacscan.topology.labels import Renamer, assign_labels, shorten
from iacscan.topology.queries import resolve_focus
from scan_helpers import run_cli, scan

ROOT = Path(__file__).resolve().parent.parent
BUCKET = ROOT / "fixtures" / "templates" / "extract-cdk-bucket-notifications.yaml"
HANDLER = "BucketNotificationsHandler050a0587b7544547bf325f094a3db8347ECC3691"


def node(node_id: str, path: str | None, stack: str = "Shop") -> Node:
    return Node(node_id, "AWS::SQS::Queue", "channel", stack, "t.json", 1, path=path)


def test_shorten_drops_the_stack_and_resource_segments() -> None:
    assert shorten("Shop/Orders/Queue/Resource", "Shop") == "Orders/Queue"
    assert shorten("Shop/Api/Default/items/GET/Resource", "Shop") == "Api/items/GET"
    assert shorten("Prod/Shop/Queue/Resource", "Prod/Shop") == "Queue"
    assert shorten("Shop/Queue/Resource", None) == "Shop/Queue"
    # nested stack resources: CDK's path already goes through the nested construct
    assert shorten("msk-demo/MSKBroker/Cluster/Resource", "msk-demo") == "MSKBroker/Cluster"


def test_labels_are_unique_and_plain_ids_stay() -> None:
    nodes = [
        node("QueueA1B2C3D4", "Shop/Queue/Resource"),
        node("OrdersQueueE5F6A7B8", "Shop/Orders/Queue/Resource"),
        node("Queue", None),  # a resource the user wrote as a template: its id
        node("ext:default-event-bus", None),
    ]
    labels = assign_labels(nodes, {"Shop": "Shop"}, one_stack=True)
    assert labels == {
        "QueueA1B2C3D4": "Shop/Queue",  # "Queue" is taken by the plain node: the longer form
        "OrdersQueueE5F6A7B8": "Orders/Queue",
        "Queue": "Queue",
        "ext:default-event-bus": "ext:default-event-bus",
    }
    several = assign_labels(nodes[:2], {"Shop": "Shop"}, one_stack=False)
    assert several == {"QueueA1B2C3D4": "Shop/Queue", "OrdersQueueE5F6A7B8": "Shop/Orders/Queue"}


def test_renamer_replaces_whole_ids_only() -> None:
    name = Renamer({"FnA1B2C3D4": "Fn", "Stack/NestedABC/FnA1B2C3D4": "Nested/Fn", "Same": "Same"})
    assert name("FnA1B2C3D4 invokes Stack/NestedABC/FnA1B2C3D4") == "Fn invokes Nested/Fn"
    assert name("XFnA1B2C3D4 FnA1B2C3D4x") == "XFnA1B2C3D4 FnA1B2C3D4x"
    assert Renamer({"Same": "Same"})("Same") == "Same"


def test_a_cdk_template_reads_in_construct_paths() -> None:
    a = scan([BUCKET])
    labels = {n.id: n.name for n in a.topology.nodes}
    assert labels == {
        "Uploads1A2B3C4D": "Uploads",
        "ThumbnailFn0A1B2C3D": "ThumbnailFn",
        "AuditQueue9F8E7D6C": "AuditQueue",
        "UploadsTopicAB12CD34": "UploadsTopic",
        HANDLER: "BucketNotificationsHandler050a0587b7544547bf325f094a3db834",
        "ext:default-event-bus": "ext:default-event-bus",
    }
    text = render_text(a, color=False)
    assert "Uploads --triggers--> ThumbnailFn" in text
    assert "Uploads1A2B3C4D" not in text  # every human-facing line uses the label
    assert "Custom::S3BucketNotifications Uploads/Notifications" in text
    assert "deploy-time helpers" in text and "BucketNotificationsHandler050a0587" in text
    report = analysis_to_dict(a)
    by_id = {n["id"]: n for n in report["topology"]["nodes"]}
    assert by_id["Uploads1A2B3C4D"]["label"] == "Uploads"  # JSON keeps the id
    assert by_id["Uploads1A2B3C4D"]["path"] == "Shop/Uploads/Resource"


def test_focus_accepts_labels_and_construct_paths() -> None:
    t = scan([BUCKET]).topology
    for wanted in ("Uploads", "Shop/Uploads", "Shop/Uploads/Resource", "Uploads1A2B3C4D"):
        assert resolve_focus(t, wanted) == "Uploads1A2B3C4D", wanted
    for wrong in ("Fn", "NoSuchConstruct"):  # a tail is whole segments: ThumbnailFn is no Fn
        with pytest.raises(UsageError):
            resolve_focus(t, wrong)


def test_graph_focus_on_a_construct_path_from_the_cli() -> None:
    p = run_cli("graph", str(BUCKET), "-f", "json", "--focus", "Shop/AuditQueue")
    assert p.returncode == 0, p.stderr
    ids = {n["id"] for n in json.loads(p.stdout)["nodes"]}
    assert ids == {"Uploads1A2B3C4D", "AuditQueue9F8E7D6C"}


LAMBDAS = """\
Resources:
  CallerA1B2C3D4:
    Type: AWS::Lambda::Function
    Metadata: {aws:cdk:path: Shop/Caller/Resource}
    Properties: {Runtime: python3.12, Handler: i.h, Code: {ZipFile: x}, Role: !GetAtt R.Arn}
  OtherE5F6A7B8:
    Type: AWS::Lambda::Function
    Metadata: {aws:cdk:path: Shop/Other/Resource}
    Properties: {Runtime: python3.12, Handler: i.h, Code: {ZipFile: y}, Role: !GetAtt R2.Arn}
  CalleeC9D0E1F2:
    Type: AWS::Lambda::Function
    Metadata: {aws:cdk:path: Shop/Callee/Resource}
    Properties: {Runtime: python3.12, Handler: i.h, Code: {ZipFile: z}, Role: !GetAtt R3.Arn}
  R:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {}
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement: [{Effect: Allow, Action: lambda:InvokeFunction, Resource: !GetAtt CalleeC9D0E1F2.Arn}]
  R2:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {}
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement: [{Effect: Allow, Action: lambda:InvokeFunction, Resource: !GetAtt CalleeC9D0E1F2.Arn}]
  R3:
    Type: AWS::IAM::Role
    Properties: {AssumeRolePolicyDocument: {}}
"""


def test_ignore_a_rule_on_one_construct(tmp_path: Path) -> None:
    t = tmp_path / "app.yaml"
    t.write_text(LAMBDAS)
    p = run_cli(str(t), "-f", "json")
    found = {tuple(f["resources"]) for f in json.loads(p.stdout)["findings"]}
    assert found == {("CallerA1B2C3D4", "CalleeC9D0E1F2"), ("OtherE5F6A7B8", "CalleeC9D0E1F2")}
    messages = [f["message"] for f in json.loads(p.stdout)["findings"]]
    assert any(m.startswith("Caller invokes Callee directly") for m in messages), messages
    for wanted in ("Shop/Caller", "Caller", "Shop/Caller/Resource", "CallerA1B2C3D4"):
        p = run_cli(str(t), "-f", "json", "--ignore", f"lambda-calls-lambda:{wanted}")
        left = {tuple(f["resources"]) for f in json.loads(p.stdout)["findings"]}
        assert left == {("OtherE5F6A7B8", "CalleeC9D0E1F2")}, wanted
        assert "no such rule" not in p.stderr


def test_deploy_time_helpers_are_never_the_source_of_a_finding(tmp_path: Path) -> None:
    """A custom-resource provider invoking its handler is deploy-time: no lambda-calls-lambda."""
    t = tmp_path / "provider.yaml"
    t.write_text(
        LAMBDAS.replace("Shop/Caller/Resource", "Shop/SeedProvider/framework-onEvent/Resource")
        + "  Seed:\n    Type: AWS::CloudFormation::CustomResource\n"
        "    Properties: {ServiceToken: !GetAtt CallerA1B2C3D4.Arn}\n"
    )
    a = scan([t])
    assert {f.resources for f in a.findings} == {("OtherE5F6A7B8", "CalleeC9D0E1F2")}
    assert {n.id for n in a.topology.nodes if n.deploy_time} == {"CallerA1B2C3D4"}


# --------------------------------------------------------------------------- synthesis failures


def test_hints_name_the_fixing_command() -> None:
    py = synth_hint("ModuleNotFoundError: No module named 'aws_cdk.aws_apigatewayv2_alpha'")
    assert py is not None and "pip install -r requirements.txt" in py
    assert "pip install aws-cdk.aws-apigatewayv2-alpha" in py
    assert pip_name("cdk_nag") == "cdk-nag"
    for text in (
        "Error: Cannot find module 'aws-cdk-lib'",
        "npm error npx canceled due to missing packages and no YES option",
        "npm error code ENOTCACHED\nnpm error request to https://registry.npmjs.org/ts-node",
        "npm error code EAI_AGAIN\nnpm error request to https://registry.npmjs.org/ts-node",
        "npm ERR! code ENOTFOUND",
    ):
        hint = synth_hint(text)
        assert hint is not None and "`npm ci`" in hint, text
    docker = synth_hint("Error: spawnSync docker ENOENT\n    at bundle (asset-staging.js)")
    assert docker is not None and "Docker" in docker and "--no-synth" in docker
    env = synth_hint(
        "    account=os.environ['CDK_DEFAULT_ACCOUNT']\nKeyError: 'CDK_DEFAULT_ACCOUNT'"
    )
    assert env is not None and "CDK_DEFAULT_ACCOUNT=123456789012" in env
    assert synth_hint("TypeError: x is not a function") is None


@pytest.mark.parametrize(
    ("output", "wanted", "not_wanted"),
    [
        (  # a git-ignored file of the app: npm ci does not make it
            "Error: Cannot find module '../../.env.test'\nRequire stack:\n- /app/bin/app.js",
            "a file of its own that is not there",
            "run `npm ci`",
        ),
        (
            "Error: CrossRegionReferencesRequireExplicitRegion: Cross stack/region references "
            "are only supported for stacks with an explicit region defined.",
            "CDK_DEFAULT_REGION=us-east-1",
            "fails the same way",
        ),
        (
            "Bundling asset Shop/Fn/Code/Stage...\nError: spawnSync docker ENOENT\n"
            "    at dockerExec ... public.ecr.aws/sam/build-nodejs22.x esbuild --bundle",
            "npm install --save-dev esbuild",
            "start Docker (`docker info`",
        ),
        (
            "ERR_PNPM_BAD_PM_VERSION This project is configured to use pnpm@10.34.4 "
            "(packageManager in package.json)",
            "npm_config_manage_package_manager_versions=false",
            "npm ci",
        ),
    ],
)
def test_hints_for_app_files_regions_esbuild_and_pnpm(
    output: str, wanted: str, not_wanted: str
) -> None:
    hint = synth_hint(output)
    assert hint is not None and wanted in hint and not_wanted not in hint, hint


def test_a_missing_module_of_the_app_itself_is_no_package_to_install(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    hint = synth_hint("ModuleNotFoundError: No module named 'src.shop_stack'", tmp_path)
    assert hint is not None and "pip install" not in hint and "the app's own src" in hint
    other = synth_hint("ModuleNotFoundError: No module named 'cdk_nag'", tmp_path)
    assert other is not None and "pip install cdk-nag" in other


def test_cache_key_follows_the_installed_aws_cdk_lib(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "app.py").write_text("print('app')\n")
    venv = tmp_path / "venv"
    site = venv / "lib" / "python3.11" / "site-packages"
    (site / "aws_cdk_lib-2.150.0.dist-info").mkdir(parents=True)
    (venv / "bin").mkdir()
    program = str(venv / "bin" / "python3")
    modules = app / "node_modules" / "aws-cdk-lib"
    modules.mkdir(parents=True)
    (modules / "package.json").write_text(json.dumps({"version": "2.170.0"}))

    def key() -> str | None:
        installed = installed_libraries(app, program)
        return source_digest(app, identity={"installed": installed}).key

    before = key()
    assert installed_libraries(app, program) == [
        "aws_cdk_lib-2.150.0.dist-info",
        "npm:aws-cdk-lib@2.170.0",
    ]
    (site / "aws_cdk_lib-2.150.0.dist-info").rename(site / "aws_cdk_lib-2.160.0.dist-info")
    upgraded = key()
    assert upgraded != before
    (modules / "package.json").write_text(json.dumps({"version": "2.180.0"}))
    assert key() not in (before, upgraded)


def test_a_failed_synthesis_is_could_not_analyse(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "app.py").write_text("import cdk_nag_not_installed_here\n")
    (app / "cdk.json").write_text(json.dumps({"app": f"{sys.executable} app.py"}))
    p = run_cli(str(app), "-f", "json")
    assert p.returncode == 3
    v = json.loads(p.stdout)["verdict"]
    assert v["level"] == "indeterminate" and v["serverless"] is None
    assert v["summary"].startswith("Could not analyse: the CDK app")
    assert "failed to synthesize" in v["summary"]
    text = run_cli(str(app)).stdout
    assert "no-compute" not in text and "unknown: nothing was analysed" in text
    assert "pip install cdk-nag-not-installed-here" in run_cli(str(app)).stderr
    both = run_cli(str(app), str(BUCKET), "-f", "json")
    warnings = json.loads(both.stdout)["verdict"]["warnings"]
    assert any(w.startswith("Could not analyse the CDK app") for w in warnings), warnings


def test_diff_lines_use_labels(tmp_path: Path) -> None:
    before = tmp_path / "before.yaml"
    after = tmp_path / "after.yaml"
    text = BUCKET.read_text()
    before.write_text(text)
    after.write_text(
        text
        + "  ArchiveQueue5A6B7C8D:\n    Type: AWS::SQS::Queue\n"
        + "    Metadata:\n      aws:cdk:path: Shop/ArchiveQueue/Resource\n"
    )
    p = run_cli("diff", str(before), str(after), "--no-color")
    assert p.returncode == 0, p.stderr
    assert "Added: ArchiveQueue (AWS::SQS::Queue)" in p.stdout
    assert "+ ArchiveQueue (AWS::SQS::Queue)" in p.stdout
    assert "ArchiveQueue5A6B7C8D" not in p.stdout
    md = run_cli("diff", str(before), str(after), "-f", "markdown").stdout
    assert "ArchiveQueue5A6B7C8D" not in md and "ArchiveQueue" in md


def test_resources_that_are_no_node_are_named_by_their_path_too(tmp_path: Path) -> None:
    """A NAT gateway is an idle cost but no node: text and SARIF still use its construct path."""
    t = tmp_path / "vpc.yaml"
    t.write_text(
        "Resources:\n"
        "  VpcPublicSubnet1NATGatewayA1B2C3D4:\n"
        "    Type: AWS::EC2::NatGateway\n"
        "    Metadata: {aws:cdk:path: Net/Vpc/PublicSubnet1/NATGateway}\n"
        "    Properties: {SubnetId: subnet-1, AllocationId: eipalloc-1}\n"
        "  WorkerE5F6A7B8:\n"
        "    Type: AWS::Lambda::Function\n"
        "    Metadata: {aws:cdk:path: Net/Worker/Resource}\n"
        "    Properties: {Runtime: python3.12, Handler: i.h, Code: {ZipFile: x}, Role: r}\n"
    )
    a = scan([t])
    assert [i.node for i in a.verdict.idle_costs] == ["VpcPublicSubnet1NATGatewayA1B2C3D4"]
    assert a.names()["VpcPublicSubnet1NATGatewayA1B2C3D4"] == "Vpc/PublicSubnet1/NATGateway"
    text = render_text(a, color=False)
    assert "- Vpc/PublicSubnet1/NATGateway (network)" in text
    assert "NATGatewayA1B2C3D4" not in text


def test_cache_key_follows_the_lock_file_even_when_watch_excludes_it(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "package-lock.json").write_text('{"lockfileVersion": 3}')
    excludes = ("package*.json", "yarn.lock")  # what `cdk init app --language typescript` writes

    def key() -> str | None:
        return source_digest(app, identity={}, excludes=excludes).key

    before = key()
    (app / "package-lock.json").write_text('{"lockfileVersion": 3, "packages": {}}')
    assert key() != before
