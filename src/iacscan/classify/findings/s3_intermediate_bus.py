"""P2: an S3 bucket used as a bus between compute steps (Tier-1 requests for every hand-off)."""

from __future__ import annotations

from iacscan.classify.findings.base import RuleDoc, RuleInput
from iacscan.classify.findings.handoff import intermediate_buckets
from iacscan.model import Finding

DOC = RuleDoc(
    id="s3-intermediate-bus",
    title="S3 bucket used as a bus between compute steps",
    severity="warning",
    detects=(
        "A bucket that one compute unit writes and another reads, where the two are linked: "
        "steps of one state machine, or the bucket's notification triggers the reader. When one "
        "role lets several units both read and write it, the hand-off is inferred from the "
        "state machine's order, who invokes whom and environment variables naming the bucket; "
        "the message says how confident that is."
    ),
    why=(
        "Every hand-off costs a PUT and a GET (Tier-1 requests) plus latency; Prime Video found "
        "'the high number of Tier-1 calls to the S3 bucket was expensive'."
    ),
    instead="Keep producer and consumer in one process or task, pass references, or batch objects.",
    source="Prime Video Tech (2023-03-22); Cockcroft (2023); definition-research §4.6 P2",
    precision="medium",  # its evidence can be an IAM statement
)


def check(data: RuleInput) -> list[Finding]:
    findings = []
    for bucket, handoff in sorted(intermediate_buckets(data).items()):
        file, line = data.location(bucket)
        if handoff.readers:
            what = (
                f"{bucket} carries data between compute steps: written by "
                f"{', '.join(handoff.writers)}, read by {', '.join(handoff.readers)}"
            )
        else:
            what = (
                f"{bucket} likely carries data between the compute steps "
                f"{', '.join(handoff.writers)} (direction unknown)"
            )
        findings.append(
            Finding(
                rule=DOC.id,
                severity=DOC.severity,
                message=f"{what} ({handoff.note()})",
                resources=(bucket, *handoff.writers, *handoff.readers),
                file=file,
                line=line,
            )
        )
    return findings
