"""SAM templates through load.sam: offline translation, origins, lines, local files, errors."""

from __future__ import annotations

import csv
import json
import socket
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from iacscan.errors import IacscanError, InputParseError, LimitError
from iacscan.load.cfn import DEFAULT_LIMITS, Limits, decode_text, is_sam, read_text
from iacscan.load.language_extensions import expand_language_extensions
from iacscan.load.sam import transform_sam
from iacscan.load.sam_prepare import plain
from iacscan.model import Template, line_of

SAM = Path(__file__).resolve().parent.parent / "fixtures" / "sam"
CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No network and no credentials: any connection attempt fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")


def decode(path: Path) -> Mapping[str, Any]:
    return decode_text(path.read_text(), str(path))


def load(name: str, path: Path = SAM, **kwargs: Any) -> Template:
    file = path / name
    kwargs.setdefault("limits", DEFAULT_LIMITS)
    return transform_sam(
        decode(file), file=str(file), stack=file.stem, base_dir=file.parent, **kwargs
    )


def sam_line(name: str, logical_id: str) -> int:
    """The line of a resource as the user wrote it (what generated resources point at)."""
    line = line_of(decode(SAM / name)["Resources"][logical_id])
    assert line is not None
    return line


def text_line(name: str, text: str) -> int:
    lines = (SAM / name).read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.strip() == text)


def ids_types(template: Template) -> set[tuple[str, str]]:
    return {(r.logical_id, r.type) for r in template.resources.values()}


def dump(template: Template) -> str:
    return json.dumps(
        plain(
            {
                "resources": {k: [r.properties, r.metadata] for k, r in template.resources.items()},
                "outputs": template.outputs,
                "conditions": template.conditions,
            }
        )
    )


def statements(role: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for policy in role.get("Policies", []):
        yield from policy["PolicyDocument"]["Statement"]


def actions(role: Mapping[str, Any]) -> set[str]:
    found: set[str] = set()
    for statement in statements(role):
        action = statement["Action"]
        found.update([action] if isinstance(action, str) else action)
    return found


# --------------------------------------------------------------------------- event sources


def test_push_events_translate_with_origins_and_lines() -> None:
    t = load("events_push.yaml")
    assert t.kind == "sam" and t.stack == "events_push"
    expected = {
        ("Uploads", "AWS::S3::Bucket"),
        ("Alerts", "AWS::SNS::Topic"),
        ("ApiHandler", "AWS::Lambda::Function"),
        ("ServerlessRestApi", "AWS::ApiGateway::RestApi"),
        ("ServerlessRestApiProdStage", "AWS::ApiGateway::Stage"),
        ("ApiHandlerGetOrderPermissionProd", "AWS::Lambda::Permission"),
        ("ServerlessHttpApi", "AWS::ApiGatewayV2::Api"),
        ("ApiHandlerListOrdersPermission", "AWS::Lambda::Permission"),
        ("OnUpload", "AWS::Lambda::Function"),
        ("OnUploadCreatedPermission", "AWS::Lambda::Permission"),
        ("OnAlertAlert", "AWS::SNS::Subscription"),
        ("OnEventsOrderPlaced", "AWS::Events::Rule"),
        ("OnEventsLegacy", "AWS::Events::Rule"),
        ("OnEventsNightly", "AWS::Events::Rule"),
        ("OnEventsHourly", "AWS::Scheduler::Schedule"),
        ("OnEventsHourlyRole", "AWS::IAM::Role"),
        ("TelemetryIot", "AWS::IoT::TopicRule"),
        ("TelemetryLogs", "AWS::Logs::SubscriptionFilter"),
        ("OnSignUpCognitoPermission", "AWS::Lambda::Permission"),
        ("Users", "AWS::Cognito::UserPool"),
    }
    assert expected <= ids_types(t)
    assert not any(r.type.startswith("AWS::Serverless::") for r in t.resources.values())
    for lid, origin in {
        "OnEventsHourly": "OnEvents",
        "OnAlertAlert": "OnAlert",
        "TelemetryLogs": "Telemetry",
        "ServerlessRestApi": "ApiHandler",  # implicit API: the first function using it
        "ServerlessHttpApi": "ApiHandler",
        "ApiHandler": "ApiHandler",
    }.items():
        assert t.resources[lid].origin == origin, lid
        assert t.resources[lid].line == sam_line("events_push.yaml", origin), lid
    # resources the user wrote have no origin and keep their own line
    assert t.resources["Alerts"].origin is None
    assert t.resources["Alerts"].line == sam_line("events_push.yaml", "Alerts")
    # the bucket gets its notification from the S3 event
    notifications = t.resources["Uploads"].properties["NotificationConfiguration"]
    assert notifications["LambdaConfigurations"][0]["Event"] == "s3:ObjectCreated:*"
    # the user pool the Cognito event changed keeps the line marks of unchanged values
    users = t.resources["Users"]
    assert "PreSignUp" in users.properties["LambdaConfig"]
    assert line_of(users.properties["UserPoolName"]) == text_line(
        "events_push.yaml", "UserPoolName: shop-users"
    )


def test_pull_events_make_event_source_mappings() -> None:
    t = load("events_pull.yaml")
    mappings = {
        lid: r for lid, r in t.resources.items() if r.type == "AWS::Lambda::EventSourceMapping"
    }
    assert set(mappings) == {
        "WorkerFromQueue",
        "StreamReaderFromKinesis",
        "StreamReaderFromTable",
        "BrokersFromMsk",
        "BrokersFromMq",
        "BrokersFromSelfManaged",
        "BrokersFromDocDb",
    }
    worker = mappings["WorkerFromQueue"]
    assert worker.origin == "Worker"
    assert worker.line == sam_line("events_pull.yaml", "Worker")
    assert plain(worker.properties["EventSourceArn"]) == {"Fn::GetAtt": ["Jobs", "Arn"]}
    assert worker.properties["BatchSize"] == 5
    assert mappings["BrokersFromDocDb"].origin == "Brokers"
    assert "SelfManagedEventSource" in mappings["BrokersFromSelfManaged"].properties
    assert plain(mappings["StreamReaderFromTable"].properties["EventSourceArn"]) == {
        "Fn::GetAtt": ["Orders", "StreamArn"]
    }
    # the user's plain resources are the decoded values themselves (line marks kept)
    orders = t.resources["Orders"].properties
    assert line_of(orders["BillingMode"]) == text_line(
        "events_pull.yaml", "BillingMode: PAY_PER_REQUEST"
    )
    assert line_of(orders["StreamSpecification"]) == 1 + text_line(
        "events_pull.yaml", "StreamSpecification:"
    )
    # the parameter default is not baked into the mapping: the resolver does that
    assert plain(mappings["BrokersFromMsk"].properties["EventSourceArn"]) == {"Ref": "KafkaCluster"}


def test_pseudo_parameters_do_not_leak() -> None:
    for name in ("events_push.yaml", "globals_alias.yaml", "state_machine.yaml"):
        text = dump(load(name))
        for needle in ("us-east-1", "123456789012", "IntrinsicFunction", "iacscan-", "iacscan:"):
            assert needle not in text, (name, needle)
    t = load("events_push.yaml")
    assert "${AWS::Region}" in plain(t.outputs["ApiUrl"]["Value"])["Fn::Sub"]


# --------------------------------------------------------------------------- Globals, policies


def test_globals_alias_policy_templates_and_connectors() -> None:
    t = load("globals_alias.yaml")
    fn = t.resources["CreateOrderFunction"]
    assert fn.type == "AWS::Lambda::Function" and fn.origin == "CreateOrderFunction"
    assert fn.line == sam_line("globals_alias.yaml", "CreateOrderFunction")
    assert fn.properties["MemorySize"] == 256  # from Globals
    assert fn.properties["Code"] == "src/"  # the local CodeUri, as before `sam package`
    assert line_of(fn.properties["Handler"]) == text_line(
        "globals_alias.yaml", "Handler: create.handler"
    )
    assert ("CreateOrderFunctionAliaslive", "AWS::Lambda::Alias") in ids_types(t)
    assert ("AuditFunctionAliasaudit", "AWS::Lambda::Alias") in ids_types(t)
    assert ("OrdersTable", "AWS::DynamoDB::Table") in ids_types(t)

    role = t.resources["CreateOrderFunctionRole"].properties
    assert {
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
    } <= set(role["ManagedPolicyArns"])
    assert {
        "dynamodb:PutItem",
        "s3:GetObject",
        "sqs:SendMessage*",
        "sns:Publish",
        "states:StartExecution",
        "lambda:InvokeFunction",
        "events:PutEvents",
    } <= actions(role)

    # gradual deployment resources come from the function that asked for it
    for lid in ("ServerlessDeploymentApplication", "CreateOrderFunctionDeploymentGroup"):
        assert t.resources[lid].origin == "CreateOrderFunction"
    # connectors: embedded (origin = the resource that holds it) and standalone
    embedded = t.resources["CreateOrderFunctionToOutboxPolicy"]
    assert embedded.type == "AWS::IAM::ManagedPolicy"
    assert embedded.origin == "CreateOrderFunction"
    assert "aws:sam:connectors" in embedded.metadata
    standalone = t.resources["AuditReadsOrdersPolicy"]
    assert standalone.origin == "AuditReadsOrders"
    assert standalone.line == sam_line("globals_alias.yaml", "AuditReadsOrders")
    statement = standalone.properties["PolicyDocument"]["Statement"][0]
    assert "dynamodb:GetItem" in statement["Action"]

    assert plain(t.outputs["CreateOrderAlias"]["Value"]) == {"Ref": "CreateOrderFunctionAliaslive"}
    assert plain(t.outputs["Region"]["Value"]) == {"Ref": "AWS::Region"}
    assert all("iacscan:SamResourceId" not in r.metadata for r in t.resources.values())


def test_parameter_values_win_over_defaults() -> None:
    t = load("globals_alias.yaml", parameter_values={"AliasName": "blue"})
    assert "CreateOrderFunctionAliasblue" in t.resources
    assert "CreateOrderFunctionAliaslive" not in t.resources
    assert t.parameter_values == {"AliasName": "blue"}


# --------------------------------------------------------------------------- state machines


def test_state_machine_local_definition_uri_is_inlined() -> None:
    t = load("state_machine.yaml")
    flow = t.resources["OrderFlow"]
    assert flow.type == "AWS::StepFunctions::StateMachine"
    definition = "\n".join(flow.properties["DefinitionString"]["Fn::Join"][1])
    assert json.loads(definition)["States"]["Store"]["Resource"] == (
        "arn:aws:states:::dynamodb:putItem"
    )
    assert "${OrdersTable}" in definition
    assert set(flow.properties["DefinitionSubstitutions"]) == {
        "ChargeFunctionArn",
        "OrdersTable",
        "NotifyTopic",
    }
    attached = t.attachments["statemachine/order.asl.json"]
    assert attached["StartAt"] == "Charge"
    assert line_of(attached["States"]) == 4  # marks are lines of the definition file
    role = t.resources["OrderFlowRole"].properties
    assert {"lambda:InvokeFunction", "dynamodb:PutItem", "sns:Publish"} <= actions(role)
    for lid, origin in {
        "OrderFlowOnOrder": "OrderFlow",
        "OrderFlowStartRole": "OrderFlow",
        "ServerlessRestApi": "OrderFlow",
        "CleanupDaily": "Cleanup",
    }.items():
        assert t.resources[lid].origin == origin, lid
        assert t.resources[lid].line == sam_line("state_machine.yaml", origin)
    assert ("CleanupDaily", "AWS::Scheduler::Schedule") in ids_types(t)
    assert "DefinitionString" in t.resources["Cleanup"].properties
    # an S3 definition stays unresolved; a missing local file stays a local path
    assert plain(t.resources["Archive"].properties["DefinitionS3Location"]) == {
        "Bucket": "shop-artifacts",
        "Key": "archive.asl.json",
    }
    assert t.resources["Missing"].properties["DefinitionS3Location"] == (
        "statemachine/not-there.asl.yaml"
    )
    assert "DefinitionString" not in t.resources["Missing"].properties


def test_definition_over_the_size_limit_is_not_read() -> None:
    t = load("state_machine.yaml", limits=Limits(max_definition_size=100))
    flow = t.resources["OrderFlow"].properties
    assert flow["DefinitionS3Location"] == "statemachine/order.asl.json"
    assert "DefinitionString" not in flow
    assert "statemachine/order.asl.json" not in t.attachments


# --------------------------------------------------------------------------- local files


def test_serverless_application_becomes_nested_stack() -> None:
    t = load("application.yaml")
    payments = t.resources["Payments"]
    assert payments.type == "AWS::CloudFormation::Stack"
    assert payments.properties["TemplateURL"] == "nested/payments.yaml"
    assert plain(payments.properties["Parameters"]) == {"TableName": "payments"}
    assert plain(payments.properties["Tags"]) == [{"Key": "team", "Value": "billing"}]
    assert payments.origin == "Payments"
    assert payments.line == sam_line("application.yaml", "Payments")
    thumbnails = t.resources["Thumbnails"]
    assert thumbnails.type == "AWS::CloudFormation::Stack"
    assert thumbnails.properties["TemplateURL"] == (
        "sar://arn:aws:serverlessrepo:us-east-1:111122223333:applications/thumbnails@1.2.3"
    )
    assert thumbnails.properties["TimeoutInMinutes"] == 15
    env = t.resources["Gateway"].properties["Environment"]["Variables"]
    assert plain(env["PAYMENTS"]) == {"Fn::GetAtt": ["Payments", "Outputs.FunctionArn"]}


def test_local_include_and_openapi_definition_uri() -> None:
    t = load("include.yaml")
    body = t.resources["ShopApi"].properties["Body"]
    # the included file; SAM adds no event paths to a body the user wrote
    assert set(body["paths"]) == {"/health"}
    assert "x-amazon-apigateway-policy" in body
    assert t.resources["PublicApi"].properties["BodyS3Location"] == "api/openapi.yaml"
    assert t.attachments["api/openapi.yaml"]["info"]["title"] == "shop"
    assert t.resources["CatalogListPermissionprod"].origin == "Catalog"


def test_missing_include_names_the_file_in_the_hint(tmp_path: Path) -> None:
    text = (SAM / "include.yaml").read_text().replace("api/openapi.yaml", "gone.yaml")
    (tmp_path / "t.yaml").write_text(text)
    with pytest.raises(InputParseError) as info:
        load("t.yaml", path=tmp_path)
    assert "DefinitionBody" in info.value.message
    assert "gone.yaml" in info.value.hint
    assert info.value.line == line_of(decode(tmp_path / "t.yaml")["Resources"]["ShopApi"])


def test_functions_before_sam_build(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\n"
        "Resources:\n"
        "  NoCodeUri:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties: {Runtime: python3.12, Handler: app.handler}\n"
        "  Image:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties: {PackageType: Image}\n"
        "    Metadata: {DockerContext: ./image, Dockerfile: Dockerfile}\n"
        "  Layer:\n"
        "    Type: AWS::Serverless::LayerVersion\n"
        "    Properties: {ContentUri: layers/common/}\n"
    )
    t = load("t.yaml", path=tmp_path)
    assert t.resources["NoCodeUri"].properties["Code"] == "."
    assert t.resources["Image"].properties["PackageType"] == "Image"
    assert t.resources["Image"].properties["Code"] == {}  # the image is not built yet
    assert t.resources["Image"].metadata["DockerContext"] == "./image"
    layers = [r for r in t.resources.values() if r.type == "AWS::Lambda::LayerVersion"]
    assert [r.properties["Content"] for r in layers] == ["layers/common/"]
    assert layers[0].origin == "Layer"


def test_unreadable_definition_files_stay_unresolved(tmp_path: Path) -> None:
    (tmp_path / "bin.json").write_bytes(b"\x00\x01\x02" * 100)
    (tmp_path / "list.json").write_text("[1, 2]")
    (tmp_path / "dir.json").mkdir()
    machines = "".join(
        f"  {name}:\n    Type: AWS::Serverless::StateMachine\n"
        f"    Properties: {{DefinitionUri: {uri}, Role: arn:aws:iam::1:role/r}}\n"
        for name, uri in (("Bin", "bin.json"), ("List", "list.json"), ("Dir", "dir.json"))
    )
    (tmp_path / "t.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n" + machines
    )
    t = load("t.yaml", path=tmp_path)
    for name, uri in (("Bin", "bin.json"), ("List", "list.json"), ("Dir", "dir.json")):
        assert t.resources[name].properties["DefinitionS3Location"] == uri
    assert not t.attachments


# --------------------------------------------------------------------------- language extensions


def test_language_extensions_with_sam() -> None:
    t = load("foreach.yaml")
    assert {
        ("BillingQueue", "AWS::SQS::Queue"),
        ("ShippingQueue", "AWS::SQS::Queue"),
        ("BillingWorker", "AWS::Lambda::Function"),
        ("ShippingWorkerMessages", "AWS::Lambda::EventSourceMapping"),
        ("TopicOrders", "AWS::SNS::Topic"),
        ("TopicInvoices", "AWS::SNS::Topic"),
    } <= ids_types(t)
    worker = t.resources["BillingWorker"].properties
    assert worker["Handler"] == "Billing.handler"
    assert worker["MemorySize"] == 1024  # Fn::FindInMap found the key
    assert worker["Timeout"] == 30  # Fn::FindInMap fell back to DefaultValue
    env = worker["Environment"]["Variables"]
    assert env["QUEUE_COUNT"] == 3
    assert plain(env["CONFIG"]) == {
        "Fn::Join": ["", ['{"name":"Billing","queue":"', {"Ref": "AWS::Region"}, '"}']]
    }
    esm = t.resources["ShippingWorkerMessages"]
    assert plain(esm.properties["EventSourceArn"]) == {"Fn::GetAtt": ["ShippingQueue", "Arn"]}
    assert esm.origin == "ShippingWorker"
    loop = text_line("foreach.yaml", "Fn::ForEach::Queues:")
    assert loop < t.resources["BillingQueue"].line < loop + 6  # lines inside the loop body
    assert t.outputs["TopicCount"]["Value"] == 2
    assert plain(t.outputs["ShippingQueueUrl"]["Value"]) == {"Ref": "ShippingQueue"}


def test_language_extensions_alone_and_parameter_values() -> None:
    data = decode(SAM / "foreach.yaml")
    expanded = expand_language_extensions(
        data, file="foreach.yaml", parameter_values={"Topics": "A,B,C"}
    )
    assert expanded["Transform"] == ["AWS::Serverless-2016-10-31"]
    assert is_sam(expanded)
    topics = {k for k, v in expanded["Resources"].items() if v["Type"] == "AWS::SNS::Topic"}
    assert topics == {"TopicA", "TopicB", "TopicC"}
    assert "Fn::ForEach::Queues" in data["Resources"]  # the input is not changed


def test_for_each_over_parameter_without_default() -> None:
    file = SAM / "foreach_no_default.yaml"
    with pytest.raises(InputParseError) as info:
        expand_language_extensions(decode(file), file=str(file))
    err = info.value
    assert "Fn::ForEach::Buckets" in err.message and "Names" in err.message
    assert err.line == text_line("foreach_no_default.yaml", "Fn::ForEach::Buckets:")
    assert err.file == str(file) and "Default" in err.hint


# --------------------------------------------------------------------------- errors


def test_rejected_template_quotes_the_translator() -> None:
    with pytest.raises(InputParseError) as info:
        load("rejected.yaml")
    err = info.value
    assert "Missing required property 'Queue'" in err.message
    assert err.file.endswith("rejected.yaml")
    assert err.line == sam_line("rejected.yaml", "Broken")
    assert "sam validate" in err.hint


def test_translator_crash_becomes_parse_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from samtranslator.translator.translator import Translator

    def boom(*args: object, **kwargs: object) -> None:
        raise KeyError("Properties")

    monkeypatch.setattr(Translator, "translate", boom)
    with pytest.raises(InputParseError) as info:
        load("events_pull.yaml")
    assert info.value.message.startswith("the SAM translator failed: KeyError")


def test_odd_sam_shapes_give_clean_errors(tmp_path: Path) -> None:
    cases = {
        "props-list": "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties: []\n",
        "events-str": (
            "Resources:\n  F:\n    Type: AWS::Serverless::Function\n"
            "    Properties: {CodeUri: s3://b/k, Handler: a.b, Runtime: python3.12, Events: x}\n"
        ),
        "app-no-location": "Resources:\n  A:\n    Type: AWS::Serverless::Application\n",
        "sm-both": (
            "Resources:\n  S:\n    Type: AWS::Serverless::StateMachine\n"
            "    Properties: {Definition: {StartAt: A}, DefinitionUri: x.json}\n"
        ),
    }
    for name, body in cases.items():
        (tmp_path / f"{name}.yaml").write_text("Transform: AWS::Serverless-2016-10-31\n" + body)
        try:
            load(f"{name}.yaml", path=tmp_path)
        except (InputParseError, LimitError) as err:
            assert err.message and err.file, name


# --------------------------------------------------------------------------- the public corpus


def _sam_corpus() -> list[Path]:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.is_file():
        return []
    with manifest.open() as f:
        return [
            CORPUS / r["path"] for r in csv.DictReader(f, delimiter="\t") if r["is_sam"] == "true"
        ]


@pytest.mark.slow
@pytest.mark.skipif(not _sam_corpus(), reason="../shared/corpus is not present")
def test_sam_corpus_translates_or_fails_cleanly() -> None:
    translated, rejected, unexpected = 0, 0, []
    for path in _sam_corpus():
        try:
            data = decode_text(read_text(path), str(path))
            transform_sam(
                data, file=str(path), stack=path.stem, base_dir=path.parent, limits=DEFAULT_LIMITS
            )
            translated += 1
        except (InputParseError, LimitError) as err:
            assert err.message and err.file == str(path)
            rejected += 1
        except IacscanError as err:  # another kind of our errors would be unexpected here
            unexpected.append(f"{path}: {type(err).__name__}: {err.message}")
        except Exception as err:
            unexpected.append(f"{path}: {type(err).__name__}: {err}")
    print(f"\nSAM corpus: {translated} translated, {rejected} rejected")
    assert not unexpected, "\n".join(unexpected[:20])
    assert translated >= 580


def test_the_one_walk_copy_equals_plain_then_inline_includes(tmp_path: Path) -> None:
    """sam_prepare copies the template and reads local includes in one walk; it must give what
    the two walks gave (values, plain key types, which files were read and in which order)."""
    from iacscan.load.sam_prepare import Prepared, _Preparer

    (tmp_path / "snippet.yaml").write_text(
        "Included: {Fn::Transform: {Name: AWS::Include, "
        "Parameters: {Location: inner.yaml}}}\nN: 1\n"
    )
    (tmp_path / "inner.yaml").write_text("Deep: true\n")
    text = (SAM / "include.yaml").read_text() + (
        "  Extra:\n    Type: AWS::SNS::Topic\n    Properties:\n"
        "      Tags:\n        - Fn::Transform: {Name: AWS::Include, Parameters: {Location: snippet.yaml}}\n"
        "      Merged:\n        Kept: 2\n        Fn::Transform: {Name: AWS::Include, "
        "Parameters: {Location: snippet.yaml}}\n"
        "      Gone:\n        Fn::Transform: {Name: AWS::Include, Parameters: {Location: gone.yaml}}\n"
    )
    data = decode_text(text, "t.yaml")
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "openapi.yaml").write_text((SAM / "api" / "openapi.yaml").read_text())

    def walked(one_walk: bool) -> tuple[str, list[str], list[str]]:
        prep = _Preparer(tmp_path, DEFAULT_LIMITS, Prepared(template={}), "t.yaml")
        copy = prep.plain_with_includes(data) if one_walk else prep.inline_includes(plain(data))
        dump = json.dumps(copy, default=lambda v: f"<{type(v).__name__}>")
        assert {type(k) for k in copy["Resources"]["Extra"]["Properties"]} == {str}
        return dump, list(prep.out.attachments), list(prep.out.unread)

    one = walked(True)
    assert '"Deep": true' in one[0] and '"Kept": 2' in one[0]
    assert one[1] == ["api/openapi.yaml", "snippet.yaml", "inner.yaml"] and one[2] == ["gone.yaml"]
    assert one == walked(False)
