"""Hand-built analyses for renderer and diff tests: the two Prime Video shapes and helpers."""

from __future__ import annotations

import sys
from pathlib import Path

# Let the tests run from a plain checkout (before `pip install -e .`).
_SRC = str(Path(__file__).resolve().parents[1] / "src")
if _SRC not in sys.path:
    sys.path.insert(0, _SRC)

from iacscan.model import (  # noqa: E402
    Analysis,
    Architecture,
    Boundary,
    Cases,
    Criterion,
    Edge,
    EdgeKind,
    Evidence,
    Finding,
    IdleCost,
    InputError,
    InputInfo,
    Level,
    Node,
    Role,
    Topology,
    Verdict,
    Via,
)

VERSION = "0.0.0-test"
FILE = "template.yaml"


def node(
    node_id: str,
    type_: str,
    role: Role,
    line: int | None = None,
    *,
    path: str | None = None,
    deploy_time: bool = False,
    stack: str = "monitoring",
    file: str = FILE,
    **properties: str | int | bool | None,
) -> Node:
    return Node(node_id, type_, role, stack, file, line, path, deploy_time, properties)


def edge(
    source: str, target: str, kind: EdgeKind, what: str, line: int | None = None, weak: bool = False
) -> Edge:
    return Edge(source, target, kind, (Via(what, FILE, line, weak),))


def ev(node_id: str, why: str, line: int | None = None, default: bool = False) -> Evidence:
    return Evidence(node_id, FILE, line, why, default)


def verdict(
    level: Level = "serverless",
    architecture: Architecture = "distributed",
    *,
    serverless: bool | None = True,
    summary: str = "",
    criteria: tuple[Criterion, ...] = (),
    idle_costs: tuple[IdleCost, ...] = (),
    cases: Cases | None = None,
    warnings: tuple[str, ...] = (),
    reasons: tuple[str, ...] = (),
    definition: str = "johnston-2023",
) -> Verdict:
    zero = None if serverless is None else level == "serverless"
    monolith = None if architecture == "none" else architecture == "monolith-candidate"
    return Verdict(
        definition,
        serverless,
        level,
        zero,
        monolith,
        architecture,
        summary or f"{level} under {definition}, {architecture}.",
        criteria,
        idle_costs,
        cases,
        warnings,
        reasons,
    )


def analysis(
    nodes: list[Node],
    edges: list[Edge],
    v: Verdict,
    *,
    ingress: tuple[str, ...] = (),
    egress: tuple[str, ...] = (),
    findings: tuple[Finding, ...] = (),
    errors: tuple[InputError, ...] = (),
    internal_errors: tuple[InputError, ...] = (),
    notes: tuple[str, ...] = (),
) -> Analysis:
    return Analysis(
        VERSION,
        (InputInfo(FILE, "template", ("monitoring",)),),
        v,
        Topology(tuple(nodes), tuple(edges)),
        Boundary(ingress, egress),
        findings,
        errors,
        internal_errors,
        notes,
    )


def _criteria(compute: list[tuple[str, str, int]]) -> tuple[Criterion, ...]:
    return (
        Criterion(
            "no-servers",
            "No servers you manage",
            "pass",
            tuple(ev(n, f"{t} is managed compute", ln) for n, t, ln in compute),
        ),
        Criterion(
            "idle-cost",
            "Costs nothing when idle (excluding data storage)",
            "pass",
            (ev("MonitorStateMachine", "StateMachineType absent: STANDARD", 30, True),)
            if compute[0][0] != "LauncherFunction"
            else (ev("MonitorTask", "RequiresCompatibilities [FARGATE], run per event", 40),),
        ),
        Criterion(
            "event-driven",
            "Event-driven",
            "pass",
            (ev("StartRule", "an EventBridge rule starts the work", 5),),
        ),
        Criterion("availability", "Implicit availability", "n/a", ()),
    )


def prime_before() -> Analysis:
    """Rule -> Standard state machine -> converter and detector functions, frames through S3."""
    nodes = [
        node("StartRule", "AWS::Events::Rule", "router", 5),
        node(
            "MonitorStateMachine",
            "AWS::StepFunctions::StateMachine",
            "orchestrator",
            30,
            StateMachineType="STANDARD",
        ),
        node("ConverterFunction", "AWS::Lambda::Function", "compute", 50, Runtime="python3.12"),
        node("DetectorFunction", "AWS::Lambda::Function", "compute", 70, Runtime="python3.12"),
        node("FramesBucket", "AWS::S3::Bucket", "store", 90),
        node("AlertsTopic", "AWS::SNS::Topic", "channel", 100),
        node("ResultsBucket", "AWS::S3::Bucket", "store", 110),
    ]
    edges = [
        edge(
            "StartRule", "MonitorStateMachine", "triggers", "AWS::Events::Rule StartRule Targets", 6
        ),
        edge("MonitorStateMachine", "ConverterFunction", "invokes", "ASL Task Convert", 31),
        edge("MonitorStateMachine", "DetectorFunction", "invokes", "ASL Map Detect > Task", 32),
        edge("ConverterFunction", "FramesBucket", "writes", "IAM s3:PutObject", 55),
        edge("FramesBucket", "DetectorFunction", "reads", "IAM s3:GetObject", 75),
        edge("DetectorFunction", "AlertsTopic", "writes", "IAM sns:Publish", 76),
        edge("DetectorFunction", "ResultsBucket", "writes", "IAM s3:PutObject", 77, weak=True),
    ]
    findings = (
        Finding(
            "standard-workflow-per-item",
            "warning",
            "Standard state machine MonitorStateMachine runs a Map per item: billed per "
            "state transition",
            ("MonitorStateMachine",),
            FILE,
            32,
        ),
        Finding(
            "s3-as-bus",
            "warning",
            "FramesBucket carries data between ConverterFunction and DetectorFunction",
            ("ConverterFunction", "DetectorFunction", "FramesBucket"),
            FILE,
            90,
        ),
        Finding(
            "fan-out-reread",
            "note",
            "DetectorFunction re-reads the frames of FramesBucket",
            ("DetectorFunction", "FramesBucket"),
            FILE,
            75,
        ),
    )
    v = verdict(
        "serverless",
        "distributed",
        summary="Serverless under johnston-2023: every unit scales to zero; distributed "
        "(2 groups of compute).",
        criteria=_criteria(
            [
                ("ConverterFunction", "AWS::Lambda::Function", 50),
                ("DetectorFunction", "AWS::Lambda::Function", 70),
            ]
        ),
        reasons=(
            "distributed because: ConverterFunction and DetectorFunction are separate "
            "units linked through FramesBucket",
            "a template shows deployable units and their channels, not the code inside",
        ),
    )
    return analysis(
        nodes,
        edges,
        v,
        ingress=("StartRule",),
        egress=("AlertsTopic", "ResultsBucket"),
        findings=findings,
    )


def prime_after() -> Analysis:
    """Rule -> launcher function -> ecs:RunTask of one Fargate task writing SNS and S3."""
    nodes = [
        node("StartRule", "AWS::Events::Rule", "router", 5),
        node("LauncherFunction", "AWS::Lambda::Function", "compute", 20, Runtime="python3.12"),
        node("MonitorTask", "AWS::ECS::TaskDefinition", "compute", 40, LaunchType="FARGATE"),
        node("AlertsTopic", "AWS::SNS::Topic", "channel", 100),
        node("ResultsBucket", "AWS::S3::Bucket", "store", 110),
    ]
    edges = [
        edge("StartRule", "LauncherFunction", "triggers", "AWS::Events::Rule StartRule Targets", 6),
        edge("LauncherFunction", "MonitorTask", "invokes", "IAM ecs:RunTask", 25),
        edge("MonitorTask", "AlertsTopic", "writes", "IAM sns:Publish", 45),
        edge("MonitorTask", "ResultsBucket", "writes", "IAM s3:PutObject", 46),
    ]
    v = verdict(
        "serverless",
        "single-service",
        summary="Serverless under johnston-2023: a Fargate task started per event; single service.",
        criteria=_criteria(
            [
                ("LauncherFunction", "AWS::Lambda::Function", 20),
                ("MonitorTask", "AWS::ECS::TaskDefinition", 40),
            ]
        ),
        reasons=("not a monolith because: invoked by LauncherFunction, emits to AlertsTopic",),
    )
    return analysis(
        nodes, edges, v, ingress=("StartRule",), egress=("AlertsTopic", "ResultsBucket")
    )


def prime_after_service(
    level: Level = "serverless-with-floor", serverless: bool | None = True
) -> Analysis:
    """The after shape as an autoscaled ECS service with a floor of two tasks."""
    base = prime_after()
    nodes = [n for n in base.topology.nodes if n.id != "MonitorTask"] + [
        node(
            "MonitorService",
            "AWS::ECS::Service",
            "compute",
            40,
            LaunchType="FARGATE",
            MinCapacity=2,
        ),
    ]
    edges = [
        edge("StartRule", "LauncherFunction", "triggers", "AWS::Events::Rule StartRule Targets", 6),
        edge("LauncherFunction", "MonitorService", "invokes", "IAM ecs:UpdateService", 25),
        edge("MonitorService", "AlertsTopic", "writes", "IAM sns:Publish", 45),
        edge("MonitorService", "ResultsBucket", "writes", "IAM s3:PutObject", 46),
    ]
    costs = (
        IdleCost(
            "MonitorService",
            "container-floor",
            "MinCapacity 2 of its ScalableTarget: two tasks run while idle",
        ),
    )
    v = verdict(
        level,
        "single-service",
        serverless=serverless,
        idle_costs=costs,
        criteria=base.verdict.criteria,
    )
    return analysis(
        nodes, edges, v, ingress=("StartRule",), egress=("AlertsTopic", "ResultsBucket")
    )


def huge(n: int, *, prefix: str = "Worker") -> Analysis:
    """A synthetic topology with ``n`` functions fed by ``n`` queues, and one finding each."""
    nodes, edges, findings = [], [], []
    for i in range(n):
        fn, q = f"{prefix}Function{i:05d}", f"{prefix}Queue{i:05d}"
        nodes += [
            node(fn, "AWS::Lambda::Function", "compute", i + 1, path=f"App/{fn}/Resource"),
            node(q, "AWS::SQS::Queue", "channel", i + 1),
        ]
        edges.append(edge(q, fn, "triggers", f"AWS::Lambda::EventSourceMapping {fn}Mapping", i))
        findings.append(
            Finding("sustained-work", "note", f"{fn} runs all the time " * 3, (fn,), FILE, i + 1)
        )
    v = verdict("serverless", "distributed", warnings=tuple(f"warning {i}" for i in range(n)))
    return analysis(
        nodes, edges, v, ingress=tuple(e.source for e in edges), findings=tuple(findings)
    )


EVIL = (
    'Evil|<script>alert(1)</script>`code`]]"\n%%{init: {"theme":"dark"}}%%\x1b[31mRED'
    "\x1b]8;;javascript:alert(1)\x07click\x1b]8;;\x07\x1b[2J end\r\nclick n1 call "
    "javascript:alert(1) [x](javascript:alert(1)) **bold** _it_ ~~s~~ $x$ @me www.evil.com "
    "C:\\evil\\"
)


def evil() -> Analysis:
    """Every user-controlled string of an analysis carries markup, escapes and newlines."""
    fn, topic = f"{EVIL}Fn", f"end{EVIL}Topic"
    nodes = [
        Node(fn, f"Custom::{EVIL}", "compute", EVIL, f"{EVIL}.yaml", 3, EVIL, False, {EVIL: EVIL}),
        node(topic, "AWS::SNS::Topic", "channel", None),
        node("end", "AWS::SQS::Queue", "channel", 1),
    ]
    edges = [
        Edge("end", fn, "triggers", (Via(EVIL, f"{EVIL}.yaml", 4, True),)),
        Edge(fn, topic, "writes", (Via(EVIL, f"{EVIL}.yaml", None),)),
        Edge(fn, f"ext:{EVIL}", "invokes", (Via(EVIL, EVIL, 9),)),
    ]
    crit = Criterion(EVIL, EVIL, "fail", (ev(fn, EVIL, 3, True),))
    v = verdict(
        "indeterminate",
        "distributed",
        serverless=None,
        summary=EVIL,
        criteria=(crit,),
        idle_costs=(IdleCost(fn, "network", EVIL),),
        cases=Cases("serverless", "not-serverless", (EVIL,)),
        warnings=(EVIL,),
        reasons=(EVIL,),
        definition=EVIL,
    )
    error = InputError(f"{EVIL}.yaml", 2, "parse", EVIL, EVIL)
    return analysis(
        nodes,
        edges,
        v,
        ingress=("end",),
        egress=(topic,),
        findings=(Finding(f"rule{EVIL}", "error", EVIL, (fn, topic), f"{EVIL}.yaml", 7),),
        errors=(error,),
        internal_errors=(InputError("", None, "internal", EVIL, ""),),
        notes=(EVIL,),
    )
