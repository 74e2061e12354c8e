"""IAM-implied data flow: what each compute unit's role lets it write, read or start.

The compute unit behind a role: a Lambda function (``Role``), an ECS service or a task definition
started directly (``TaskRoleArn``), a state machine (``RoleArn``), App Runner, Glue, and the Batch
job queues a job definition's ``JobRoleArn`` runs on.
Actions get their meaning from the SAM connector table (``load.iam_actions``); a statement with a
wildcard resource is weak evidence and says so.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import replace
from fnmatch import fnmatchcase
from typing import Any

from iacscan.knowledge.resource_types import has_trait
from iacscan.model import EdgeKind, Resource, Via
from iacscan.resolve.values import with_placeholders
from iacscan.topology.asl import AslShape
from iacscan.topology.context import Key, ScanContext, Target
from iacscan.topology.extractors.base import as_list, each, get
from iacscan.topology.iot_topics import (
    BASIC_INGEST,
    ingest_rule,
    published_topic,
    reaches,
    topic_filter,
)

ID = "iam"


def _meanings(ctx: ScanContext, action: str) -> list[tuple[str, str]]:
    action = action.lower()
    if "*" in action or "?" in action:
        return sorted({m for a, ms in ctx.actions.items() if fnmatchcase(a, action) for m in ms})
    return list(ctx.actions.get(action, ()))


def _default_bus(ctx: ScanContext, stack: str, resource: Any) -> bool | None:
    """Whether an events:PutEvents resource names the default bus: None when it does not, else
    whether only a wildcard says so (weak). A bucket or queue ARN with ``/*`` (Action "*" on
    other resources) names no bus."""
    text = ctx.text(stack, resource)
    if not text or text == "None":
        return False
    found: bool | None = None
    for item in as_list(ctx.resolve(stack, resource)):
        name = ctx.text(stack, item)
        if name == "*" or re.search(r"^arn:[^:]*:events:[^:]*:[^:]*:event-bus/\*$", name):
            found = True if found is None else found
        elif name == "default" or re.search(r":event-bus/default$", name):
            found = False
    return found


def link_action(
    ctx: ScanContext,
    stack: str,
    principal: str | None,
    action: str,
    resource: Any,
    via: Via,
    only: str | None = None,
    *,
    by_name: bool = False,
) -> list[Key | str]:
    """Add the edges one allowed action implies; returns the task definitions it starts (their
    keys, or the ``ext:`` node of one from outside the scan).

    ``resource`` is an IAM resource (ARNs), or with ``by_name`` the values of parameters that
    take a name or an ARN (a Step Functions task's ``TableName``). A channel or store named
    but not in scope is an unknown ``ext:`` node (ScanContext.targets). ``only``: the type the
    resource is known to be (a Step Functions parameter's key says it), for an action whose
    resources are of several types."""
    started: list[Key | str] = []
    if principal is None:
        return started
    for rtype, category in _meanings(ctx, action):
        if only is not None and rtype != only:
            continue
        if rtype == "AWS::IoT::TopicRule":
            _publish(ctx, stack, principal, resource, via)
            continue
        if rtype in _GRAPHQL and not _graphql_op(ctx.text(stack, resource), category):
            continue
        targets = ctx.targets(
            stack, resource, types=(rtype,), external_ok=False, unknown_ok=True, by_name=by_name
        )
        if not targets and action.lower() == "rds-db:connect":
            targets = _outside_database(ctx, stack, resource, rtype)
        if rtype == _WORKGROUP:
            targets += _namespace_workgroups(ctx, stack, resource)
        if not targets and rtype == "AWS::Events::EventBus" and category == "Write":
            default = _default_bus(ctx, stack, resource)
            if default is not None:
                bus = ctx.external("default-event-bus", "AWS::Events::EventBus")
                ctx.add_edge(principal, bus, "writes", replace(via, weak=default))
            continue
        for target in targets:
            v = replace(via, weak=via.weak or target.weak)
            if category == "Write":
                kind: EdgeKind = "invokes" if has_trait(rtype, "startable") else "writes"
                ctx.add_edge(principal, target.node, kind, v)
                if rtype == "AWS::ECS::TaskDefinition":
                    started.append(target.key or target.node)
            elif category == "Read":
                ctx.add_edge(target.node, principal, "reads", v)
    return started


_GRAPHQL = frozenset({"AWS::AppSync::GraphQLApi"})
_WORKGROUP = "AWS::RedshiftServerless::Workgroup"


def _namespace_workgroups(ctx: ScanContext, stack: str, resource: Any) -> list[Target]:
    """A grant on a Redshift Serverless namespace (its ARN) reaches the workgroups that serve
    it: the namespace holds the data, a workgroup is the node that queries run on."""
    out: list[Target] = []
    for ref in ctx.refs(stack, resource):
        key = ctx.canonical((ref.stack, ref.logical_id))
        ns = ctx.resource(key)
        if ns is None or ns.type != "AWS::RedshiftServerless::Namespace":
            continue
        name = ctx.text(key[0], ns.properties.get("NamespaceName"))
        for wstack, wg in ctx.resources(_WORKGROUP):
            value = wg.properties.get("NamespaceName")
            named = any(
                ctx.canonical((r.stack, r.logical_id)) == key for r in ctx.refs(wstack, value)
            )
            if (named or (name and ctx.text(wstack, value) == name)) and (
                node := ctx.ensure_node((wstack, wg.logical_id))
            ):
                out.append(Target(node, False, (wstack, wg.logical_id)))
    return out


def _graphql_op(text: str, category: str) -> bool:
    """Whether an ``appsync:GraphQL`` grant covers the operation: a mutation writes, a query or
    a subscription reads, a grant on the whole API (``/*``) does both."""
    kinds = set(re.findall(r"/types/(Mutation|Query|Subscription)\b", text))
    if not kinds:
        return True
    return ("Mutation" in kinds) if category == "Write" else bool(kinds & {"Query", "Subscription"})


# arn:aws:rds-db:REGION:ACCOUNT:dbuser:db-ABC.../user (an instance's resource id) or
# dbuser:cluster-ABC.../user (a cluster's)
_DB_USER = re.compile(r":rds-db:[^:]*:[^:]*:dbuser:(db|cluster)-([A-Za-z0-9*?]+)/")


def _outside_database(ctx: ScanContext, stack: str, resource: Any, rtype: str) -> list[Target]:
    """``rds-db:connect`` on a database no template in scope defines (its resource id written
    literally): an ``ext:`` node for it, so the connection is seen; a wildcard id is weak."""
    out = []
    for item in as_list(ctx.resolve(stack, resource)):
        flat, _ = with_placeholders(item) if isinstance(item, str) else ("", None)
        m = _DB_USER.search(flat)
        kind = (
            "AWS::RDS::DBInstance"
            if m is not None and m.group(1) == "db"
            else "AWS::RDS::DBCluster"
        )
        if m is None or kind != rtype:
            continue
        name = f"{m.group(1)}-{m.group(2)}"
        note = (
            f"an RDS database (resource id {name}) that no template in scope defines: scan it "
            "together with the stack that creates it to see what it costs while idle"
        )
        node = ctx.unknown_external(f"rds-db {name}", rtype, note)
        out.append(Target(node, "*" in m.group(2) or "?" in m.group(2), None))
    return out


def _publish(ctx: ScanContext, stack: str, principal: str, resource: Any, via: Via) -> None:
    """``iot:Publish``: a write to what each topic the grant names reaches (publish_to)."""
    for item in as_list(ctx.resolve(stack, resource)):
        topic = published_topic(item) if isinstance(item, str) else None
        if topic is not None:
            publish_to(ctx, principal, topic, "writes", via)


def publish_to(ctx: ScanContext, source: str, topic: str, kind: EdgeKind, via: Via) -> None:
    """An edge from ``source`` to each topic rule in scope a message on ``topic`` reaches (its
    filter matches, iot_topics.reaches; or Basic Ingest names the rule); a literal topic no rule
    in scope listens to goes to the devices subscribed to it, outside the scan (``ext:``). A
    disabled rule, or one a false condition leaves out, receives nothing."""
    reached = False
    ingest = ingest_rule(topic)
    for rule_stack, rule in ctx.resources("AWS::IoT::TopicRule"):
        payload = get(rule.properties, "TopicRulePayload")
        if str(ctx.resolve(rule_stack, get(payload, "RuleDisabled"))).lower() == "true":
            continue
        if ingest is not None:
            match: str | None = _ingest_match(
                ctx.resolve(rule_stack, rule.properties.get("RuleName")), ingest
            )
        else:
            sql = ctx.resolve(rule_stack, get(payload, "Sql"))
            found = topic_filter(sql) if isinstance(sql, str) else None
            match = reaches(topic, *found) if found is not None else None
            if match is None and any(c in topic for c in "*?"):
                # a wildcard may also cover the rule's Basic Ingest topic ($aws/rules/NAME)
                name = ctx.resolve(rule_stack, rule.properties.get("RuleName"))
                shown = str(name) if isinstance(name, str | int) else "x"
                direct = f"{BASIC_INGEST}{shown}"
                if fnmatchcase(direct, topic) or fnmatchcase(direct + "/x", topic):
                    match = "weak"
        node = ctx.ensure_node((rule_stack, rule.logical_id)) if match is not None else None
        if node is not None:
            reached = True
            ctx.add_edge(source, node, kind, replace(via, weak=via.weak or match == "weak"))
    if not reached and topic != "*":
        node = ctx.external(f"iot-topic {topic}", "IoT MQTT topic")
        ctx.add_edge(source, node, kind, replace(via, weak=via.weak or "*" in topic))


def _ingest_match(name: Any, ingest: str) -> str | None:
    """Whether a Basic Ingest topic names a rule: by its RuleName (a number is a name too); a
    rule whose name CloudFormation generates or a parameter gives, or an IAM wildcard in the
    topic, may be the one (weak)."""
    if isinstance(name, bool) or not isinstance(name, str | int):
        return "weak"  # no RuleName, or one known only at deploy time
    if str(name) == ingest:
        return "strong"
    return "weak" if any(c in ingest for c in "*?") and fnmatchcase(str(name), ingest) else None


def role_grants(
    ctx: ScanContext, stack: str, role_value: Any, action: str, types: tuple[str, ...]
) -> list[Target]:
    """Resources of ``types`` that a role's policies (inline, or AWS::IAM::Policy naming the
    role) allow ``action`` on: an API integration's credentials. Weak targets: a grant says
    what the caller may reach, not what it calls."""
    out: dict[str, Target] = {}
    for ref in ctx.refs(stack, role_value):
        role = ctx.resource((ref.stack, ref.logical_id))
        if role is None or role.type != "AWS::IAM::Role":
            continue
        docs = [get(p, "PolicyDocument") for p in as_list(role.properties.get("Policies"))]
        for _, policy in ctx.resources("AWS::IAM::Policy"):
            if any(
                (r.stack, r.logical_id) == (ref.stack, ref.logical_id)
                for r in ctx.refs(ref.stack, policy.properties.get("Roles"))
            ):
                docs.append(policy.properties.get("PolicyDocument"))
        for statement in (s for d in docs for s in _statements(ctx.resolve(ref.stack, d))):
            allowed = [str(a).lower() for a in as_list(statement.get("Action"))]
            if str(statement.get("Effect", "Allow")) != "Allow" or not any(
                fnmatchcase(action.lower(), a) or fnmatchcase(a, action.lower()) for a in allowed
            ):
                continue
            for resource in as_list(statement.get("Resource")):
                for t in ctx.targets(ref.stack, resource, types=types, external_ok=False):
                    out.setdefault(t.node, Target(t.node, True, t.key))
    return list(out.values())


def _principals(ctx: ScanContext) -> tuple[dict[Key, list[str]], set[tuple[Key, str]]]:
    """Role (stack, logical id) -> the compute nodes that act with it; and the (role, node)
    pairs that are a guess (a Batch job definition paired with one of several queues): the
    edges that role's grants give that node are weak."""
    out: dict[Key, list[str]] = defaultdict(list)
    guessed: set[tuple[Key, str]] = set()

    def bind(stack: str, role_value: Any, node: str | None, guess: bool = False) -> None:
        if node is None:
            return
        for ref in ctx.refs(stack, role_value):
            res = ctx.resource((ref.stack, ref.logical_id))
            if res is not None and res.type == "AWS::IAM::Role":
                out[(ref.stack, ref.logical_id)].append(node)
                if guess:
                    guessed.add(((ref.stack, ref.logical_id), node))

    for stack, res in ctx.resources("AWS::Lambda::Function"):
        bind(stack, res.properties.get("Role"), ctx.ensure_node((stack, res.logical_id)))
    for stack, res in ctx.resources("AWS::StepFunctions::StateMachine"):
        bind(stack, res.properties.get("RoleArn"), ctx.ensure_node((stack, res.logical_id)))
    for stack, res in ctx.resources("AWS::ECS::TaskDefinition"):
        key = (stack, res.logical_id)
        nodes = [ctx.ensure_node(s) for s in ctx.services_of_task.get(key, [])]
        if key in ctx.started_tasks or not nodes:
            nodes.append(ctx.ensure_node(key))
        for node in nodes:
            bind(stack, res.properties.get("TaskRoleArn"), node)
    queues = _job_queues(ctx)
    for stack, res in ctx.resources("AWS::Batch::JobDefinition"):
        found = queues.get((stack, res.logical_id), [])
        for queue in found:
            role = get(res.properties, "ContainerProperties", "JobRoleArn")
            # which of several queues runs this definition's jobs is not said: a guess
            bind(stack, role, ctx.ensure_node(queue), guess=len(found) > 1)
    for rtype, path in (
        ("AWS::AppRunner::Service", ("InstanceConfiguration", "InstanceRoleArn")),
        ("AWS::Glue::Job", ("Role",)),
    ):
        for stack, res in ctx.resources(rtype):
            bind(stack, get(res.properties, *path), ctx.ensure_node((stack, res.logical_id)))
    return out, guessed


def _job_queues(ctx: ScanContext) -> dict[Key, list[Key]]:
    """Batch job definition -> the job queues its jobs run on: those a ``batch:SubmitJob``
    grant names with it (a job is submitted to a queue with a definition); a definition no
    grant pairs with a queue runs on the queues of its own stack."""
    queue_t, def_t = "AWS::Batch::JobQueue", "AWS::Batch::JobDefinition"
    out: dict[Key, set[Key]] = defaultdict(set)
    documents: list[tuple[str, Any]] = []
    for stack, role in ctx.resources("AWS::IAM::Role"):
        for policy in as_list(role.properties.get("Policies")):
            documents.append((stack, get(policy, "PolicyDocument")))
    for stack, policy in ctx.resources("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        documents.append((stack, policy.properties.get("PolicyDocument")))
    for stack, document in documents:
        for statement in _statements(ctx.resolve(stack, document)):
            actions = [str(a).lower() for a in as_list(statement.get("Action"))]
            if not any(fnmatchcase("batch:submitjob", a) for a in actions):
                continue
            named: dict[str, set[Key]] = {queue_t: set(), def_t: set()}
            for ref in ctx.refs(stack, statement.get("Resource")):
                key = ctx.canonical((ref.stack, ref.logical_id))
                res = ctx.resource(key)
                if res is not None and res.type in named:
                    named[res.type].add(key)
            for definition in named[def_t]:
                out[definition] |= named[queue_t]
    result: dict[Key, list[Key]] = {}
    for stack, res in ctx.resources(def_t):
        key = (stack, res.logical_id)
        found = out.get(key) or {(s, q.logical_id) for s, q in ctx.resources(queue_t) if s == stack}
        result[key] = sorted(found)
    return result


def _statements(document: Any) -> list[Any]:
    return [s for s in as_list(get(document, "Statement")) if isinstance(s, Mapping)]


# Service names in Step Functions integrations (``arn:aws:states:::SERVICE:action``, or the SDK
# name after ``aws-sdk:``) whose IAM prefix differs; the others are the same.
_IAM_PREFIX = {
    "sfn": "states",
    "eventbridge": "events",
    "cloudwatchlogs": "logs",
    "apigateway": "execute-api",
    "elasticloadbalancingv2": "elasticloadbalancing",
    "cognitoidentityprovider": "cognito-idp",
    "sesv2": "ses",
    "rdsdata": "rds-data",
    "emrserverless": "emr-serverless",
    "emrcontainers": "emr-containers",
    "sagemakerruntime": "sagemaker",
    "bedrockruntime": "bedrock",
    "bedrockagentruntime": "bedrock",
    "dynamodbstreams": "dynamodb",
    "iotdata": "iot",
}


def _services_called(ctx: ScanContext, stack: str, shape: AslShape) -> frozenset[str] | None:
    """The IAM service prefixes a state machine's definition calls: Step Functions calls only
    what its Task states name, so a wildcard grant for another service (``lambda:InvokeFunction``
    on ``*`` in a workflow of activities) is no edge. None when the definition does not say (a
    walk cut short, a task whose Resource is neither an integration nor a known reference)."""
    tasks = [*shape.tasks, *(t for m in shape.maps for t in (m.reader, m.writer) if t)]
    if shape.truncated or not tasks:
        # No Task at all: a placeholder (a workshop's single Pass state, replaced later); the
        # role's grants are then the only evidence of what the state machine is for.
        return None
    found: set[str] = set()
    for task in tasks:
        service = task.service
        if service == "activity":
            continue  # a worker polls the activity: the state machine calls no service
        if service is None:
            types = {
                res.type
                for ref in ctx.refs(stack, task.resource)
                if (res := ctx.resource((ref.stack, ref.logical_id))) is not None
            }
            if types and types <= {"AWS::StepFunctions::Activity"}:
                continue
            if types and types <= {
                "AWS::Lambda::Function",
                "AWS::Lambda::Alias",
                "AWS::Lambda::Version",
            }:
                found.add("lambda")
                continue
            return None
        service = service.lower()
        found.add(_IAM_PREFIX.get(service, service))
    return frozenset(found)


def _actions_for(action: str, calls: frozenset[str] | None) -> list[str]:
    """``action`` as a principal that calls only ``calls`` can use it: itself, nothing, or,
    for a wildcard service (``Action: "*"``), one action per service it calls."""
    if calls is None:
        return [action]
    service, _, name = action.partition(":")
    service = service.lower()
    if "*" not in service and "?" not in service:
        return [action] if service in calls else []
    return [f"{s}:{name or '*'}" for s in sorted(calls) if fnmatchcase(s, service)]


def _apply(
    ctx: ScanContext,
    stack: str,
    nodes: list[str],
    document: Any,
    label: str,
    calls: Mapping[str, frozenset[str] | None] | None = None,
    res: Resource | None = None,
    guessed: frozenset[str] = frozenset(),
) -> None:
    """Edges for each allowed statement of ``document``; the evidence is the statement's line,
    else the line of ``res`` (the role or policy: a SAM function's generated role has no lines
    of its own and stands at the function's)."""
    if isinstance(document, str):
        import json

        try:
            document = json.loads(document)
        except ValueError:
            return
    raw = _statements(document)
    doc = ctx.resolve(stack, document)
    for i, statement in enumerate(_statements(doc)):
        if str(statement.get("Effect", "Allow")) != "Allow":
            continue
        at = raw[i] if i < len(raw) else None
        resources = as_list(statement.get("Resource"))
        for action in as_list(statement.get("Action")):
            if not isinstance(action, str):
                continue
            for resource in resources:
                weak = isinstance(resource, str) and resource.strip() == "*"
                via = ctx.via(stack, f"IAM {action} ({label})", at, weak=weak, res=res)
                for node in nodes:
                    # a node that may not act with this role at all (guessed): weak
                    on = replace(via, weak=True) if node in guessed else via
                    # A wildcard grant says nothing of intent: read it as the services the
                    # definition calls. A grant naming a resource is kept (a definition that is
                    # a placeholder, a workshop's Pass state, still shows what the role is for).
                    only = (calls or {}).get(node) if weak else None
                    # who starts a task through its role says nothing of the launch type (a
                    # function's code does); a state machine whose definition was read has
                    # said it there
                    starter = None if node in (calls or {}) else node
                    for used in _actions_for(action, only):
                        for key in link_action(ctx, stack, node, used, resource, on):
                            ctx.launched(key, starter, stack, None, via.what, at)


def extract(ctx: ScanContext) -> None:
    principals, guessed = _principals(ctx)
    calls: dict[str, frozenset[str] | None] = {}
    for stack, res in ctx.resources("AWS::StepFunctions::StateMachine"):
        node = ctx.ensure_node((stack, res.logical_id))
        shape = ctx.workflow_shapes.get(node) if node is not None else None
        if node is not None and shape is not None:
            calls[node] = _services_called(ctx, stack, shape)
    lines: dict[Key, int | None] = {}

    def role(ctx: ScanContext, stack: str, res: Resource) -> None:
        key = (stack, res.logical_id)
        nodes = principals.get(key, [])
        lines[key] = res.line
        if not nodes:
            return
        weak = frozenset(n for n in nodes if (key, n) in guessed)
        for policy in as_list(res.properties.get("Policies")):
            name = ctx.text(stack, get(policy, "PolicyName"))
            label = f"AWS::IAM::Role {res.logical_id} policy {name}"
            _apply(ctx, stack, nodes, get(policy, "PolicyDocument"), label, calls, res, weak)
        for arn in as_list(res.properties.get("ManagedPolicyArns")):
            for ref in ctx.refs(stack, arn):
                managed = ctx.resource((ref.stack, ref.logical_id))
                if managed is not None and managed.type == "AWS::IAM::ManagedPolicy":
                    label = f"AWS::IAM::ManagedPolicy {ref.logical_id} on role {res.logical_id}"
                    document = managed.properties.get("PolicyDocument")
                    _apply(ctx, ref.stack, nodes, document, label, calls, managed, weak)

    # Roles named by their RoleName (a literal) rather than by reference: one index, built once.
    by_name: dict[str, list[str]] = defaultdict(list)
    for (rstack, rlid), rnodes in principals.items():
        rres = ctx.resource((rstack, rlid))
        if rres is not None and rres.properties.get("RoleName") is not None:
            by_name[ctx.text(rstack, rres.properties.get("RoleName"))].extend(rnodes)

    def policy(ctx: ScanContext, stack: str, res: Resource) -> None:
        nodes: list[str] = []
        sure: set[str] = set()
        for role_value in as_list(res.properties.get("Roles")):
            refs = list(ctx.refs(stack, role_value))
            for ref in refs:
                key = (ref.stack, ref.logical_id)
                for node in principals.get(key, []):
                    nodes.append(node)
                    if (key, node) not in guessed:
                        sure.add(node)
            if not refs:
                named = by_name.get(ctx.text(stack, role_value), [])
                nodes.extend(named)
                sure.update(named)
        if nodes:
            label = f"{res.type} {res.logical_id}"
            document = res.properties.get("PolicyDocument")
            weak = frozenset(set(nodes) - sure)
            _apply(ctx, stack, sorted(set(nodes)), document, label, calls, res, weak)

    each(ctx, ID, ("AWS::IAM::Role",), role)
    each(ctx, ID, ("AWS::IAM::Policy",), policy)
    each(ctx, ID, ("AWS::IAM::ManagedPolicy",), policy)
