"""P1: a Standard workflow doing per-item or per-second work, billed per state transition."""

from __future__ import annotations

from iacscan.classify.findings.base import RuleDoc, RuleInput
from iacscan.model import Finding
from iacscan.resolve import Unknown

DOC = RuleDoc(
    id="sfn-standard-per-item",
    title="Standard Step Functions workflow doing per-item or per-second work",
    severity="warning",
    detects=(
        "A STANDARD state machine (the CloudFormation default) that iterates: a Map over items, "
        "a loop in its state graph, or a Distributed Map whose child workflows are STANDARD."
    ),
    why=(
        "Standard workflows bill every state transition and share an account-wide transition "
        "quota: Prime Video's monitor 'performed multiple state transitions for every second of "
        "the stream' and hit account limits at 5% of the expected load."
    ),
    instead=(
        "Use an EXPRESS workflow (billed per request and duration), batch items per execution, "
        "or orchestrate in process inside one container, as Prime Video did."
    ),
    source="Prime Video Tech (2023-03-22); definition-research §4.6 P1",
)


def check(data: RuleInput) -> list[Finding]:
    findings = []
    for node in data.topology.nodes:
        if node.type != "AWS::StepFunctions::StateMachine":
            continue
        key = data.ctx.key_of.get(node.id)
        res = data.ctx.resource(key) if key else None
        if res is None or key is None:
            continue
        kind = data.ctx.resolve(key[0], res.properties.get("StateMachineType", "STANDARD"))
        if isinstance(kind, Unknown) or str(kind).upper() != "STANDARD":
            continue
        shape = data.facts.workflow_shapes.get(node.id)
        if shape is None:
            continue
        reasons = []
        inline_maps = [m.path for m in shape.maps if not m.distributed]
        standard_children = [
            m.path
            for m in shape.maps
            if m.distributed and (m.execution_type or "STANDARD").upper() == "STANDARD"
        ]
        if inline_maps:
            reasons.append(f"Map over items ({', '.join(inline_maps)})")
        if standard_children:
            reasons.append(
                f"Distributed Map with STANDARD children ({', '.join(standard_children)})"
            )
        if shape.loops:
            reasons.append("a loop (" + " -> ".join(shape.loops[0]) + ")")
        if not reasons:
            continue
        default = "StateMachineType" not in res.properties
        findings.append(
            Finding(
                rule=DOC.id,
                severity=DOC.severity,
                message=(
                    f"{node.id} is a STANDARD workflow{' (the default)' if default else ''} with "
                    f"{' and '.join(reasons)}: every iteration is billed per state transition"
                ),
                resources=(node.id,),
                file=node.file,
                line=node.line,
            )
        )
    return findings
