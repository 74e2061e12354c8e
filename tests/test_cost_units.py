"""The cost model, one priced element at a time, against figures computed by hand from the
shipped price table (issue 17). Templates are real files through the real loader and analysis."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import pytest

from iacscan.cost.price import Pricing, price
from iacscan.cost.prices import load_table, parse_table
from iacscan.cost.usage import Usage, load_usage, parse_rate, parse_rate_flags
from iacscan.errors import DefinitionError, UsageError
from iacscan.load.discover import load_paths
from iacscan.model import CostReport
from scan_helpers import scan

MONTH = 730 * 3600  # seconds in AWS's billing month
TABLE = load_table(None)


def usd(key: str) -> float:
    row = TABLE.get(key)
    assert row is not None, key
    return row.usd


def priced(tmp_path: Path, template: str, usage: str) -> CostReport:
    path = tmp_path / "t.yaml"
    path.write_text(textwrap.dedent(template))
    u = tmp_path / "u.yaml"
    u.write_text(textwrap.dedent(usage))
    analysis = scan([str(path)])
    return price(analysis, load_paths([str(path)]).templates, load_usage(str(u)), TABLE)


def items(report: CostReport) -> dict[tuple[str, str], float]:
    """(subject, price key) -> $/month."""
    out: dict[tuple[str, str], float] = {}
    for i in report.items:
        out[(i.subject, i.price_key)] = out.get((i.subject, i.price_key), 0.0) + i.monthly
    return out


def quantities(report: CostReport) -> dict[tuple[str, str], float]:
    return {(i.subject, i.price_key): i.quantity for i in report.items}


STANDARD_MAP = """
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Go:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: {source: [x]}
      Targets: [{Id: sm, Arn: !Ref Flow, RoleArn: !GetAtt FlowRole.Arn}]
  FlowRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: events.amazonaws.com}, Action: sts:AssumeRole}]}
      Policies:
        - PolicyName: p
          PolicyDocument: {Statement: [{Effect: Allow, Action: states:StartExecution, Resource: !Ref Flow}]}
  Flow:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      RoleArn: arn:aws:iam::1:role/r
      Definition:
        StartAt: Each
        States:
          Each:
            Type: Map
            ItemsPath: $.items
            ItemProcessor:
              StartAt: Work
              States:
                Work: {Type: Task, Resource: !GetAtt Worker.Arn, Next: Tidy}
                Tidy: {Type: Pass, Next: Stop}
                Stop: {Type: Succeed}
            End: true
  Worker:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: i.h
      Role: arn:aws:iam::1:role/r
      MemorySize: 512
      Code: {ZipFile: "def h(e, c): pass"}
"""


def test_a_standard_map_of_n_items_and_k_states_costs_1_plus_n_times_k_transitions(
    tmp_path: Path,
) -> None:
    n, k = 7, 3
    report = priced(
        tmp_path,
        STANDARD_MAP,
        f"""
        rates: {{Go: 1/s}}
        resources:
          Flow: {{map_items: {n}}}
          Worker: {{duration_ms: 250}}
        """,
    )
    per_execution = 1 + n * k  # the Map state, then K states for each of N items
    q = quantities(report)
    assert q[("Flow", "states.standard.transition")] == pytest.approx(MONTH * per_execution)
    assert items(report)[("Flow", "states.standard.transition")] == pytest.approx(
        MONTH * per_execution * usd("states.standard.transition")
    )
    # the worker runs once per item: N invocations per execution
    assert q[("Worker", "lambda.request")] == pytest.approx(MONTH * n)
    assert items(report)[("Worker", "lambda.gb_second.x86_64")] == pytest.approx(
        MONTH * n * 0.25 * 0.5 * usd("lambda.gb_second.x86_64")
    )
    assert report.idle_monthly == 0
    assert report.per_million_events == pytest.approx(report.monthly / MONTH * 1e6)


def test_a_loop_counts_its_states_once_per_iteration(tmp_path: Path) -> None:
    template = STANDARD_MAP.replace(
        """            End: true
  Worker:""",
        """            Next: Again
          Again: {Type: Choice, Choices: [{Variable: $.more, BooleanEquals: true, Next: Each}], Default: Done}
          Done: {Type: Succeed}
  Worker:""",
    )
    report = priced(
        tmp_path,
        template,
        "rates: {Go: 1/s}\nresources: {Flow: {map_items: 2, loop_iterations: 10}}\n",
    )
    # Each (1) + 2 items x 3 states + Again (1) on the loop, 10 times; Done once
    assert quantities(report)[("Flow", "states.standard.transition")] == pytest.approx(
        MONTH * (10 * (1 + 2 * 3 + 1) + 1)
    )
    assert ("Flow", "loop_iterations") in {(a.subject, a.what) for a in report.assumptions}


def test_express_is_priced_per_request_and_64_mb_block_second(tmp_path: Path) -> None:
    template = STANDARD_MAP.replace(
        "      RoleArn: arn:aws:iam::1:role/r\n      Definition:",
        "      RoleArn: arn:aws:iam::1:role/r\n      StateMachineType: EXPRESS\n      Definition:",
    )
    report = priced(
        tmp_path,
        template,
        "rates: {Go: 10/s}\nresources: {Flow: {duration_ms: 1250, memory_mb: 100}}\n",
    )
    got = items(report)
    assert ("Flow", "states.standard.transition") not in got
    assert got[("Flow", "states.express.request")] == pytest.approx(
        10 * MONTH * usd("states.express.request")
    )
    # 1.25 s is billed as 1.3 s; 100 MB as two 64 MB blocks
    assert got[("Flow", "states.express.gb_second")] == pytest.approx(
        10 * MONTH * 1.3 * (128 / 1024) * usd("states.express.gb_second")
    )


PIPE = """
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Api:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: i.h
      InlineCode: "def h(e, c): pass"
      Events:
        Every: {Type: Schedule, Properties: {Schedule: rate(1 minute)}}
      Policies:
        - S3WritePolicy: {BucketName: !Ref Frames}
        - SNSPublishMessagePolicy: {TopicName: !GetAtt Alerts.TopicName}
        - SQSSendMessagePolicy: {QueueName: !GetAtt Work.QueueName}
  Frames:
    Type: AWS::S3::Bucket
  Alerts:
    Type: AWS::SNS::Topic
  Work:
    Type: AWS::SQS::Queue
  Reader:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: i.h
      InlineCode: "def h(e, c): pass"
      MemorySize: 1024
      Events:
        Q: {Type: SQS, Properties: {Queue: !GetAtt Work.Arn}}
      Policies:
        - S3ReadPolicy: {BucketName: !Ref Frames}
Transform: AWS::Serverless-2016-10-31
"""


def test_requests_puts_gets_publishes_and_messages_along_the_edges(tmp_path: Path) -> None:
    report = priced(
        tmp_path,
        PIPE,
        """
        edges: {"ApiFunction -> Frames": 3}
        resources: {Reader: {duration_ms: 100}}
        """.replace("ApiFunction", "Api"),
    )
    per_second = 1 / 60  # the schedule's own rate(1 minute)
    got = items(report)
    # three objects per run of Api: PUTs on the write edge
    assert got[("Api -writes-> Frames", "s3.put")] == pytest.approx(
        3 * per_second * MONTH * usd("s3.put")
    )
    # one publish per run
    assert got[("Alerts", "sns.publish")] == pytest.approx(per_second * MONTH * usd("sns.publish"))
    # a message is sent, received and deleted: 3 requests
    assert got[("Work", "sqs.standard.request")] == pytest.approx(
        3 * per_second * MONTH * usd("sqs.standard.request")
    )
    # the reader runs once per message and reads one object each time
    assert quantities(report)[("Reader", "lambda.request")] == pytest.approx(per_second * MONTH)
    assert got[("Frames -reads-> Reader", "s3.get")] == pytest.approx(
        per_second * MONTH * usd("s3.get")
    )
    assert got[("Reader", "lambda.gb_second.x86_64")] == pytest.approx(
        per_second * MONTH * 0.1 * 1.0 * usd("lambda.gb_second.x86_64")
    )
    # the schedule's rate is the template's, shown as such; it costs the same at zero load
    assert any(
        a.subject.endswith("Every") or "rate(1 minute)" in a.source for a in report.assumptions
    )
    assert report.idle_monthly == pytest.approx(report.monthly)


FLEET = """
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Queue:
    Type: AWS::SQS::Queue
  Cluster:
    Type: AWS::ECS::Cluster
  TaskRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: ecs-tasks.amazonaws.com}, Action: sts:AssumeRole}]}
      Policies:
        - PolicyName: p
          PolicyDocument: {Statement: [{Effect: Allow, Action: [sqs:ReceiveMessage, sqs:DeleteMessage], Resource: !GetAtt Queue.Arn}]}
  Task:
    Type: AWS::ECS::TaskDefinition
    Properties:
      RequiresCompatibilities: [FARGATE]
      NetworkMode: awsvpc
      Cpu: "1024"
      Memory: "2 GB"
      TaskRoleArn: !GetAtt TaskRole.Arn
      ContainerDefinitions: [{Name: app, Image: app:1}]
  Service:
    Type: AWS::ECS::Service
    Properties:
      Cluster: !Ref Cluster
      TaskDefinition: !Ref Task
      LaunchType: FARGATE
      DesiredCount: 3
      NetworkConfiguration: {AwsvpcConfiguration: {Subnets: [subnet-1]}}
  Target:
    Type: AWS::ApplicationAutoScaling::ScalableTarget
    Properties:
      ServiceNamespace: ecs
      ScalableDimension: ecs:service:DesiredCount
      ResourceId: !Sub "service/${Cluster}/${Service.Name}"
      MinCapacity: 2
      MaxCapacity: 10
  Policy:
    Type: AWS::ApplicationAutoScaling::ScalingPolicy
    Properties:
      PolicyName: p
      PolicyType: TargetTrackingScaling
      ScalingTargetId: !Ref Target
      TargetTrackingScalingPolicyConfiguration:
        TargetValue: 50
        PredefinedMetricSpecification: {PredefinedMetricType: ECSServiceAverageCPUUtilization}
  Nat:
    Type: AWS::EC2::NatGateway
    Properties: {SubnetId: subnet-1, AllocationId: eipalloc-1}
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      KeySchema: [{AttributeName: k, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: k, AttributeType: S}]
      ProvisionedThroughput: {ReadCapacityUnits: 5, WriteCapacityUnits: 10}
"""


def test_an_autoscaled_fargate_service_costs_its_floor_idle_and_its_need_at_load(
    tmp_path: Path,
) -> None:
    report = priced(
        tmp_path,
        FLEET,
        """
        rates: {Queue: 40/s}
        resources: {Service: {seconds_per_event: 0.5, events_per_task: 2, target_utilisation: 0.5}}
        """,
    )
    task_hour = 1 * usd("fargate.vcpu_hour.x86_64") + 2 * usd("fargate.gb_hour.x86_64")
    got = items(report)
    # 40/s x 0.5 s = 20 events in flight, 2 per task = 10 tasks, at 50% busy = 20 (over the
    # maximum of 10: priced at the need, with a warning)
    need = math.ceil(40 * 0.5 / 2 / 0.5)
    fargate = (
        got[("Service", "fargate.vcpu_hour.x86_64")] + got[("Service", "fargate.gb_hour.x86_64")]
    )
    assert fargate == pytest.approx(need * 730 * task_hour)
    assert any("MaxCapacity is 10" in w for w in report.warnings)
    # idle: the floor (MinCapacity 2), the NAT gateway by the hour, the provisioned table
    floor = 2 * 730 * task_hour
    nat = 730 * usd("nat.hour")
    table = 730 * (
        10 * usd("dynamodb.provisioned.wcu_hour") + 5 * usd("dynamodb.provisioned.rcu_hour")
    )
    assert report.idle_monthly == pytest.approx(floor + nat + table)
    idle = {(i.subject, i.price_key): i.idle_monthly for i in report.items}
    assert idle[("Service", "fargate.vcpu_hour.x86_64")] == pytest.approx(
        2 * 730 * usd("fargate.vcpu_hour.x86_64")
    )


def test_ecs_on_ec2_is_priced_on_the_instances_the_tasks_need() -> None:
    root = Path(__file__).resolve().parent.parent
    path = root / "fixtures/templates/prime-video-after-ec2.yaml"
    analysis = scan([str(path)])
    usage = Usage()
    parse_rate_flags(["MonitorQueue=10/s"], usage)
    usage.resources["MonitorService"] = {}
    report = price(analysis, load_paths([str(path)]).templates, usage, TABLE)
    got = quantities(report)
    # 10/s x 1 s (default) / 1 per task / 0.7 (default) = 15 tasks of 4 vCPU, 8 GB;
    # c6i.4xlarge (16 vCPU, 32 GB) holds 4: 4 instances, at TargetCapacity 90%: 5
    tasks = math.ceil(10 * 1 / 1 / 0.7)
    instances = math.ceil(math.ceil(tasks / 4) / 0.9)
    assert got[("MonitorAutoScalingGroup", "ec2.c6i.4xlarge")] == pytest.approx(instances * 730)
    # at zero load: the 2-task floor needs 1 instance, 2 at 90% target capacity
    assert report.idle_monthly == pytest.approx(2 * 730 * usd("ec2.c6i.4xlarge"))


def test_classic_ecs_capacity_joined_by_user_data_grows_with_the_load() -> None:
    """Instances that join the cluster through ECS_CLUSTER in their user data run its service:
    the topology's capacity link, so the group is priced at what the tasks need (a second
    reading of capacity-provider strategies alone priced one instance at any load)."""
    root = Path(__file__).resolve().parent.parent
    path = root / "fixtures/templates/ecs-ec2-classic-cluster.yaml"
    analysis = scan([str(path)])
    templates = load_paths([str(path)]).templates
    quiet, busy = Usage(), Usage()
    parse_rate_flags(["JobsQueue=1/s"], quiet)
    parse_rate_flags(["JobsQueue=200/s"], busy)
    low = quantities(price(analysis, templates, quiet, TABLE))
    high = quantities(price(analysis, templates, busy, TABLE))
    key = next(k for k in high if k[0] == "Instances" and k[1].startswith("ec2."))
    assert low[key] == pytest.approx(730)  # the one-instance floor
    assert high[key] > 10 * 730  # hundreds of tasks need many instances


def test_rates_and_usage_errors_name_the_file_and_line(tmp_path: Path) -> None:
    assert parse_rate("2000/s") == 2000
    assert parse_rate("120/min") == 2
    assert parse_rate("7200/h") == 2
    assert parse_rate("2628000/month") == pytest.approx(1.0)
    for bad in ("fast", "10/fortnight", "-1/s"):
        with pytest.raises(ValueError):
            parse_rate(bad)
    with pytest.raises(UsageError, match="expected NODE=RATE"):
        parse_rate_flags(["StartRule"], Usage())
    u = tmp_path / "u.yaml"
    u.write_text("rates:\n  A: 1/s\nresources:\n  A:\n    duraton_ms: 5\n")
    with pytest.raises(DefinitionError) as err:
        load_usage(str(u))
    assert err.value.file == str(u) and err.value.line == 5 and "duraton_ms" in err.value.message
    u.write_text("rates:\n  A: quickly\n")
    with pytest.raises(DefinitionError) as err:
        load_usage(str(u))
    assert err.value.line == 2
    u.write_text("rates: {A: 1/s}\n#" + "x" * 1024 * 1024 + "\n")
    with pytest.raises(DefinitionError, match="over 1,048,576 bytes"):
        load_usage(str(u))
    # aliases that repeat a mapping are read once, not walked exponentially
    u.write_text(
        "resources:\n  A: &a {duration_ms: 1}\n"
        + "".join(
            f"  B{i}: &b{i} {{x: *{p}, y: *{p}}}\n"
            for i, p in enumerate(["a"] + [f"b{i}" for i in range(29)])
        )
    )
    with pytest.raises(DefinitionError, match="B0.x: unknown fact"):
        load_usage(str(u))


def test_a_price_row_without_a_date_or_source_is_refused() -> None:
    with pytest.raises(DefinitionError, match="row x has no `date`"):
        parse_table({"rows": {"x": {"usd": 1, "unit": "u", "source": "s"}}}, "p.yaml")
    table = parse_table(
        {"region": "eu-west-1", "rows": {"x": {"usd": 1, "unit": "u", "source": "s", "date": "d"}}},
        "p.yaml",
    )
    assert table.region == "eu-west-1" and table.get("x") is not None
    # every shipped row is dated and sourced
    assert all(p.date and p.source.startswith("https://") for p in TABLE.rows.values())


def test_what_cannot_be_priced_is_said_and_a_missing_price_row_weakens_the_figure(
    tmp_path: Path,
) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(STANDARD_MAP)
    analysis = scan([str(path)])
    thin = parse_table(
        {"rows": {"lambda.request": {"usd": 2e-7, "unit": "r", "source": "s", "date": "d"}}}, "thin"
    )
    usage = Usage()
    parse_rate_flags(["Go=1/s"], usage)
    pricing = Pricing(analysis, load_paths([str(path)]).templates, usage, thin)
    report = pricing.report()
    assert any("states.standard.transition" in w and "not priced" in w for w in report.warnings)
    assert {i.price_key for i in report.items} == {"lambda.request"}


EDGE = """
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Site:
    Type: AWS::CloudFront::Distribution
    Properties:
      DistributionConfig:
        Enabled: true
        DefaultCacheBehavior: {TargetOriginId: o, ViewerProtocolPolicy: allow-all, ForwardedValues: {QueryString: false}}
        Origins: [{Id: o, DomainName: example.com, CustomOriginConfig: {OriginProtocolPolicy: https-only}}]
  Graph:
    Type: AWS::AppSync::GraphQLApi
    Properties: {Name: g, AuthenticationType: API_KEY}
  Old:
    Type: AWS::ElasticLoadBalancing::LoadBalancer
    Properties:
      AvailabilityZones: [us-east-1a]
      Listeners: [{LoadBalancerPort: "80", InstancePort: "80", Protocol: HTTP}]
"""


def test_cloudfront_appsync_and_a_classic_load_balancer(tmp_path: Path) -> None:
    report = priced(
        tmp_path,
        EDGE,
        """
        rates: {Site: 100/s, Graph: 5/s}
        resources: {Site: {gb_per_month: 1000}, Old: {gb_per_month: 10}}
        """,
    )
    got = items(report)
    assert got[("Site", "cloudfront.https_request")] == pytest.approx(100 * MONTH * 1e-6)
    assert got[("Site", "cloudfront.gb_out")] == pytest.approx(1000 * usd("cloudfront.gb_out"))
    assert got[("Graph", "appsync.operation")] == pytest.approx(5 * MONTH * 4e-6)
    assert got[("Old", "elb.classic.hour")] == pytest.approx(730 * 0.025)
    assert got[("Old", "elb.classic.gb")] == pytest.approx(10 * 0.008)
    # traffic scales with load; the classic load balancer's hours are the floor
    assert report.idle_monthly == pytest.approx(730 * 0.025)


def test_a_definition_that_shares_subtrees_is_walked_within_a_bound() -> None:
    """A YAML alias can make 2 branches of 60 nested Parallels point at one subtree: 2**60
    states. The count stops at asl.MAX_STATES and says that it is a lower bound."""
    from iacscan.cost.facts import Facts
    from iacscan.cost.sfn import count
    from iacscan.model import Topology
    from iacscan.topology.asl import MAX_STATES

    inner: dict[str, object] = {"StartAt": "T", "States": {"T": {"Type": "Pass", "End": True}}}
    for _ in range(60):
        inner = {
            "StartAt": "P",
            "States": {"P": {"Type": "Parallel", "Branches": [inner, inner], "End": True}},
        }
    c = count(Facts(Topology((), ()), []), inner, lambda path, name: 1.0, 1.0)
    assert c.truncated and c.transitions <= MAX_STATES


CLUSTERS = """
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Cache:
    Type: AWS::ElastiCache::ReplicationGroup
    Properties:
      ReplicationGroupDescription: c
      CacheNodeType: cache.t3.small
      Engine: redis
      NumNodeGroups: 2
      ReplicasPerNodeGroup: 1
  Stream:
    Type: AWS::MSK::Cluster
    Properties:
      ClusterName: k
      KafkaVersion: "3.5.1"
      NumberOfBrokerNodes: 3
      BrokerNodeGroupInfo: {InstanceType: kafka.m5.large, ClientSubnets: [a, b, c]}
  Search:
    Type: AWS::OpenSearchService::Domain
    Properties:
      ClusterConfig:
        InstanceCount: 2
        InstanceType: t3.small.search
        DedicatedMasterEnabled: true
        DedicatedMasterCount: 3
        DedicatedMasterType: m5.large.search
"""


def test_instance_sized_clusters_cost_their_nodes_by_the_hour(tmp_path: Path) -> None:
    report = priced(tmp_path, CLUSTERS, "rates: {}\n")
    got = items(report)
    assert got[("Cache", "elasticache.cache.t3.small")] == pytest.approx(
        2 * 2 * 730 * usd("elasticache.cache.t3.small")
    )
    assert got[("Stream", "msk.kafka.m5.large")] == pytest.approx(3 * 730 * 0.21)
    assert got[("Search", "opensearch.t3.small.search")] == pytest.approx(2 * 730 * 0.036)
    assert got[("Search", "opensearch.m5.large.search")] == pytest.approx(3 * 730 * 0.142)
    assert report.idle_monthly == pytest.approx(report.monthly)


SUBSTITUTED = """
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Go:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: {source: [x]}
      Targets: [{Id: sm, Arn: !Ref Flow, RoleArn: arn:aws:iam::123456789012:role/r}]
  Flow:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      RoleArn: arn:aws:iam::123456789012:role/r
      DefinitionSubstitutions: {WorkerArn: !GetAtt Worker.Arn}
      Definition:
        StartAt: One
        States:
          One: {Type: Task, Resource: "${WorkerArn}", Next: Two}
          Two: {Type: Task, Resource: "${WorkerArn}", End: true}
  Worker:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: i.h
      Role: arn:aws:iam::123456789012:role/r
      Code: {ZipFile: x}
"""


def test_definition_substitutions_in_a_definition_object_are_applied(tmp_path: Path) -> None:
    """Two Task states on ${WorkerArn} in a Definition object: two invocations per execution,
    as for the same machine written with DefinitionString (topology/asl.substitute)."""
    report = priced(tmp_path, SUBSTITUTED, "rates: {Go: 1/s}\n")
    assert quantities(report)[("Worker", "lambda.request")] == pytest.approx(2 * MONTH)
