"""P4: functions calling functions synchronously."""

from __future__ import annotations

from iacscan.classify.findings.base import RuleDoc, RuleInput
from iacscan.model import Finding

DOC = RuleDoc(
    id="lambda-calls-lambda",
    title="Function calling another function directly",
    severity="note",
    detects=(
        "A Lambda function whose role allows lambda:InvokeFunction on another function in scope, "
        "named (a grant on every function is not enough)."
    ),
    why=(
        "You pay for both functions while one waits for the other, and failures couple them: "
        "'Functions calling other functions is an anti-pattern' (Johnston, Serverless Best Practices)."
    ),
    instead="Put a queue, topic, event bus or a state machine between them.",
    source="Paul Johnston, Serverless Best Practices; definition-research §4.6 P4",
    precision="medium",  # its evidence can be an IAM statement
)


def check(data: RuleInput) -> list[Finding]:
    findings = []
    for e in data.topology.edges:
        if e.kind != "invokes" or all(v.weak for v in e.via):
            # a grant on every function (Resource "*") says what the role may do, not which
            # function it calls: no finding from it
            continue
        src, dst = data.nodes[e.source], data.nodes[e.target]
        if src.type == dst.type == "AWS::Lambda::Function" and src.id != dst.id:
            via = e.via[0] if e.via else None
            findings.append(
                Finding(
                    rule=DOC.id,
                    severity=DOC.severity,
                    message=f"{src.id} invokes {dst.id} directly ({via.what if via else 'IAM'})",
                    resources=(src.id, dst.id),
                    file=via.file if via else src.file,
                    line=via.line if via else src.line,
                )
            )
    return findings
