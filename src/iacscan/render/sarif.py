"""SARIF 2.1.0 for code scanning: findings and failing or warning verdict criteria as results.

A finding's ruleId is its rule id; a criterion's is the criterion id. Locations point at the
template file (relative paths stay relative, against ``%SRCROOT%``) and at the line when it is
known: SARIF has no line 0, so without a line the region is left out. ``partialFingerprints``
hold ``iacscan/v1`` = sha256 of the rule id, and the stack and node id of each resource, so
that a result keeps its identity while the template moves around it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

from iacscan.model import Analysis, InputError
from iacscan.render.escape import clean

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/iacscan/iacscan"
SRCROOT = "%SRCROOT%"
LEVELS = {"error": "error", "warning": "warning", "note": "note"}
CRITERION_LEVELS = {"fail": "error", "warn": "warning"}


@dataclass(frozen=True)
class RuleDoc:
    """The documentation of one rule or criterion, as SARIF reportingDescriptor metadata."""

    id: str
    name: str
    short: str
    full: str
    help: str
    help_uri: str
    severity: str


def _rule(doc: RuleDoc) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": doc.id,
        "name": doc.name or doc.id,
        "shortDescription": {"text": doc.short or doc.id},
        "fullDescription": {"text": doc.full or doc.short or doc.id},
        "help": {"text": doc.help or doc.full or doc.short or doc.id},
        "defaultConfiguration": {"level": LEVELS.get(doc.severity, "warning")},
    }
    if doc.help_uri:
        rule["helpUri"] = doc.help_uri
    return rule


def _artifact(file: str) -> dict[str, Any]:
    if PurePosixPath(file).is_absolute():
        return {"uri": PurePosixPath(file).as_uri()}
    if PureWindowsPath(file).is_absolute():
        return {"uri": PureWindowsPath(file).as_uri()}
    posix = file.replace("\\", "/").removeprefix("./")
    return {"uri": quote(posix, safe="/-._~"), "uriBaseId": SRCROOT}


def _location(
    file: str, line: int | None, node: str | None, label: str | None = None
) -> dict[str, Any]:
    location: dict[str, Any] = {}
    if file:
        physical: dict[str, Any] = {"artifactLocation": _artifact(file)}
        if isinstance(line, int) and line >= 1:
            physical["region"] = {"startLine": line}
        location["physicalLocation"] = physical
    if node:
        logical = {"name": label or node, "kind": "resource"}
        if label and label != node:
            logical["fullyQualifiedName"] = node
        location["logicalLocations"] = [logical]
    return location


def _plain(value: object) -> str:
    """A SARIF plain-text message: one line without escape sequences or control characters,
    and with square brackets escaped, so that template text cannot form an embedded link
    (``[text](uri)``, SARIF 2.1.0 section 3.11.6) that viewers would render."""
    text = re.sub(r"\\(?=[\[\]])", r"\\\\", clean(value))
    return text.replace("[", "\\[").replace("]", "\\]")


def _fingerprint(rule_id: str, resources: Sequence[str], stacks: dict[str, str]) -> str:
    parts = [rule_id] + [f"{stacks.get(r, '')}\x1f{r}" for r in sorted(resources)]
    return hashlib.sha256("\x1e".join(parts).encode("utf-8")).hexdigest()


def _notification(e: InputError, internal: bool) -> dict[str, Any]:
    kind = "internal" if internal else e.kind
    text = f"{e.message} Hint: {e.hint}" if e.hint else e.message
    note: dict[str, Any] = {
        "level": "error",
        "message": {"text": _plain(text or kind)},
        "descriptor": {"id": f"iacscan/{kind}"},
    }
    location = _location(e.file, e.line, None)
    if location:
        note["locations"] = [location]
    return note


def sarif_dict(a: Analysis, rules: Sequence[RuleDoc]) -> dict[str, Any]:
    descriptors = [_rule(doc) for doc in rules]
    index = {doc.id: i for i, doc in enumerate(rules)}

    def rule_index(rule_id: str, title: str, severity: str) -> int:
        if rule_id not in index:  # a rule without documentation still gets a descriptor
            index[rule_id] = len(descriptors)
            descriptors.append(_rule(RuleDoc(rule_id, rule_id, title, title, title, "", severity)))
        return index[rule_id]

    stacks = {n.id: n.stack for n in a.topology.nodes}
    labels = a.names()
    results: list[dict[str, Any]] = []
    for f in a.findings:
        first = f.resources[0] if f.resources else None
        location = _location(f.file, f.line, first, labels.get(first) if first else None)
        results.append(
            {
                "ruleId": f.rule,
                "ruleIndex": rule_index(f.rule, f.rule, f.severity),
                "level": LEVELS.get(f.severity, "warning"),
                "message": {"text": _plain(f.message or f.rule)},
                "locations": [location] if location else [],
                "partialFingerprints": {"iacscan/v1": _fingerprint(f.rule, f.resources, stacks)},
            }
        )
    for c in a.verdict.criteria:
        if c.status not in CRITERION_LEVELS:
            continue
        level = CRITERION_LEVELS[c.status]
        # One result per piece of evidence: each names a resource a reviewer must look at.
        for ev in c.evidence or (None,):
            why = f": {labels.get(ev.node, ev.node)}: {ev.why}" if ev else ""
            default = " (CloudFormation default)" if ev and ev.default else ""
            results.append(
                {
                    "ruleId": c.id,
                    "ruleIndex": rule_index(c.id, c.title, level),
                    "level": level,
                    "message": {
                        "text": _plain(
                            f"{c.title} ({c.status} under {a.verdict.definition}){why}{default}"
                        )
                    },
                    "locations": [_location(ev.file, ev.line, ev.node, labels.get(ev.node))]
                    if ev
                    else [],
                    "partialFingerprints": {
                        "iacscan/v1": _fingerprint(c.id, [ev.node] if ev else [], stacks)
                    },
                }
            )
    notifications = [_notification(e, False) for e in a.errors]
    notifications += [_notification(e, True) for e in a.internal_errors]
    invocation: dict[str, Any] = {"executionSuccessful": not notifications}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    v = a.verdict
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "iacscan",
                        "version": a.tool_version,
                        "informationUri": INFORMATION_URI,
                        "rules": descriptors,
                    }
                },
                "invocations": [invocation],
                "originalUriBaseIds": {SRCROOT: {"description": {"text": "The scanned folder."}}},
                "results": results,
                "properties": {
                    "verdict": {
                        "definition": v.definition,
                        "level": v.level,
                        "serverless": v.serverless,
                        "architecture": v.architecture,
                        "summary": clean(v.summary),
                    }
                },
            }
        ],
    }


def render_sarif(a: Analysis, rules: Sequence[RuleDoc]) -> str:
    return json.dumps(sarif_dict(a, rules), indent=2, ensure_ascii=False) + "\n"
