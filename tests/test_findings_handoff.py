"""S3 hand-off findings (s3-intermediate-bus, fan-out-re-reads) when IAM cannot tell writers
from readers: one role shared by several functions. The hand-off comes from the workflow order,
who invokes whom and environment variables, and every message says how confident it is."""

from __future__ import annotations

import json
from pathlib import Path

from iacscan.model import Analysis, Finding
from scan_helpers import scan

TEMPLATES = Path(__file__).resolve().parent.parent / "fixtures" / "templates"
SHARED = TEMPLATES / "prime-video-before-shared-role.yaml"


def _by_rule(a: Analysis) -> dict[tuple[str, str], Finding]:
    return {(f.rule, f.resources[0]): f for f in a.findings}


def _variant(tmp_path: Path, text: str) -> Analysis:
    path = tmp_path / "variant.yaml"
    path.write_text(text)
    return scan([path])


def test_distinct_roles_are_high_confidence() -> None:
    found = _by_rule(scan([TEMPLATES / "prime-video-before.yaml"]))
    bus = found[("s3-intermediate-bus", "FramesBucket")]
    assert bus.resources == (
        "FramesBucket",
        "ConverterFunction",
        "DetectorAFunction",
        "DetectorBFunction",
    )
    assert "confidence high" in bus.message
    assert "confidence high" in found[("fan-out-re-reads", "FramesBucket")].message


def test_shared_role_uses_workflow_order_and_environment() -> None:
    found = _by_rule(scan([SHARED]))
    assert set(found) == {
        ("s3-intermediate-bus", "FramesBucket"),
        ("fan-out-re-reads", "FramesBucket"),
        ("sfn-standard-per-item", "MonitorStateMachine"),
    }
    bus = found[("s3-intermediate-bus", "FramesBucket")]
    assert bus.resources == (
        "FramesBucket",
        "ConverterFunction",
        "DetectorAFunction",
        "DetectorBFunction",
    )
    assert (
        "written by ConverterFunction, read by DetectorAFunction, DetectorBFunction" in bus.message
    )
    assert "confidence medium" in bus.message
    assert "state machine MonitorStateMachine runs them in order" in bus.message
    fan = found[("fan-out-re-reads", "FramesBucket")]
    assert fan.resources == ("FramesBucket", "DetectorAFunction", "DetectorBFunction")


def test_shared_role_without_environment_is_low_confidence(tmp_path: Path) -> None:
    head = "      Environment:\n        Variables:\n          FRAMES_BUCKET: !Ref FramesBucket\n"
    text = SHARED.read_text().replace(head + "          RESULTS_BUCKET: !Ref ResultsBucket\n", "")
    text = text.replace(head, "")
    assert "FRAMES_BUCKET" not in text
    a = _variant(tmp_path, text)
    found = _by_rule(a)
    bus = found[("s3-intermediate-bus", "FramesBucket")]
    assert "confidence low" in bus.message and "environment" not in bus.message
    # Without environment variables the converter may use ResultsBucket too: it runs before the
    # detectors, so the same order is reported there, at low confidence.
    assert "confidence low" in found[("s3-intermediate-bus", "ResultsBucket")].message


def test_invoke_chain_gives_the_direction(tmp_path: Path) -> None:
    """No state machine: the converter invokes the detector itself."""
    text = """
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]}
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
              - {Effect: Allow, Action: [s3:GetObject, s3:PutObject], Resource: !Sub "${Frames.Arn}/*"}
              - {Effect: Allow, Action: lambda:InvokeFunction, Resource: !GetAtt Detect.Arn}
  Frames: {Type: AWS::S3::Bucket}
  Convert:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: c.handler
      Role: !GetAtt Role.Arn
      Code: {S3Bucket: b, S3Key: c.zip}
      Environment: {Variables: {FRAMES: !Ref Frames}}
  Detect:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: d.handler
      Role: !GetAtt Role.Arn
      Code: {S3Bucket: b, S3Key: d.zip}
      Environment: {Variables: {FRAMES: !Ref Frames}}
"""
    found = _by_rule(_variant(tmp_path, text))
    bus = found[("s3-intermediate-bus", "Frames")]
    assert bus.resources == ("Frames", "Convert", "Detect")
    assert "Convert invokes Detect" in bus.message and "confidence medium" in bus.message


def test_unknown_order_says_so_and_claims_no_fan_out(tmp_path: Path) -> None:
    """A launcher invokes two functions that share a role and name the bucket: a hand-off is
    likely, its direction unknown, and no reader count is claimed."""
    text = """
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]}
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
              - {Effect: Allow, Action: [s3:GetObject, s3:PutObject], Resource: !Sub "${Scratch.Arn}/*"}
  LauncherRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]}
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
              - {Effect: Allow, Action: lambda:InvokeFunction, Resource: [!GetAtt StepA.Arn, !GetAtt StepB.Arn]}
  Scratch: {Type: AWS::S3::Bucket}
  Launcher:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: l.handler, Role: !GetAtt LauncherRole.Arn, Code: {S3Bucket: b, S3Key: l.zip}}
  StepA:
    Type: AWS::Lambda::Function
    Properties:
      {Runtime: python3.12, Handler: a.handler, Role: !GetAtt Role.Arn, Code: {S3Bucket: b, S3Key: a.zip},
       Environment: {Variables: {SCRATCH: !Ref Scratch}}}
  StepB:
    Type: AWS::Lambda::Function
    Properties:
      {Runtime: python3.12, Handler: b.handler, Role: !GetAtt Role.Arn, Code: {S3Bucket: b, S3Key: b.zip},
       Environment: {Variables: {SCRATCH: !Ref Scratch}}}
"""
    found = _by_rule(_variant(tmp_path, text))
    assert {k for k in found if k[0] != "lambda-calls-lambda"} == {
        ("s3-intermediate-bus", "Scratch")
    }
    message = found[("s3-intermediate-bus", "Scratch")].message
    assert "direction unknown" in message and "confidence low" in message


def test_one_function_alone_is_no_bus(tmp_path: Path) -> None:
    text = """
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]}
      Policies:
        - PolicyName: p
          PolicyDocument: {Statement: [{Effect: Allow, Action: [s3:GetObject, s3:PutObject], Resource: !Sub "${Data.Arn}/*"}]}
  Data: {Type: AWS::S3::Bucket}
  Only:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: o.handler, Role: !GetAtt Role.Arn, Code: {S3Bucket: b, S3Key: o.zip}}
"""
    assert _by_rule(_variant(tmp_path, text)) == {}


def test_reader_that_also_writes_is_the_reader(tmp_path: Path) -> None:
    """Two steps only write parts, a third reads them and writes the whole (bedrock-blog-generator
    in the corpus): the finding names the part writers and the assembler, no empty reader list."""
    role = """
  {name}:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {{Statement: [{{Effect: Allow, Principal: {{Service: lambda.amazonaws.com}}, Action: sts:AssumeRole}}]}}
      Policies:
        - PolicyName: p
          PolicyDocument: {{Statement: [{{Effect: Allow, Action: {actions}, Resource: {resource}}}]}}"""
    fn = """
  {name}:
    Type: AWS::Lambda::Function
    Properties: {{Runtime: python3.12, Handler: {name}.handler, Role: !GetAtt {role}.Arn, Code: {{S3Bucket: b, S3Key: {name}.zip}}}}"""
    parts = '!Sub "${Content.Arn}/*"'
    text = "Resources:\n  Content: {Type: AWS::S3::Bucket}" + "".join(
        [
            role.format(name="WriterRole", actions="[s3:PutObject]", resource=parts),
            role.format(
                name="AssemblerRole", actions="[s3:GetObject, s3:PutObject]", resource=parts
            ),
            role.format(
                name="LauncherRole",
                actions="lambda:InvokeFunction",
                resource="[!GetAtt GenText.Arn, !GetAtt GenImage.Arn, !GetAtt Build.Arn]",
            ),
            fn.format(name="GenText", role="WriterRole"),
            fn.format(name="GenImage", role="WriterRole"),
            fn.format(name="Build", role="AssemblerRole"),
            fn.format(name="Launcher", role="LauncherRole"),
        ]
    )
    bus = _by_rule(_variant(tmp_path, text))[("s3-intermediate-bus", "Content")]
    assert bus.resources == ("Content", "GenImage", "GenText", "Build")
    assert "written by GenImage, GenText, read by Build (confidence high" in bus.message


def test_malformed_and_deep_definitions_are_no_internal_error(tmp_path: Path) -> None:
    deep: dict[str, object] = {
        "StartAt": "T",
        "States": {"T": {"Type": "Task", "Resource": "${A.Arn}", "End": True}},
    }
    for i in range(60):  # nested Map and Parallel levels, past the walker's depth bound
        if i % 2:
            deep = {
                "StartAt": "P",
                "States": {
                    "P": {"Type": "Parallel", "Branches": [deep, 4], "Choices": 5, "Next": "C"},
                    "C": {"Type": "Task", "Resource": "${C.Arn}", "Catch": {"x": 1}, "End": True},
                },
            }
        else:
            deep = {"StartAt": "M", "States": {"M": {"Type": "Map", "Iterator": deep, "End": True}}}
    role = {"Fn::GetAtt": ["R", "Arn"]}
    env = {"Variables": {"B": {"Ref": "B"}}}
    fn = {"Role": role, "Handler": "h", "Runtime": "python3.12", "Environment": env}
    statement = {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "*"}
    template = {
        "Resources": {
            "R": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": [statement]}}]
                },
            },
            "B": {"Type": "AWS::S3::Bucket"},
            "A": {"Type": "AWS::Lambda::Function", "Properties": {**fn, "Code": {"ZipFile": "a"}}},
            "C": {"Type": "AWS::Lambda::Function", "Properties": {**fn, "Code": {"ZipFile": "c"}}},
            "SM": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {"RoleArn": role, "DefinitionString": {"Fn::Sub": json.dumps(deep)}},
            },
        }
    }
    a = _variant(tmp_path, json.dumps(template))
    assert not a.internal_errors and not a.errors


WRITER_ALSO_READS = Path(__file__).resolve().parent / "data" / "handoff_writer_also_reads.yaml"


def test_a_writer_that_also_reads_hands_nothing_to_a_step_that_runs_before_it(
    tmp_path: Path,
) -> None:
    """Extract reads the upload, then Thumbnail (read and write) writes beside it: IAM alone
    would call Thumbnail -> Extract a hand-off, but the workflow runs Extract first, so no data
    can pass that way. Run the other way round, the hand-off stands, with the order as basis;
    with no workflow order, it is only medium."""
    text = WRITER_ALSO_READS.read_text()
    assert ("s3-intermediate-bus", "PhotoBucket") not in _by_rule(_variant(tmp_path, text))
    swapped = (
        text.replace("StartAt: Extract", "StartAt: Thumb")
        .replace("Extract.Arn, Next: Thumb}", "Extract.Arn, End: true}")
        .replace("Thumbnail.Arn, End: true}", "Thumbnail.Arn, Next: Extract}")
    )
    bus = _by_rule(_variant(tmp_path, swapped))[("s3-intermediate-bus", "PhotoBucket")]
    assert bus.resources == ("PhotoBucket", "Thumbnail", "Extract")
    assert (
        "(confidence high: IAM lets Thumbnail write it and Extract read it (Thumbnail reads it "
        "too); state machine Flow runs them in that order)"
    ) in bus.message
    parallel = text.replace(
        """        StartAt: Extract
        States:
          Extract: {Type: Task, Resource: !GetAtt Extract.Arn, Next: Thumb}
          Thumb: {Type: Task, Resource: !GetAtt Thumbnail.Arn, End: true}""",
        """        StartAt: Both
        States:
          Both:
            Type: Parallel
            End: true
            Branches:
              - {StartAt: Extract, States: {Extract: {Type: Task, Resource: !GetAtt Extract.Arn, End: true}}}
              - {StartAt: Thumb, States: {Thumb: {Type: Task, Resource: !GetAtt Thumbnail.Arn, End: true}}}""",
    )
    assert parallel != text
    bus = _by_rule(_variant(tmp_path, parallel))[("s3-intermediate-bus", "PhotoBucket")]
    assert "(confidence medium:" in bus.message
    assert "no workflow the scan can read says in which order they run" in bus.message


def test_a_finding_on_a_bucket_from_outside_points_at_where_it_is_referenced() -> None:
    """The bucket comes from a parameter (an ``ext:`` node, no file of its own): the finding's
    location is the first statement that names it, not an empty file."""
    path = Path(__file__).resolve().parent / "data" / "handoff_outside_bucket.yaml"
    bus = _by_rule(scan([path]))[("s3-intermediate-bus", "ext:arn:aws:s3:::${Frames}")]
    lines = path.read_text().splitlines()
    first = next(n for n, text in enumerate(lines, 1) if "${Frames}/*" in text)
    assert (bus.file, bus.line) == (str(path), first)


def test_a_reader_that_runs_again_after_the_writer_still_gets_its_data(tmp_path: Path) -> None:
    """Extract (reader) runs first, then Thumbnail (writer), then Extract again: the second run
    reads what was written, so the hand-off stands (medium: the order alone does not say
    which run reads it). A loop back to the reader does the same."""
    text = WRITER_ALSO_READS.read_text()
    again = text.replace(
        "Thumb: {Type: Task, Resource: !GetAtt Thumbnail.Arn, End: true}",
        "Thumb: {Type: Task, Resource: !GetAtt Thumbnail.Arn, Next: Use}\n"
        "          Use: {Type: Task, Resource: !GetAtt Extract.Arn, End: true}",
    )
    looped = text.replace(
        "Thumb: {Type: Task, Resource: !GetAtt Thumbnail.Arn, End: true}",
        "Thumb: {Type: Task, Resource: !GetAtt Thumbnail.Arn, Next: More}\n"
        "          More: {Type: Choice, Choices: [{Variable: $.more, BooleanEquals: true, Next: Extract}], Default: Done}\n"
        "          Done: {Type: Succeed}",
    )
    for variant in (again, looped):
        assert variant != text
        bus = _by_rule(_variant(tmp_path, variant))[("s3-intermediate-bus", "PhotoBucket")]
        assert "written by Thumbnail, read by Extract (confidence medium:" in bus.message
