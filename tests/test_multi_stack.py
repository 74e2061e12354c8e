"""Several templates are one system: exports/imports, nested stacks, folders, stack names."""

from __future__ import annotations

import shutil
from pathlib import Path

from scan_helpers import edge_set, git_repo, node_roles, run_cli, scan

MULTI = Path(__file__).resolve().parent.parent / "fixtures" / "multi"


def test_cross_stack_import_becomes_an_edge_between_stacks() -> None:
    a = scan(
        [
            MULTI / "cross-stack" / "orders-producer.yaml",
            MULTI / "cross-stack" / "orders-consumer.yaml",
        ]
    )
    assert not a.errors
    assert edge_set(a) == {
        "orders-producer/IntakeUrl -triggers-> orders-producer/IntakeFunction",
        "orders-producer/IntakeFunction -writes-> orders-producer/OrdersQueue",
        "orders-producer/OrdersQueue -triggers-> orders-consumer/FulfilFunction",
    }
    assert a.verdict.level == "serverless"
    assert a.verdict.architecture == "distributed"
    assert {s for i in a.inputs for s in i.stacks} == {"orders-producer", "orders-consumer"}


def test_folder_is_one_system() -> None:
    a = scan([MULTI / "cross-stack"])
    assert "orders-producer/OrdersQueue -triggers-> orders-consumer/FulfilFunction" in edge_set(a)


def test_import_out_of_scope_is_unknown_not_a_guess() -> None:
    # Issue 13: an import no stack in scope exports is an explicit unknown ext: node, never a
    # guessed resource and never dropped: the queue feeding the function is outside the scan.
    a = scan([MULTI / "cross-stack" / "orders-consumer.yaml"])
    ext = "ext:import orders-producer-OrdersQueueArn"
    assert node_roles(a) == {"FulfilFunction": "compute", ext: "external"}
    assert edge_set(a) == {f"{ext} -triggers-> FulfilFunction"}
    node = a.topology.node(ext)
    assert node is not None and node.properties["unknown"] is True
    assert "add the exporting stack to the scan" in str(node.properties["note"])


def test_nested_stack_ids_parameters_and_outputs() -> None:
    a = scan([MULTI / "nested" / "parent.yaml"])
    assert not a.errors and not a.internal_errors
    assert node_roles(a) == {
        "EventsTopic": "channel",
        "parent/Workers/ArchiveQueue": "channel",
        "parent/Workers/WorkerFunction": "compute",
    }
    # TopicArn parameter passed in; Workers.Outputs.ArchiveQueueArn read back.
    assert edge_set(a) == {
        "EventsTopic -triggers-> parent/Workers/WorkerFunction",
        "EventsTopic -triggers-> parent/Workers/ArchiveQueue",
    }


def test_nested_stack_cycle_is_an_error_not_a_hang(tmp_path: Path) -> None:
    for name, other in (("a", "b"), ("b", "a")):
        (tmp_path / f"{name}.yaml").write_text(
            f"Resources:\n  Child:\n    Type: AWS::CloudFormation::Stack\n"
            f"    Properties:\n      TemplateURL: ./{other}.yaml\n"
        )
    a = scan([tmp_path / "a.yaml"])
    assert a.errors and "cycle" in a.errors[0].message


def test_same_stem_files_get_their_relative_paths_as_stack_names(tmp_path: Path) -> None:
    for svc in ("orders", "billing"):
        (tmp_path / svc).mkdir()
        shutil.copy(MULTI / "nested" / "child.yaml", tmp_path / svc / "template.yaml")
    a = scan([tmp_path])
    stacks = {s for i in a.inputs for s in i.stacks}
    assert stacks == {"orders/template", "billing/template"}
    assert "orders/template/WorkerFunction" in node_roles(a)


def test_large_folder_loads_in_a_process_pool_with_the_same_result(tmp_path: Path) -> None:
    shutil.copy(MULTI / "cross-stack" / "orders-producer.yaml", tmp_path / "orders-producer.yaml")
    shutil.copy(MULTI / "cross-stack" / "orders-consumer.yaml", tmp_path / "orders-consumer.yaml")
    for i in range(8):  # enough files for the pool (PARALLEL_FROM)
        shutil.copy(MULTI / "nested" / "child.yaml", tmp_path / f"worker{i}.yaml")
    a = scan([tmp_path])
    assert not a.errors
    assert "orders-producer/OrdersQueue -triggers-> orders-consumer/FulfilFunction" in edge_set(a)
    assert {f"worker{i}/WorkerFunction" for i in range(8)} <= set(node_roles(a))
    # line numbers survive the trip through the worker processes
    fulfil = a.topology.node("orders-consumer/FulfilFunction")
    assert fulfil is not None and fulfil.line == 5  # where the resource body starts


def test_exports_are_egress_unless_a_stack_in_scope_imports_them() -> None:
    alone = scan([MULTI / "cross-stack" / "orders-producer.yaml"])
    assert set(alone.boundary.egress) == {"OrdersQueue"}
    both = scan([MULTI / "cross-stack"])
    assert set(both.boundary.egress) == set()
    assert set(both.boundary.ingress) == {"orders-producer/IntakeUrl"}


def test_ssm_parameters_wire_stacks_like_exports() -> None:
    """A stack publishes ARNs as AWS::SSM::Parameter; another reads them through an SSM-typed
    parameter and a {{resolve:ssm:...}} dynamic reference. Both become edges between stacks."""
    folder = MULTI / "ssm-wiring"
    a = scan([folder])
    assert not a.errors
    p, c = "shipping-producer", "shipping-consumer"
    table = "ext:ssm /prod/pricing/table-arn"
    assert edge_set(a) == {
        f"{p}/ShipmentsQueue -triggers-> {c}/ShipFunction",
        f"{c}/ShipFunction -writes-> {p}/NotificationsTopic",
        # set by no stack in scope: read from SSM at deploy time, shown as such, never guessed
        f"{table} -reads-> {c}/ShipFunction",
    }
    alone = scan([folder / "shipping-consumer.yaml"])
    assert edge_set(alone) == {
        "ext:ssm /prod/shipping/queue-arn -triggers-> ShipFunction",
        "ShipFunction -writes-> ext:ssm /prod/shipping/topic-arn",
        f"{table} -reads-> ShipFunction",
    }
    assert node_roles(alone) == {
        "ShipFunction": "compute",
        "ext:ssm /prod/shipping/queue-arn": "external",
        "ext:ssm /prod/shipping/topic-arn": "external",
        table: "external",
    }


def test_ssm_dynamic_references_inside_text_and_cycles() -> None:
    from iacscan.model import Resource, Template
    from iacscan.resolve import Scope, Unknown, refs_in

    def param(name: str, value: object) -> Resource:
        return Resource(name, "AWS::SSM::Parameter", {"Name": name, "Value": value}, 1)

    t = Template(
        stack="s",
        file="s.yaml",
        kind="template",
        resources={
            "Bucket": Resource("Bucket", "AWS::S3::Bucket", {}, 1),
            "a": param("/a", {"Ref": "Bucket"}),
            "loop": param("/loop", "{{resolve:ssm:/loop}}"),
        },
    )
    scope = Scope({"s": t})
    text = scope.resolve("s", {"Fn::Sub": "arn:aws:s3:::{{resolve:ssm:/a:7}}/*"})
    assert [(r.logical_id, r.attr) for r in refs_in(text)] == [("Bucket", "Ref")]
    # set by no stack in scope: read at deploy time, an unknown (never a literal name)
    missing = scope.resolve("s", "{{resolve:ssm:/missing}}")
    assert isinstance(missing, Unknown) and missing.reason.startswith("SSM parameter /missing")
    looped = scope.resolve("s", "{{resolve:ssm:/loop}}")
    assert isinstance(looped, Unknown)


def test_a_stack_name_two_inputs_share_is_qualified_with_its_nested_stacks() -> None:
    from iacscan.load.shared_names import qualify, shared_roots
    from iacscan.model import InputInfo, Template

    def t(stack: str, file: str, kind: str, parent: str | None = None) -> Template:
        return Template(stack=stack, file=file, kind=kind, resources={}, parent=parent)  # type: ignore[arg-type]

    templates = [
        t("orders", "orders.yaml", "template"),
        t("orders/Db", "db.yaml", "template", parent="orders/Db"),
        t("billing", "billing.yaml", "template"),
        t("orders", "stack:orders", "stack"),
        t("orders-2", "stack:orders-2", "stack"),  # a prefix of nothing: untouched
    ]
    inputs = [
        InputInfo("orders.yaml", "template", ("orders", "orders/Db")),
        InputInfo("billing.yaml", "template", ("billing",)),
        InputInfo("stack:orders", "stack", ("orders",)),
        InputInfo("stack:orders-2", "stack", ("orders-2",)),
    ]
    shared = shared_roots(templates, inputs)
    assert shared == {"orders"}
    out, infos, notes = qualify(templates, inputs, shared)
    assert [(x.stack, x.parent) for x in out] == [
        ("template/orders", None),
        ("template/orders/Db", "template/orders/Db"),
        ("billing", None),
        ("deployed/orders", None),
        ("orders-2", None),
    ]
    assert [i.stacks for i in infos] == [
        ("template/orders", "template/orders/Db"),
        ("billing",),
        ("deployed/orders",),
        ("orders-2",),
    ]
    assert len(notes) == 2 and "'deployed/orders'" in notes[1] and "stack:orders" in notes[1]
    assert qualify(templates, inputs, set()) == (templates, inputs, [])


def test_a_nested_stack_name_another_input_has_qualifies_its_root() -> None:
    """A CDK stack "a" with a nested stack "orders" gives a/orders, which is also the name of a
    file a/orders.yaml (two files with one stem are named by their relative paths)."""
    from iacscan.load.shared_names import qualify, shared_roots
    from iacscan.model import InputInfo, Template

    templates = [
        Template(stack="a/orders", file="a/orders.yaml", kind="template", resources={}),
        Template(stack="a", file="cdk.out/a.json", kind="cdk-out", resources={}),
        Template(
            stack="a/orders", file="cdk.out/n.json", kind="cdk-out", resources={}, parent="a/orders"
        ),
    ]
    inputs = [
        InputInfo("a/orders.yaml", "template", ("a/orders",)),
        InputInfo("cdk.out", "cdk-out", ("a", "a/orders")),
    ]
    shared = shared_roots(templates, inputs)
    assert shared == {"a/orders", "a"}
    out, _, _ = qualify(templates, inputs, shared)
    assert [x.stack for x in out] == ["template/a/orders", "cdk/a", "cdk/a/orders"]
    assert len({x.stack for x in out}) == 3


def test_templates_out_of_step_with_their_inputs_are_a_bug_not_a_guess() -> None:
    import pytest

    from iacscan.load.shared_names import shared_roots
    from iacscan.model import InputInfo, Template

    templates = [Template(stack="x", file="x.yaml", kind="template", resources={})]
    with pytest.raises(RuntimeError):
        shared_roots(templates, [InputInfo("y.yaml", "template", ("y",))])


def _consumer_assembly(out: Path, stack: str) -> Path:
    """A cloud assembly with one stack, the cross-stack consumer, named ``stack``."""
    import json

    from iacscan.load.cfn import decode_text

    out.mkdir(parents=True)
    consumer = MULTI / "cross-stack" / "orders-consumer.yaml"
    data = _plain(decode_text(consumer.read_text(), str(consumer)))
    (out / "consumer.template.json").write_text(json.dumps(data))
    artifact = {
        "type": "aws:cloudformation:stack",
        "environment": "aws://unknown-account/unknown-region",
        "properties": {"templateFile": "consumer.template.json"},
    }
    manifest = {"version": "36.0.0", "artifacts": {stack: artifact}}
    (out / "manifest.json").write_text(json.dumps(manifest))
    return out


def test_a_file_and_a_cdk_out_stack_of_one_name_stay_apart(tmp_path: Path) -> None:
    """Scanned together, orders-producer.yaml and a cloud assembly's stack of the same name keep
    their own nodes, and AWS::StackName (in the producer's export name) is still the real name."""
    shutil.copy(MULTI / "cross-stack" / "orders-producer.yaml", tmp_path / "orders-producer.yaml")
    out = _consumer_assembly(tmp_path / "cdk.out", "orders-producer")
    a = scan([tmp_path / "orders-producer.yaml", out])
    assert not a.errors, a.errors
    p, c = "template/orders-producer", "cdk/orders-producer"
    assert {s for i in a.inputs for s in i.stacks} == {p, c}
    assert edge_set(a) == {
        f"{p}/IntakeUrl -triggers-> {p}/IntakeFunction",
        f"{p}/IntakeFunction -writes-> {p}/OrdersQueue",
        f"{p}/OrdersQueue -triggers-> {c}/FulfilFunction",
    }
    assert any("Two inputs give the stack name 'orders-producer'" in n for n in a.notes)


def test_diff_qualifies_both_sides_alike(tmp_path: Path) -> None:
    """A pull request adds a CDK stack named like an existing template: only the new stack's
    nodes are added; the template's nodes are not renamed on one side."""
    import json

    shutil.copy(MULTI / "cross-stack" / "orders-producer.yaml", tmp_path / "orders-producer.yaml")
    git_repo(tmp_path)
    _consumer_assembly(tmp_path / "cdk.out", "orders-producer")
    p = run_cli(
        "diff", "--base-ref", "HEAD", "orders-producer.yaml", "cdk.out", "-f", "json", cwd=tmp_path
    )
    assert p.returncode == 0, p.stderr
    nodes = json.loads(p.stdout)["changes"]["nodes"]
    assert nodes["removed"] == []
    assert "cdk/orders-producer/FulfilFunction" in nodes["added"]
    assert all(n.startswith("cdk/orders-producer/") for n in nodes["added"]), nodes["added"]


def _plain(value: object) -> object:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def test_parts_out_of_scope_are_named_in_notes() -> None:
    fixtures = MULTI.parent
    nested = scan([fixtures / "stacks" / "nested-parent.yaml"])
    assert any(
        n.startswith("nested stack Workers is not in scope") and "nested-parent.yaml:10" in n
        for n in nested.notes
    ), nested.notes
    sar = scan([fixtures / "sam" / "application.yaml"])
    assert any(
        "nested stack Thumbnails is not in scope (TemplateURL sar://" in n for n in sar.notes
    )
    machines = scan([fixtures / "sam" / "state_machine.yaml"])
    assert any(
        n.startswith("the definition of state machine Archive is in S3") for n in machines.notes
    ), machines.notes
    assert any(
        n.startswith(
            "the definition of state machine Missing is in statemachine/not-there.asl.yaml, "
            "a local file that could not be read"
        )
        for n in machines.notes
    ), machines.notes
    # a nested stack that is in scope gets no such note
    assert not any("not in scope" in n for n in scan([MULTI / "nested" / "parent.yaml"]).notes)


def test_a_nested_template_is_shown_by_a_relative_path_like_its_parent() -> None:
    import json

    root = MULTI.parent.parent
    p = run_cli("fixtures/multi/nested/parent.yaml", "-f", "json", cwd=root)
    files = {n["file"] for n in json.loads(p.stdout)["topology"]["nodes"]}
    assert files == {"fixtures/multi/nested/parent.yaml", "fixtures/multi/nested/child.yaml"}


def test_ssm_references_that_double_each_other_stay_bounded() -> None:
    from iacscan.model import Resource, Template
    from iacscan.resolve import Scope, has_unknown, unknown_reasons

    def param(name: str, value: object) -> Resource:
        return Resource(name, "AWS::SSM::Parameter", {"Name": name, "Value": value}, 1)

    resources = {"p0": param("/p0", "x" * 1000)}
    for i in range(1, 13):  # /pN is /p(N-1) twice: 4 MB at /p12 if unbounded, over MAX_TEXT
        resources[f"p{i}"] = param(
            f"/p{i}", f"{{{{resolve:ssm:/p{i - 1}}}}}-{{{{resolve:ssm:/p{i - 1}}}}}"
        )
    scope = Scope({"s": Template(stack="s", file="s.yaml", kind="template", resources=resources)})
    value = scope.resolve("s", "a{{resolve:ssm:/p12}}")
    # /p12 is an unknown part (its value was not built), and the bound that was hit is
    # recorded (reported as a limit)
    assert isinstance(value, str) and value.startswith("a") and has_unknown(value)
    assert unknown_reasons(value)[0].startswith("SSM references insert more than"), value[:200]
    assert scope.exhausted is not None and "SSM references insert more than" in scope.exhausted[0]


def test_listener_rule_on_an_imported_listener_reaches_its_own_target_group() -> None:
    """The rule's target group is in the rule's stack, the listener (and its ALB) in another."""
    a = scan([MULTI / "shared-alb" / "alb.yaml", MULTI / "shared-alb" / "users.yaml"])
    assert not a.errors and not a.internal_errors
    assert node_roles(a) == {"alb/PublicAlb": "ingress", "users/Service": "compute"}
    assert edge_set(a) == {"alb/PublicAlb -triggers-> users/Service"}
    assert a.boundary.ingress == ("alb/PublicAlb",)
    assert a.verdict.level == "serverless-with-floor"


def test_listener_default_group_imported_by_the_service_stack() -> None:
    """Listener and target group in one stack, the service that registers in it in another."""
    a = scan([MULTI / "shared-alb"])
    assert not a.errors and not a.internal_errors
    assert edge_set(a) == {
        "alb/PublicAlb -triggers-> users/Service",
        "alb/PublicAlb -triggers-> web/Service",
    }
    assert a.verdict.architecture == "distributed"


_BUS_RULE = (
    "  Rule:\n    Type: AWS::Events::Rule\n    Properties:\n"
    "      EventBusName: !Ref {param}\n      EventPattern: {{source: [{src}]}}\n"
    "      Targets: [{{Id: q, Arn: !GetAtt Queue.Arn}}]\n"
    "  Queue:\n    Type: AWS::SQS::Queue\n"
)


def _nesting(tmp_path: Path) -> Path:
    """parent (bus name from SSM, no default) -> mid (renames it) -> leaf: each has a rule on
    the bus the parent's parameter names; mid also has a parameter of its own with no value."""
    (tmp_path / "parent.yaml").write_text(
        "Parameters:\n  EventBusName:\n    Type: AWS::SSM::Parameter::Value<String>\n"
        "Resources:\n"
        + _BUS_RULE.format(param="EventBusName", src="a")
        + "  Mid:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n"
        "      TemplateURL: mid.yml\n      Parameters: {BusName: !Ref EventBusName}\n"
    )
    (tmp_path / "mid.yml").write_text(
        "Parameters:\n  BusName: {Type: String}\n  OwnBus: {Type: String}\n"
        "Resources:\n"
        + _BUS_RULE.format(param="BusName", src="b")
        + "  Own:\n    Type: AWS::Events::Rule\n    Properties:\n"
        "      EventBusName: !Ref OwnBus\n      EventPattern: {source: [c]}\n"
        "      Targets: [{Id: q, Arn: !GetAtt Queue.Arn}]\n"
        "  Leaf:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n"
        "      TemplateURL: leaf.yml\n      Parameters: {EventBusName: !Ref BusName}\n"
    )
    (tmp_path / "leaf.yml").write_text(
        "Parameters:\n  EventBusName: {Type: String}\nResources:\n"
        + _BUS_RULE.format(param="EventBusName", src="d")
    )
    return tmp_path / "parent.yaml"


def test_a_nested_parameter_bound_to_the_parents_unknown_is_that_unknown(tmp_path: Path) -> None:
    # One bus, named by the parameter it comes from (the parent's), whatever the nesting depth
    # and whatever the nested stacks call it; a nested stack's own unbound parameter is its own.
    a = scan([_nesting(tmp_path)])
    assert not a.errors and not a.internal_errors
    ext = {n for n in node_roles(a) if n.startswith("ext:")}
    assert ext == {"ext:parameter EventBusName", "ext:parameter parent/Mid/OwnBus"}
    assert {
        "ext:parameter EventBusName -triggers-> Rule",
        "ext:parameter EventBusName -triggers-> parent/Mid/Rule",
        "ext:parameter EventBusName -triggers-> parent/Mid/Leaf/Rule",
        "ext:parameter parent/Mid/OwnBus -triggers-> parent/Mid/Own",
    } <= edge_set(a)


def test_a_nested_parameter_is_named_by_its_root_stack_when_several_are_scanned(
    tmp_path: Path,
) -> None:
    parent = _nesting(tmp_path)
    (tmp_path / "other.yaml").write_text("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n")
    a = scan([parent, tmp_path / "other.yaml"])
    ext = {n for n in node_roles(a) if n.startswith("ext:")}
    assert ext == {"ext:parameter parent/EventBusName", "ext:parameter parent/Mid/OwnBus"}


def test_an_exported_unknown_parameter_is_named_by_the_exporting_stack(tmp_path: Path) -> None:
    (tmp_path / "bus.yaml").write_text(
        "Parameters:\n  BusArn: {Type: String}\nResources:\n"
        + _BUS_RULE.format(param="BusArn", src="a")
        + "Outputs:\n  Bus:\n    Value: !Ref BusArn\n    Export: {Name: bus-arn}\n"
    )
    (tmp_path / "user.yaml").write_text(
        "Resources:\n"
        + _BUS_RULE.format(param="X", src="b").replace("!Ref X", "!ImportValue bus-arn")
    )
    a = scan([tmp_path / "bus.yaml", tmp_path / "user.yaml"])
    assert {n for n in node_roles(a) if n.startswith("ext:")} == {"ext:parameter bus/BusArn"}
