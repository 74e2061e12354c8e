"""P5: sustained, continuous work on per-invocation compute."""

from __future__ import annotations

import re

from iacscan.classify.findings.base import RuleDoc, RuleInput
from iacscan.model import Finding

DOC = RuleDoc(
    id="sustained-per-invocation",
    title="Sustained work on per-invocation compute",
    severity="note",
    detects="A schedule every minute (or faster) that starts a function or a state machine.",
    why=(
        "Per-invocation pricing suits bursty work; steady, continuous work can cost more than an "
        "autoscaled container (Cockcroft: containers for 'long running compute jobs, and "
        "predictable high traffic')."
    ),
    instead="Consider an autoscaled container started by a Lambda or fed by a queue.",
    source="Cockcroft (2023); Roberts, Serverless Architectures; definition-research §4.6 P5",
)

_EVERY_MINUTE = re.compile(r"^(rate\(\s*1\s+minutes?\s*\)|cron\(\s*(\*|0/1|\*/1)\s+\*)", re.I)
_TARGETS = ("AWS::Lambda::Function", "AWS::StepFunctions::StateMachine")


def check(data: RuleInput) -> list[Finding]:
    findings = []
    for node in data.topology.nodes:
        if node.type not in ("AWS::Events::Rule", "AWS::Scheduler::Schedule"):
            continue
        key = data.ctx.key_of.get(node.id)
        res = data.ctx.resource(key) if key else None
        if res is None or key is None:
            continue
        expr = data.ctx.text(key[0], res.properties.get("ScheduleExpression"))
        if not _EVERY_MINUTE.match(expr.strip()):
            continue
        targets = [
            e.target
            for e in data.out_edges.get(node.id, [])
            if data.nodes[e.target].type in _TARGETS
        ]
        if targets:
            findings.append(
                Finding(
                    rule=DOC.id,
                    severity=DOC.severity,
                    message=f"{node.id} ({expr}) starts {', '.join(targets)} every minute, all day",
                    resources=(node.id, *targets),
                    file=node.file,
                    line=node.line,
                )
            )
    return findings
