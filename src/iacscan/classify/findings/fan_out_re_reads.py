"""P3: several workers each re-read the same intermediate objects."""

from __future__ import annotations

from iacscan.classify.findings.base import RuleDoc, RuleInput
from iacscan.classify.findings.handoff import intermediate_buckets
from iacscan.model import Finding

DOC = RuleDoc(
    id="fan-out-re-reads",
    title="Fan-out re-reads of intermediate objects",
    severity="warning",
    detects="An intermediate bucket (see s3-intermediate-bus) read by two or more different units.",
    why=(
        "Cost grows with readers x objects: each Prime Video detector downloaded every frame. "
        "Duplicated computation itself is not flagged: re-running conversion was cheaper there."
    ),
    instead="Run the readers in one process, or shard work so each copy reads its own subset.",
    source="Prime Video Tech (2023-03-22); definition-research §4.6 P3",
    precision="medium",  # its evidence can be an IAM statement
)


def check(data: RuleInput) -> list[Finding]:
    findings = []
    for bucket, handoff in sorted(intermediate_buckets(data).items()):
        if len(handoff.readers) < 2:
            continue
        file, line = data.location(bucket)
        findings.append(
            Finding(
                rule=DOC.id,
                severity=DOC.severity,
                message=(
                    f"{len(handoff.readers)} units each read the objects in {bucket}: "
                    f"{', '.join(handoff.readers)} ({handoff.note()})"
                ),
                resources=(bucket, *handoff.readers),
                file=file,
                line=line,
            )
        )
    return findings
