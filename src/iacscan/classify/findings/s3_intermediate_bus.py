"""P2: an S3 bucket used as a bus between compute steps (Tier-1 requests for every hand-off)."""

from __future__ import annotations

from iacscan.classify.findings.base import RuleDoc, RuleInput
from iacscan.model import Finding

DOC = RuleDoc(
    id="s3-intermediate-bus",
    title="S3 bucket used as a bus between compute steps",
    severity="warning",
    detects=(
        "A bucket that one compute unit writes and another reads, where the two are linked: "
        "steps of one state machine, or the bucket's notification triggers the reader."
    ),
    why=(
        "Every hand-off costs a PUT and a GET (Tier-1 requests) plus latency; Prime Video found "
        "'the high number of Tier-1 calls to the S3 bucket was expensive'."
    ),
    instead="Keep producer and consumer in one process or task, pass references, or batch objects.",
    source="Prime Video Tech (2023-03-22); Cockcroft (2023); definition-research §4.6 P2",
)

_UNIT_ROLES = ("compute",)


def intermediate_buckets(data: RuleInput) -> dict[str, tuple[list[str], list[str]]]:
    """Bucket -> (writers, readers) for buckets that carry data between linked units."""
    out = {}
    for node in data.topology.nodes:
        if node.type != "AWS::S3::Bucket":
            continue
        writers = sorted(
            {
                e.source
                for e in data.in_edges.get(node.id, [])
                if e.kind == "writes" and data.nodes[e.source].role in _UNIT_ROLES
            }
        )
        readers = sorted(
            {
                e.target
                for e in data.out_edges.get(node.id, [])
                if e.kind in ("reads", "triggers") and data.nodes[e.target].role in _UNIT_ROLES
            }
        )
        if not writers or not readers or set(writers) == set(readers):
            continue
        if _linked(data, node.id, writers, readers):
            out[node.id] = (writers, readers)
    return out


def _linked(data: RuleInput, bucket: str, writers: list[str], readers: list[str]) -> bool:
    if any(e.kind == "triggers" for e in data.out_edges.get(bucket, [])):
        return True
    for w in writers:
        callers_w = {e.source for e in data.in_edges.get(w, []) if e.kind == "invokes"}
        for r in readers:
            if r == w:
                continue
            callers_r = {e.source for e in data.in_edges.get(r, []) if e.kind == "invokes"}
            if callers_w & callers_r or w in callers_r:
                return True
    return False


def check(data: RuleInput) -> list[Finding]:
    findings = []
    for bucket, (writers, readers) in sorted(intermediate_buckets(data).items()):
        file, line = data.location(bucket)
        findings.append(
            Finding(
                rule=DOC.id,
                severity=DOC.severity,
                message=(
                    f"{bucket} carries data between compute steps: written by {', '.join(writers)}, "
                    f"read by {', '.join(r for r in readers if r not in writers)}"
                ),
                resources=(bucket, *writers, *[r for r in readers if r not in writers]),
                file=file,
                line=line,
            )
        )
    return findings
