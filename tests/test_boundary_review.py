"""Cases found in the final review: the default bus as egress, and what a no-compute stack with
an unknown property says."""

from __future__ import annotations

from pathlib import Path

from scan_helpers import scan

PUBLISHER = """
Resources:
  Publisher:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: i.h
      Role: !GetAtt Role.Arn
      Code: {ZipFile: x}
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Version: "2012-10-17", Statement: []}
      Policies:
        - PolicyName: put
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - {Effect: Allow, Action: events:PutEvents, Resource: !Sub "arn:aws:events:${AWS::Region}:${AWS::AccountId}:event-bus/default"}
  Nightly:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 day)
      Targets: [{Id: p, Arn: !GetAtt Publisher.Arn}]
"""

LISTENER = """
  Listener:
    Type: AWS::Events::Rule
    Properties:
      EventBusName: !Sub "arn:aws:events:${AWS::Region}:${AWS::AccountId}:event-bus/default"
      EventPattern: {source: [shop]}
      Targets: [{Id: p, Arn: !GetAtt Publisher.Arn}]
"""


def test_a_schedule_rule_does_not_read_the_default_bus(tmp_path: Path) -> None:
    """The bus a function writes is egress unless a rule in scope has a pattern on it: a
    schedule-only rule listens on no bus."""
    template = tmp_path / "t.yaml"
    template.write_text(PUBLISHER)
    assert "ext:default-event-bus" in scan([str(template)]).boundary.egress
    template.write_text(PUBLISHER + LISTENER)  # a pattern on the default bus, named by ARN
    a = scan([str(template)])
    assert "ext:default-event-bus" not in a.boundary.egress
    assert "Listener" in a.boundary.ingress


def test_an_unknown_property_of_a_storage_stack_is_not_unseen_compute(tmp_path: Path) -> None:
    template = tmp_path / "t.yaml"
    template.write_text(
        "Parameters:\n  Mode: {Type: String}\n"
        "Resources:\n  Table:\n    Type: AWS::DynamoDB::Table\n"
        "    Properties: {BillingMode: !Ref Mode, KeySchema: [], AttributeDefinitions: []}\n"
    )
    v = scan([str(template)]).verdict
    assert v.level == "no-compute"
    assert "compute may be out of scope" not in v.summary
    assert not any("not everything was seen" in w for w in v.warnings)


SEEDED_SITE = """
Resources:
  SiteBucket: {Type: AWS::S3::Bucket}
  DeployRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]}
  DeployPolicy:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: p
      Roles: [!Ref DeployRole]
      PolicyDocument: {Statement: [{Effect: Allow, Action: ["s3:PutObject*"], Resource: [!Sub "${SiteBucket.Arn}/*"]}]}
  DeployHandler:
    Type: AWS::Lambda::Function
    Properties: {Handler: index.handler, Runtime: python3.11, Role: !GetAtt DeployRole.Arn, Code: {ZipFile: x}}
  Seed:
    Type: Custom::CDKBucketDeployment
    Properties: {ServiceToken: !GetAtt DeployHandler.Arn, DestinationBucketName: !Ref SiteBucket}
"""


def test_a_bucket_only_a_deploy_time_helper_writes_is_not_egress(tmp_path: Path) -> None:
    """A BucketDeployment seeds the bucket at deploy time: the running system does not write
    it, so it is not the system's output (and adding one must not move the black box)."""
    template = tmp_path / "t.yaml"
    template.write_text(SEEDED_SITE)
    a = scan([str(template)])
    assert {n.id for n in a.topology.nodes if n.deploy_time} == {"DeployHandler"}
    assert "DeployHandler -writes-> SiteBucket" in {
        f"{e.source} -{e.kind}-> {e.target}" for e in a.topology.edges
    }
    assert (set(a.boundary.ingress), set(a.boundary.egress)) == (set(), set())


def test_a_static_website_bucket_is_ingress_and_gets_a_level(tmp_path: Path) -> None:
    """A bucket with website hosting serves outside requests on its endpoint: a static site
    (seeded by a deploy-time copier or not) is a serverless system, not "no compute"; the same
    bucket without WebsiteConfiguration stays storage only."""
    template = tmp_path / "t.yaml"
    site = SEEDED_SITE.replace(
        "  SiteBucket: {Type: AWS::S3::Bucket}",
        "  SiteBucket:\n    Type: AWS::S3::Bucket\n"
        "    Properties: {WebsiteConfiguration: {IndexDocument: index.html}}",
    )
    assert site != SEEDED_SITE
    template.write_text(site)
    a = scan([str(template)])
    assert (set(a.boundary.ingress), set(a.boundary.egress)) == ({"SiteBucket"}, set())
    assert (a.verdict.level, a.verdict.serverless, a.verdict.architecture) == (
        "serverless",
        True,
        "none",
    )
    template.write_text(SEEDED_SITE)
    assert scan([str(template)]).verdict.level == "no-compute"
