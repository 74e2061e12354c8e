"""Finding the line of a CDK app's source that creates each construct (no synthesis)."""

from __future__ import annotations

from pathlib import Path

import pytest

from iacscan.load.cdk_sources import entry_file, locate_constructs
from iacscan.model import Resource, Template


def _template(paths: dict[str, str], file: str = "/cache/x/Shop.template.json") -> Template:
    resources = {
        lid: Resource(lid, "AWS::SQS::Queue", {}, line=i + 3, cdk_path=p)
        for i, (lid, p) in enumerate(paths.items())
    }
    return Template("Shop", file, "cdk-app", resources, stack_path="Shop")


def test_entry_file_from_the_app_command(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "shop.ts").write_text("")
    (tmp_path / "app.py").write_text("")
    assert (
        entry_file(tmp_path, "npx ts-node --prefer-ts-exts bin/shop.ts") == tmp_path / "bin/shop.ts"
    )
    assert entry_file(tmp_path, "python3 app.py") == tmp_path / "app.py"
    assert entry_file(tmp_path, "mvn -e -q compile exec:java") == tmp_path / "cdk.json"


def test_constructs_are_found_deepest_id_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = tmp_path / "repo" / "infra"
    (app / "shop").mkdir(parents=True)
    (app / "tests").mkdir()
    (app / "app.py").write_text('import aws_cdk as cdk\napp = cdk.App()\nShopStack(app, "Shop")\n')
    (app / "shop" / "stack.py").write_text(
        "class ShopStack(Stack):\n"
        "    def __init__(self, scope, id):\n"
        '        queue = sqs.Queue(self, "Orders")\n'
        "        fn = lambda_.Function(\n"
        "            self,\n"
        "            'Handler',\n"
        "        )\n"
        '        machine = sfn.StateMachine(self, "Machine")\n'
        '        role = iam.Role(self, "Role")\n'
    )
    (app / "tests" / "test_stack.py").write_text(
        'assert "Orders" in template\nassert "Tested" in template\n'
    )
    (app / "node_modules").mkdir()
    (app / "node_modules" / "lib.js").write_text('new Queue(this, "Orders")\n')
    monkeypatch.chdir(tmp_path / "repo")
    (t,) = locate_constructs(
        [
            _template(
                {
                    "OrdersA1": "Shop/Orders/Resource",
                    "HandlerRoleB2": "Shop/Handler/ServiceRole/Resource",  # CDK's own id
                    "MachineRoleC3": "Shop/Machine/Role/Resource",  # CDK's too: not "Role"
                    "TopRole": "Shop/Role/Resource",  # the app's own construct named "Role"
                    "TestedOnly": "Shop/Tested/Resource",  # only a test quotes it
                    "Meta": "Shop/CDKMetadata/Default",  # nothing but the stack: app.py
                    "Other": "Elsewhere/Thing/Resource",  # nothing at all: the entry file
                }
            )
        ],
        app_dir=Path("infra"),
        command="python3 app.py",
        assembly_dir=Path("/cache/x"),
    )
    found = {lid: (r.source_file, r.source_line) for lid, r in t.resources.items()}
    assert found == {
        "OrdersA1": ("infra/shop/stack.py", 3),  # not the test, not node_modules
        "HandlerRoleB2": ("infra/shop/stack.py", 6),
        "MachineRoleC3": ("infra/shop/stack.py", 8),
        "TopRole": ("infra/shop/stack.py", 9),
        "TestedOnly": ("infra/app.py", 3),  # the stack's line, not the test
        "Meta": ("infra/app.py", 3),
        "Other": (None, None),
    }
    assert t.entry_file == "infra/app.py"
    assert t.file == "/cache/x/Shop.template.json"  # the template stays secondary


def test_report_locations_move_into_the_source() -> None:
    from dataclasses import replace

    from iacscan.analysis import analyze
    from iacscan.classify.profile import load_profile
    from iacscan.load.discover import load_paths
    from iacscan.load.iam_actions import action_table

    root = Path(__file__).resolve().parent.parent
    (t,) = load_paths(
        [str(root / "fixtures/templates/extract-cdk-bucket-notifications.yaml")]
    ).templates
    bucket = t.resources["Uploads1A2B3C4D"]
    resources = dict(t.resources)
    resources["Uploads1A2B3C4D"] = replace(bucket, source_file="infra/shop.py", source_line=12)
    cdk = replace(t, resources=resources, entry_file="infra/app.py")
    a = analyze([cdk], profile=load_profile("johnston-2023"), actions=action_table())
    nodes = {n.id: n for n in a.topology.nodes}
    assert (nodes["Uploads1A2B3C4D"].file, nodes["Uploads1A2B3C4D"].line) == ("infra/shop.py", 12)
    assert nodes["Uploads1A2B3C4D"].synth_file == t.file
    assert nodes["Uploads1A2B3C4D"].synth_line == bucket.line
    # a resource whose source was not found: the entry file, without a line
    assert (nodes["AuditQueue9F8E7D6C"].file, nodes["AuditQueue9F8E7D6C"].line) == (
        "infra/app.py",
        None,
    )
    vias = [v for e in a.topology.edges for v in e.via]
    assert vias and all(v.file in ("infra/shop.py", "infra/app.py") for v in vias)
    assert all(v.synth_file == t.file for v in vias)


def test_shown_paths_are_relative_to_the_extracted_revision(tmp_path: Path) -> None:
    from iacscan.load.cdk_sources import SOURCE_ROOT_MARKER, display_root, shown

    rev = tmp_path / "base"
    app = rev / "infra" / "app"
    app.mkdir(parents=True)
    (rev / SOURCE_ROOT_MARKER).touch()  # what diff --base-ref's extraction writes
    assert display_root(app) == rev.resolve()
    assert shown(app / "stack.py", display_root(app)) == "infra/app/stack.py"
    lone = tmp_path / "elsewhere" / "app"
    lone.mkdir(parents=True)
    (tmp_path / "elsewhere" / ".git").mkdir()
    assert display_root(lone) == (tmp_path / "elsewhere").resolve()


def test_template_ids_ambiguous_ids_and_cdk_providers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = tmp_path / "repo" / "infra"
    (app / "lib").mkdir(parents=True)
    (app / "bin").mkdir()
    (app / "bin" / "app.ts").write_text("new Shop(app, 'Shop')\n")
    (app / "lib" / "shop.ts").write_text(
        "const env = () => 'test'\n"
        "new lambda.Function(this, `${env()}-Orders-Fn`, {})\n"  # a template literal
        "new Webapp(this, 'Webapp')\n"
        "new AsyncJob(this, 'AsyncJob')\n"
        'const id = f"{stage}"\n'  # a placeholder alone matches nothing
    )
    (app / "lib" / "webapp.ts").write_text("new lambda.Function(this, 'Handler', {})\n")
    (app / "lib" / "async-job.ts").write_text("\n\nnew lambda.Function(this, 'Handler', {})\n")
    monkeypatch.chdir(tmp_path / "repo")
    (t,) = locate_constructs(
        [
            _template(
                {
                    "Orders": "Shop/test-Orders-Fn/Resource",
                    "Web": "Shop/Webapp/Handler/Resource",  # "Handler" in two files: its parent
                    "Job": "Shop/AsyncJob/Handler/Resource",
                    "Provider": "Shop/Custom::CDKBucketDeploymentABC/Handler",  # CDK's own
                    "Unmatched": "Shop/whatever/Resource",
                }
            )
        ],
        app_dir=Path("infra"),
        command="npx ts-node bin/app.ts",
        assembly_dir=Path("/cache/x"),
    )
    found = {lid: (r.source_file, r.source_line) for lid, r in t.resources.items()}
    assert found == {
        "Orders": ("infra/lib/shop.ts", 2),
        "Web": ("infra/lib/shop.ts", 3),
        "Job": ("infra/lib/shop.ts", 4),
        "Provider": (None, None),
        "Unmatched": ("infra/bin/app.ts", 1),  # the stack's line
    }
