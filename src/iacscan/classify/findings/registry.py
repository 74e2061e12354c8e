"""The explicit list of costly-pattern rules."""

from __future__ import annotations

from collections.abc import Callable

from iacscan.classify.findings import (
    fan_out_re_reads,
    lambda_calls_lambda,
    s3_intermediate_bus,
    sfn_standard_per_item,
    sustained_per_invocation,
)
from iacscan.classify.findings.base import RuleDoc, RuleInput
from iacscan.model import Finding

Rule = tuple[RuleDoc, Callable[[RuleInput], list[Finding]]]

RULES: tuple[Rule, ...] = (
    (sfn_standard_per_item.DOC, sfn_standard_per_item.check),
    (s3_intermediate_bus.DOC, s3_intermediate_bus.check),
    (fan_out_re_reads.DOC, fan_out_re_reads.check),
    (lambda_calls_lambda.DOC, lambda_calls_lambda.check),
    (sustained_per_invocation.DOC, sustained_per_invocation.check),
)


def rule_doc(rule_id: str) -> RuleDoc | None:
    return next((doc for doc, _ in RULES if doc.id == rule_id), None)
