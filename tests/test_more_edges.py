"""Edges found missing in a review of real systems: IAM grants for the Redshift Data API,
SageMaker and EMR Serverless; a Batch job's role; Glue triggers and crawlers; dead-letter
queues of rule targets and pipes; a Firehose source outside the scan; an exported bastion."""

from __future__ import annotations

from pathlib import Path

from scan_helpers import edge_set, node_roles, scan

FN = """
  FnRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Statement: []}
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement: STATEMENTS
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: i.h
      Role: !GetAtt FnRole.Arn
      Code: {ZipFile: x}
  FnUrl:
    Type: AWS::Lambda::Url
    Properties: {AuthType: NONE, TargetFunctionArn: !GetAtt Fn.Arn}
"""
URL = "FnUrl -triggers-> Fn"


def _fn(tmp_path: Path, resources: str, statements: str, name: str = "t.yaml") -> Path:
    path = tmp_path / name
    body = FN.replace("STATEMENTS", statements)
    path.write_text(f"Resources:{resources}{body}", encoding="utf-8")
    return path


def _edges(path: Path) -> set[str]:
    return edge_set(scan([str(path)]))


# ------------------------------------------------------------------ Redshift Data API

REDSHIFT = """
  Ns:
    Type: AWS::RedshiftServerless::Namespace
    Properties: {NamespaceName: n}
  Wg:
    Type: AWS::RedshiftServerless::Workgroup
    Properties: {WorkgroupName: w, NamespaceName: !Ref Ns}
  Other:
    Type: AWS::RedshiftServerless::Workgroup
    Properties: {WorkgroupName: o, NamespaceName: other}
  Cluster:
    Type: AWS::Redshift::Cluster
    Properties: {NodeType: ra3.xlplus, ClusterType: single-node, DBName: d, MasterUsername: u}
"""
RW_WG = {URL, "Fn -writes-> Wg", "Wg -reads-> Fn"}


def test_redshift_data_on_the_workgroup(tmp_path: Path) -> None:
    statements = """
              - Effect: Allow
                Action: [redshift-data:ExecuteStatement, redshift-serverless:GetCredentials]
                Resource: !GetAtt Wg.Workgroup.WorkgroupArn"""
    assert _edges(_fn(tmp_path, REDSHIFT, statements)) == RW_WG


def test_redshift_data_on_the_namespace_reaches_its_workgroup(tmp_path: Path) -> None:
    statements = """
              - Effect: Allow
                Action: redshift-data:BatchExecuteStatement
                Resource: !GetAtt Ns.Namespace.NamespaceArn"""
    assert _edges(_fn(tmp_path, REDSHIFT, statements)) == RW_WG


def test_redshift_data_on_any_with_credentials_for_one_workgroup(tmp_path: Path) -> None:
    statements = """
              - {Effect: Allow, Action: redshift-data:ExecuteStatement, Resource: "*"}
              - Effect: Allow
                Action: redshift-serverless:GetCredentials
                Resource: !GetAtt Wg.Workgroup.WorkgroupArn"""
    a = scan([str(_fn(tmp_path, REDSHIFT, statements))])
    edges = {f"{e.source} -{e.kind}-> {e.target}": e for e in a.topology.edges}
    # the wildcard reaches every workgroup and cluster (weakly); the credentials name one
    assert set(edges) == RW_WG | {
        "Fn -writes-> Other",
        "Other -reads-> Fn",
        "Fn -writes-> Cluster",
        "Cluster -reads-> Fn",
    }
    assert not all(v.weak for v in edges["Fn -writes-> Wg"].via)
    assert all(v.weak for v in edges["Fn -writes-> Other"].via)


def test_redshift_data_on_a_provisioned_cluster(tmp_path: Path) -> None:
    statements = """
              - Effect: Allow
                Action: redshift-data:ExecuteStatement
                Resource: !Sub "arn:aws:redshift:${AWS::Region}:${AWS::AccountId}:cluster:${Cluster}\""""
    assert _edges(_fn(tmp_path, REDSHIFT, statements)) == {
        URL,
        "Fn -writes-> Cluster",
        "Cluster -reads-> Fn",
    }


# ------------------------------------------------------------------ SageMaker, EMR Serverless

SAGEMAKER = """
  Ep:
    Type: AWS::SageMaker::Endpoint
    Properties: {EndpointConfigName: c}
"""


def test_sagemaker_invoke_endpoint(tmp_path: Path) -> None:
    statements = """
              - {Effect: Allow, Action: sagemaker:InvokeEndpoint, Resource: !Ref Ep}"""
    assert _edges(_fn(tmp_path, SAGEMAKER, statements)) == {URL, "Fn -invokes-> Ep"}


EMR = """
  App:
    Type: AWS::EMRServerless::Application
    Properties: {ReleaseLabel: emr-7.0.0, Type: SPARK}
"""


def test_emr_serverless_start_job_run(tmp_path: Path) -> None:
    statements = """
              - {Effect: Allow, Action: emr-serverless:StartJobRun, Resource: !GetAtt App.Arn}"""
    a = scan([str(_fn(tmp_path, EMR, statements))])
    assert edge_set(a) == {URL, "Fn -invokes-> App"}
    assert a.verdict.architecture == "single-service"  # Fn only launches the job


# ------------------------------------------------------------------ Batch job role

BATCH = """
  Bucket:
    Type: AWS::S3::Bucket
  CE:
    Type: AWS::Batch::ComputeEnvironment
    Properties:
      Type: MANAGED
      ComputeResources: {Type: FARGATE, MaxvCpus: 16, Subnets: [s], SecurityGroupIds: [g]}
  Queue:
    Type: AWS::Batch::JobQueue
    Properties:
      Priority: 1
      ComputeEnvironmentOrder: [{Order: 1, ComputeEnvironment: !Ref CE}]
  JobRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Statement: []}
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: [s3:GetObject, s3:PutObject]
                Resource: !Sub ${Bucket.Arn}/*
  JobDef:
    Type: AWS::Batch::JobDefinition
    Properties:
      Type: container
      ContainerProperties:
        Image: debian
        JobRoleArn: !GetAtt JobRole.Arn
"""


def test_batch_job_role_grants_are_the_jobs_reads_and_writes(tmp_path: Path) -> None:
    statements = """
              - {Effect: Allow, Action: batch:SubmitJob, Resource: [!Ref Queue, !Ref JobDef]}"""
    a = scan([str(_fn(tmp_path, BATCH, statements))])
    assert edge_set(a) == {
        URL,
        "Fn -invokes-> Queue",
        "Queue -writes-> Bucket",
        "Bucket -reads-> Queue",
    }
    # Fn only submits the job: a launcher, and the job queue is the one unit
    assert a.verdict.architecture == "single-service"


def test_batch_job_definition_on_a_queue_of_another_grant(tmp_path: Path) -> None:
    """A job definition no grant pairs with a queue runs on the queues of its stack."""
    statements = """
              - {Effect: Allow, Action: batch:SubmitJob, Resource: "*"}"""
    assert {"Queue -writes-> Bucket", "Bucket -reads-> Queue"} <= _edges(
        _fn(tmp_path, BATCH, statements)
    )


# ------------------------------------------------------------------ Glue

GLUE = """
Resources:
  Data:
    Type: AWS::S3::Bucket
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: orders
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
  Job:
    Type: AWS::Glue::Job
    Properties:
      Name: etl
      Role: arn:aws:iam::123456789012:role/g
      Command: {Name: glueetl, ScriptLocation: s3://b/s.py}
  Nightly:
    Type: AWS::Glue::Trigger
    Properties:
      Type: SCHEDULED
      Schedule: cron(0 * * * ? *)
      StartOnCreation: true
      Actions: [{JobName: !Ref Job}]
  OnDemand:
    Type: AWS::Glue::Trigger
    Properties:
      Type: ON_DEMAND
      Actions: [{JobName: etl}]
  AfterEtl:
    Type: AWS::Glue::Trigger
    Properties:
      Type: CONDITIONAL
      Predicate:
        Conditions: [{LogicalOperator: EQUALS, JobName: etl, State: SUCCEEDED}]
      Actions: [{CrawlerName: !Ref Crawler}]
  Crawler:
    Type: AWS::Glue::Crawler
    Properties:
      Role: arn:aws:iam::123456789012:role/g
      DatabaseName: d
      Targets:
        S3Targets: [{Path: !Sub "s3://${Data}/raw/"}]
        DynamoDBTargets: [{Path: orders}]
"""


def test_glue_triggers_and_crawler(tmp_path: Path) -> None:
    path = tmp_path / "glue.yaml"
    path.write_text(GLUE, encoding="utf-8")
    a = scan([str(path)])
    assert edge_set(a) == {
        "Nightly -triggers-> Job",
        "OnDemand -triggers-> Job",
        "Job -triggers-> AfterEtl",
        "AfterEtl -triggers-> Crawler",
        "Data -reads-> Crawler",
        "Table -reads-> Crawler",
    }
    roles = node_roles(a)
    assert roles["Nightly"] == roles["AfterEtl"] == "router"
    assert roles["Crawler"] == "compute"
    # a scheduled (or on-demand) trigger is a way in, as a schedule is; a conditional one is
    # fired by the job it watches
    assert {"Nightly", "OnDemand"} <= set(a.boundary.ingress)
    assert "AfterEtl" not in a.boundary.ingress


def test_glue_crawler_on_a_bucket_outside_the_scan(tmp_path: Path) -> None:
    path = tmp_path / "crawl.yaml"
    path.write_text(
        """
Resources:
  Crawler:
    Type: AWS::Glue::Crawler
    Properties:
      Role: r
      DatabaseName: d
      Targets: {S3Targets: [{Path: s3://landing-zone/in/}]}
""",
        encoding="utf-8",
    )
    a = scan([str(path)])
    (edge,) = a.topology.edges
    assert (edge.target, edge.kind) == ("Crawler", "reads")
    assert edge.source.startswith("ext:") and "landing-zone" in edge.source


BATCH_TWO = """Resources:
  CE:
    Type: AWS::Batch::ComputeEnvironment
    Properties: {Type: MANAGED, ComputeResources: {Type: FARGATE, MaxvCpus: 4, Subnets: [s], SecurityGroupIds: [g]}}
  GpuQueue:
    Type: AWS::Batch::JobQueue
    Properties: {Priority: 1, ComputeEnvironmentOrder: [{Order: 1, ComputeEnvironment: !Ref CE}]}
  CpuQueue:
    Type: AWS::Batch::JobQueue
    Properties: {Priority: 1, ComputeEnvironmentOrder: [{Order: 1, ComputeEnvironment: !Ref CE}]}
  Secrets:
    Type: AWS::DynamoDB::Table
    Properties: {BillingMode: PAY_PER_REQUEST, AttributeDefinitions: [{AttributeName: k, AttributeType: S}], KeySchema: [{AttributeName: k, KeyType: HASH}]}
  Results:
    Type: AWS::S3::Bucket
  TrainRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: ecs-tasks.amazonaws.com}, Action: sts:AssumeRole}]}
      Policies: [{PolicyName: p, PolicyDocument: {Statement: [{Effect: Allow, Action: s3:PutObject, Resource: !Sub "${Results.Arn}/*"}]}}]
  ReportRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: ecs-tasks.amazonaws.com}, Action: sts:AssumeRole}]}
      Policies: [{PolicyName: p, PolicyDocument: {Statement: [{Effect: Allow, Action: dynamodb:PutItem, Resource: !GetAtt Secrets.Arn}]}}]
  TrainJob:
    Type: AWS::Batch::JobDefinition
    Properties: {Type: container, PlatformCapabilities: [FARGATE], ContainerProperties: {Image: i, JobRoleArn: !GetAtt TrainRole.Arn}}
  ReportJob:
    Type: AWS::Batch::JobDefinition
    Properties: {Type: container, PlatformCapabilities: [FARGATE], ContainerProperties: {Image: i, JobRoleArn: !GetAtt ReportRole.Arn}}
  SfnRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: states.amazonaws.com}, Action: sts:AssumeRole}]}
      Policies: [{PolicyName: p, PolicyDocument: {Statement: [{Effect: Allow, Action: batch:SubmitJob, Resource: [!Ref TrainJob, !Ref GpuQueue, !Ref ReportJob, !Ref CpuQueue]}]}}]
  Machine:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      RoleArn: !GetAtt SfnRole.Arn
      DefinitionString: !Sub |
        {"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::batch:submitJob.sync","Parameters":{"JobName":"t","JobQueue":"${GpuQueue}","JobDefinition":"${TrainJob}"},"Next":"R"},
        "R":{"Type":"Task","Resource":"arn:aws:states:::batch:submitJob.sync","Parameters":{"JobName":"r","JobQueue":"${CpuQueue}","JobDefinition":"${ReportJob}"},"End":true}}}
"""


def test_batch_job_roles_paired_with_one_of_several_queues_are_weak(tmp_path: Path) -> None:
    """One SubmitJob statement names two definitions and two queues (CDK merges statements
    like this): which queue runs which definition is not said, so the job roles' reads and
    writes on the queues are guesses."""
    path = tmp_path / "two.yaml"
    path.write_text(BATCH_TWO, encoding="utf-8")
    a = scan([str(path)])
    weak = {
        f"{e.source} -{e.kind}-> {e.target}" for e in a.topology.edges if all(v.weak for v in e.via)
    }
    assert weak == {
        "CpuQueue -writes-> Results",
        "CpuQueue -writes-> Secrets",
        "GpuQueue -writes-> Results",
        "GpuQueue -writes-> Secrets",
    }
    assert edge_set(a) - weak == {"Machine -invokes-> CpuQueue", "Machine -invokes-> GpuQueue"}


# ------------------------------------------------------------------ dead letters

DLQ = """
Resources:
  Bus: {Type: AWS::Events::EventBus, Properties: {Name: b}}
  Q: {Type: AWS::SQS::Queue}
  RuleDlq: {Type: AWS::SQS::Queue}
  PipeDlq: {Type: AWS::SQS::Queue}
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      StreamSpecification: {StreamViewType: NEW_IMAGE}
  Pipe:
    Type: AWS::Pipes::Pipe
    Properties:
      RoleArn: r
      Source: !GetAtt Table.StreamArn
      SourceParameters:
        DynamoDBStreamParameters:
          StartingPosition: LATEST
          DeadLetterConfig: {Arn: !GetAtt PipeDlq.Arn}
      Target: !GetAtt Bus.Arn
  Rule:
    Type: AWS::Events::Rule
    Properties:
      EventBusName: !Ref Bus
      EventPattern: {source: [x]}
      Targets: [{Id: q, Arn: !GetAtt Q.Arn, DeadLetterConfig: {Arn: !GetAtt RuleDlq.Arn}}]
"""


def test_rule_target_and_pipe_dead_letter_queues(tmp_path: Path) -> None:
    path = tmp_path / "dlq.yaml"
    path.write_text(DLQ, encoding="utf-8")
    a = scan([str(path)])
    assert edge_set(a) == {
        "Table -triggers-> Bus",
        "Bus -triggers-> Rule",
        "Rule -triggers-> Q",
        "Rule -triggers-> RuleDlq",
        "Table -triggers-> PipeDlq",
    }
    # failed deliveries parked by the rule or the pipe: not the system's output
    assert set(a.boundary.egress) == {"Q"}
    assert set(a.boundary.ingress) == {"Table"}


def test_a_dead_letter_queue_a_function_also_writes_is_egress(tmp_path: Path) -> None:
    resources = """
  Q: {Type: AWS::SQS::Queue}
  Dlq: {Type: AWS::SQS::Queue}
  Rule:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 hour)
      Targets: [{Id: q, Arn: !GetAtt Q.Arn, DeadLetterConfig: {Arn: !GetAtt Dlq.Arn}}]
"""
    statements = """
              - {Effect: Allow, Action: sqs:SendMessage, Resource: !GetAtt Dlq.Arn}"""
    a = scan([str(_fn(tmp_path, resources, statements))])
    assert {"Rule -triggers-> Dlq", "Fn -writes-> Dlq"} <= edge_set(a)
    assert "Dlq" in a.boundary.egress


def test_a_dead_letter_queue_outside_the_scan_is_no_egress(tmp_path: Path) -> None:
    path = tmp_path / "dlq.yaml"
    path.write_text(
        """
Parameters:
  SharedDlqArn: {Type: String}
Resources:
  Q: {Type: AWS::SQS::Queue}
  Rule:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 hour)
      Targets:
        - {Id: a, Arn: !GetAtt Q.Arn, DeadLetterConfig: {Arn: !Ref SharedDlqArn}}
        - Id: b
          Arn: !GetAtt Q.Arn
          DeadLetterConfig: {Arn: "arn:aws:sqs:us-east-1:123456789012:ops-dlq"}
  DeadLetterConfigAudit:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 day)
      Targets: [{Id: c, Arn: "arn:aws:sqs:us-east-1:123456789012:audit"}]
""",
        encoding="utf-8",
    )
    a = scan([str(path)])
    assert edge_set(a) == {
        "Rule -triggers-> Q",
        "Rule -triggers-> ext:parameter SharedDlqArn",
        "Rule -triggers-> ext:arn:aws:sqs:us-east-1:123456789012:ops-dlq",
        "DeadLetterConfigAudit -triggers-> ext:arn:aws:sqs:us-east-1:123456789012:audit",
    }
    # the outside dead-letter queues hold failed deliveries; the audit queue is real output,
    # whatever its rule is called
    assert set(a.boundary.egress) == {"Q", "ext:arn:aws:sqs:us-east-1:123456789012:audit"}
    dead = {(e.source, e.target) for e in a.topology.edges if e.dead_letter}
    assert dead == {
        ("Rule", "ext:parameter SharedDlqArn"),
        ("Rule", "ext:arn:aws:sqs:us-east-1:123456789012:ops-dlq"),
    }


# ------------------------------------------------------------------ Firehose source outside

FIREHOSE = """
Parameters:
  KinesisStreamName: {Type: String, Default: alleycat}
  SourceArn: {Type: String}
Resources:
  Bucket: {Type: AWS::S3::Bucket}
  FromName:
    Type: AWS::KinesisFirehose::DeliveryStream
    Properties:
      DeliveryStreamType: KinesisStreamAsSource
      KinesisStreamSourceConfiguration:
        KinesisStreamARN: !Sub "arn:aws:kinesis:${AWS::Region}:${AWS::AccountId}:stream/${KinesisStreamName}"
        RoleARN: r
      ExtendedS3DestinationConfiguration: {BucketARN: !GetAtt Bucket.Arn, RoleARN: r}
  FromParameter:
    Type: AWS::KinesisFirehose::DeliveryStream
    Properties:
      DeliveryStreamType: KinesisStreamAsSource
      KinesisStreamSourceConfiguration: {KinesisStreamARN: !Ref SourceArn, RoleARN: r}
      ExtendedS3DestinationConfiguration: {BucketARN: !GetAtt Bucket.Arn, RoleARN: r}
"""


def test_firehose_source_outside_the_scan(tmp_path: Path) -> None:
    path = tmp_path / "fh.yaml"
    path.write_text(FIREHOSE, encoding="utf-8")
    a = scan([str(path)])
    by_name = "ext:arn:aws:kinesis:${AWS::Region}:${AWS::AccountId}:stream/alleycat"
    by_parameter = "ext:parameter SourceArn"
    assert edge_set(a) == {
        "FromName -writes-> Bucket",
        "FromParameter -writes-> Bucket",
        f"{by_name} -triggers-> FromName",
        f"{by_parameter} -triggers-> FromParameter",
    }
    roles = node_roles(a)
    assert roles[by_name] == roles[by_parameter] == "external"
    # the outside streams bring the data in, not the delivery streams
    assert set(a.boundary.ingress) == {by_name, by_parameter}


# ------------------------------------------------------------------ ops hosts

BASTION = """
Resources:
  Bastion:
    Type: AWS::EC2::Instance
    Properties: {ImageId: ami-1, InstanceType: t3.micro}
  Cluster:
    Type: AWS::MSK::ServerlessCluster
    Properties:
      ClusterName: c
      ClientAuthentication: {Sasl: {Iam: {Enabled: true}}}
      VpcConfigs: [{SubnetIds: [a, b]}]
Outputs:
  BastionId:
    Value: !Ref Bastion
    Export: {Name: bastion-id}
"""


def test_an_exported_bastion_is_not_egress(tmp_path: Path) -> None:
    path = tmp_path / "bastion.yaml"
    path.write_text(BASTION, encoding="utf-8")
    a = scan([str(path)])
    assert "Bastion" not in a.boundary.egress


DATABASES = """
Resources:
  Cluster:
    Type: AWS::DSQL::Cluster
    Properties: {DeletionProtectionEnabled: false}
""" + FN.replace(
    "STATEMENTS",
    """
              - {Effect: Allow, Action: dsql:DbConnectAdmin, Resource: !GetAtt Cluster.ResourceArn}
              - Effect: Allow
                Action: rds-db:connect
                Resource: !Sub "arn:${AWS::Partition}:rds-db:us-east-1:${AWS::AccountId}:dbuser:db-ABCDEFGHIJKLMNOPQRSTU/app"
              - Effect: Allow
                Action: rds-db:connect
                Resource: !Sub "arn:${AWS::Partition}:rds-db:us-east-1:${AWS::AccountId}:dbuser:cluster-*/app\"""",
)


def test_database_connect_grants(tmp_path: Path) -> None:
    """Aurora DSQL and RDS IAM authentication: the function reads and writes the database; one
    outside the scan, named by its resource id, is an unknown ext: node (a wildcard id: weak)."""
    path = tmp_path / "db.yaml"
    path.write_text(DATABASES, encoding="utf-8")
    a = scan([str(path)])
    assert edge_set(a) == {
        "FnUrl -triggers-> Fn",
        "Fn -writes-> Cluster",
        "Cluster -reads-> Fn",
        "Fn -writes-> ext:rds-db db-ABCDEFGHIJKLMNOPQRSTU",
        "ext:rds-db db-ABCDEFGHIJKLMNOPQRSTU -reads-> Fn",
        "Fn -writes-> ext:rds-db cluster-*",
        "ext:rds-db cluster-* -reads-> Fn",
    }
    weak = {(e.source, e.target) for e in a.topology.edges if all(v.weak for v in e.via)}
    assert weak == {("Fn", "ext:rds-db cluster-*"), ("ext:rds-db cluster-*", "Fn")}
    unseen = {n.id for n in a.topology.nodes if n.properties.get("unknown") is True}
    assert unseen == {"ext:rds-db db-ABCDEFGHIJKLMNOPQRSTU", "ext:rds-db cluster-*"}


CLOUDFRONT_URL = """
Resources:
  Handler:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: nodejs22.x
      Handler: index.main
      Role: arn:aws:iam::123456789012:role/r
      Code: {ZipFile: "exports.main=async()=>{}"}
  HandlerFunctionUrl:
    Type: AWS::Lambda::Url
    Properties: {AuthType: AWS_IAM, TargetFunctionArn: !GetAtt Handler.Arn}
  Distribution:
    Type: AWS::CloudFront::Distribution
    Properties:
      DistributionConfig:
        Enabled: true
        DefaultCacheBehavior: {TargetOriginId: fnurl, ViewerProtocolPolicy: https-only}
        Origins:
          - Id: fnurl
            CustomOriginConfig: {OriginProtocolPolicy: https-only}
            DomainName: !Select [2, !Split ["/", !GetAtt HandlerFunctionUrl.FunctionUrl]]
"""


def test_cloudfront_origin_cut_out_of_a_function_url(tmp_path: Path) -> None:
    """CDK's FunctionUrlOrigin writes the domain as Select 2 of Split "/" of the URL."""
    path = tmp_path / "cf.yaml"
    path.write_text(CLOUDFRONT_URL, encoding="utf-8")
    a = scan([str(path)])
    assert edge_set(a) == {
        "Distribution -triggers-> HandlerFunctionUrl",
        "HandlerFunctionUrl -triggers-> Handler",
    }
