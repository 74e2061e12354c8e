"""SARIF 2.1.0 for code scanning: findings and failing or warning verdict criteria as results.

One log holds one run, whatever the number of reports (``--each``, several systems): GitHub
accepts at most 20 runs per file and 25,000 results per run (the first 25,000, most severe
first, are kept, and a notification says how many were left out).

A finding's ruleId is its rule id; a criterion's is the criterion id. Every location is a path
relative to the repository root (the git top level, ``%SRCROOT%``), whatever folder the scan
ran in: the command line gives the root and the working folder (``Where``); this module only
does path arithmetic. A file outside the repository (a CDK synthesis cache) is shown at the CDK
app's entry file when known, else only as a logical location. Every physical location has a
line: the resource's line when the finding has none, else line 1 with a note in the message.

``partialFingerprints`` hold ``iacscan/v2`` = sha256 of the rule id, the file and the stack and
node id of each resource *in order* (so A -> B and B -> A differ) and no line number (so a
result keeps its identity while unrelated lines move). Suppressed findings (``Metadata`` or
``--ignore``) are results with ``suppressions``, as code scanning expects.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PureWindowsPath
from typing import Any
from urllib.parse import quote

from iacscan.model import Analysis, Finding, InputError, Suppression
from iacscan.render.escape import clean

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/iacscan/iacscan"
SRCROOT = "%SRCROOT%"
LEVELS = {"error": "error", "warning": "warning", "note": "note"}
CRITERION_LEVELS = {"fail": "error", "warn": "warning"}
MAX_RESULTS = 25_000  # GitHub code scanning's limit per run
FINGERPRINT = "iacscan/v2"
_SEVERITY_ORDER = {"error": 0, "warning": 1, "note": 2, "none": 3}


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
    markdown: str = ""
    tags: tuple[str, ...] = ()
    precision: str = "high"  # SARIF/GitHub: very-high, high, medium, low


@dataclass(frozen=True)
class Where:
    """Where files are: ``root`` the repository root (absolute, None outside a repository),
    ``cwd`` the folder the scan ran in (absolute; relative report paths are relative to it),
    ``entries`` stack name -> the entry file of the CDK app that made it (cwd-relative; ``*``
    for every stack when there is one CDK app)."""

    root: str | None = None
    cwd: str = ""
    entries: Mapping[str, str] = field(default_factory=dict)


def _rule(doc: RuleDoc) -> dict[str, Any]:
    text = doc.help or doc.full or doc.short or doc.id
    markdown = doc.markdown or text + (
        f"\n\n[Documentation]({doc.help_uri})" if doc.help_uri else ""
    )
    rule: dict[str, Any] = {
        "id": doc.id,
        "name": doc.name or doc.id,
        "shortDescription": {"text": doc.short or doc.id},
        "fullDescription": {"text": doc.full or doc.short or doc.id},
        "help": {"text": text, "markdown": markdown},
        "defaultConfiguration": {"level": LEVELS.get(doc.severity, "warning")},
        "properties": {"tags": list(doc.tags or ("iac", "serverless")), "precision": doc.precision},
    }
    if doc.help_uri:
        rule["helpUri"] = doc.help_uri
    return rule


def _posix(file: str) -> str:
    return file.replace("\\", "/")


def repo_path(file: str, where: Where) -> str | None:
    """``file`` relative to the repository root (posix), or None when it is outside it. Without
    a repository, relative to the working folder."""
    if not file:
        return None
    posix = _posix(file)
    if PureWindowsPath(file).is_absolute() and not posixpath.isabs(posix):
        return None  # a Windows drive path: never an absolute URI in the log
    path = posixpath.normpath(posixpath.join(_posix(where.cwd), posix) if where.cwd else posix)
    if where.root is None:
        if not posixpath.isabs(path):
            return path
        return posixpath.relpath(path, _posix(where.cwd)) if where.cwd else None
    if not posixpath.isabs(path):
        return path  # no working folder given: the path is taken as relative to the root
    rel = posixpath.relpath(path, _posix(where.root))
    if rel == ".." or rel.startswith("../"):
        return None
    return rel


class _Locator:
    def __init__(self, reports: Sequence[Analysis], where: Where) -> None:
        self.where = where
        self.nodes = {(id(a), n.id): n for a in reports for n in a.topology.nodes}

    def place(
        self, a: Analysis, file: str, line: int | None, node: str | None
    ) -> tuple[dict[str, Any], str, str]:
        """The location, its repository path (for the fingerprint) and a note for the message."""
        n = self.nodes.get((id(a), node)) if node else None
        note = ""
        rel = repo_path(file, self.where)
        if rel is not None and n is not None and self._synthesized(rel, n.stack):
            rel = None  # a CDK app's synthesized template: point at the app instead
        entry = self._entry(n.stack) if n is not None else None
        if rel is None and entry is not None:
            rel = repo_path(entry, self.where)
            if rel is not None:
                line, note = 1, " (CDK: shown at the app's entry file; the template is synthesized)"
        if rel is not None and not (isinstance(line, int) and line >= 1):
            if n is not None and n.line and repo_path(n.file, self.where) == rel:
                line = n.line
            else:
                line, note = 1, " (line unknown: shown at line 1)"
        location: dict[str, Any] = {}
        if rel is not None:
            location["physicalLocation"] = {
                "artifactLocation": {"uri": quote(rel, safe="/-._~"), "uriBaseId": SRCROOT},
                "region": {"startLine": line},
            }
        if node:
            location["logicalLocations"] = [
                {
                    "name": n.name if n is not None else node,
                    "fullyQualifiedName": f"{n.stack}/{node}" if n else node,
                    "kind": "resource",
                }
            ]
        return location, rel or "", note

    def _entry(self, stack: str) -> str | None:
        return self.where.entries.get(stack) or self.where.entries.get("*")

    def _synthesized(self, rel: str, stack: str) -> bool:
        return self._entry(stack) is not None and (
            "/cdk.out/" in f"/{rel}" or rel.endswith(".template.json")
        )


def _plain(value: object) -> str:
    """A SARIF plain-text message: one line without escape sequences or control characters,
    and with square brackets escaped, so that template text cannot form an embedded link
    (``[text](uri)``, SARIF 2.1.0 section 3.11.6) that viewers would render."""
    text = re.sub(r"\\(?=[\[\]])", r"\\\\", clean(value))
    return text.replace("[", "\\[").replace("]", "\\]")


def _fingerprint(rule_id: str, path: str, resources: Sequence[str], stacks: dict[str, str]) -> str:
    parts = [rule_id, path] + [f"{stacks.get(r, '')}\x1f{r}" for r in resources]
    return hashlib.sha256("\x1e".join(parts).encode("utf-8")).hexdigest()


def _notification(e: InputError, internal: bool, where: Where) -> dict[str, Any]:
    kind = "internal" if internal else e.kind
    text = f"{e.message} Hint: {e.hint}" if e.hint else e.message
    note: dict[str, Any] = {
        "level": "error",
        "message": {"text": _plain(text or kind)},
        "descriptor": {"id": f"iacscan/{kind}"},
    }
    rel = repo_path(e.file, where)
    if rel is not None:
        region = {"startLine": e.line} if e.line and e.line >= 1 else {"startLine": 1}
        note["locations"] = [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": quote(rel, safe="/-._~"), "uriBaseId": SRCROOT},
                    "region": region,
                }
            }
        ]
    return note


class _Results:
    def __init__(self, rules: Sequence[RuleDoc], locator: _Locator) -> None:
        self.descriptors = [_rule(doc) for doc in rules]
        self.index = {doc.id: i for i, doc in enumerate(rules)}
        self.locator = locator
        self.results: list[dict[str, Any]] = []
        self._stacks_of: Analysis | None = None
        self._stacks: dict[str, str] = {}

    def rule_index(self, rule_id: str, title: str, severity: str) -> int:
        if rule_id not in self.index:  # a rule without documentation still gets a descriptor
            self.index[rule_id] = len(self.descriptors)
            doc = RuleDoc(rule_id, rule_id, title, title, title, "", severity)
            self.descriptors.append(_rule(doc))
        return self.index[rule_id]

    def stacks(self, a: Analysis) -> dict[str, str]:
        """Node id -> stack, built once per report (fingerprints name both)."""
        if self._stacks_of is not a:
            self._stacks_of, self._stacks = a, {n.id: n.stack for n in a.topology.nodes}
        return self._stacks

    def finding(self, a: Analysis, f: Finding, suppression: Suppression | None) -> None:
        stacks = self.stacks(a)
        node = f.resources[0] if f.resources else None
        location, rel, note = self.locator.place(a, f.file, f.line, node)
        result: dict[str, Any] = {
            "ruleId": f.rule,
            "ruleIndex": self.rule_index(f.rule, f.rule, f.severity),
            "level": LEVELS.get(f.severity, "warning"),
            "message": {"text": _plain((f.message or f.rule) + note)},
            "locations": [location] if location else [],
            "partialFingerprints": {FINGERPRINT: _fingerprint(f.rule, rel, f.resources, stacks)},
        }
        if suppression is not None:
            kind = "inSource" if suppression.kind == "metadata" else "external"
            result["suppressions"] = [
                {"kind": kind, "status": "accepted", "justification": suppression.justification}
            ]
        self.results.append(result)

    def criteria(self, a: Analysis) -> None:
        stacks = self.stacks(a)
        labels = a.names()  # CDK: construct paths people recognise, not hashed logical ids
        for c in a.verdict.criteria:
            if c.status not in CRITERION_LEVELS:
                continue
            level = CRITERION_LEVELS[c.status]
            # One result per piece of evidence: each names a resource a reviewer must look at.
            for ev in c.evidence or (None,):
                why = f": {labels.get(ev.node, ev.node)}: {ev.why}" if ev else ""
                default = " (CloudFormation default)" if ev and ev.default else ""
                if ev is not None:
                    location, rel, note = self.locator.place(a, ev.file, ev.line, ev.node)
                else:
                    location, rel, note = {}, "", ""
                text = f"{c.title} ({c.status} under {a.verdict.definition}){why}{default}{note}"
                resources = [ev.node] if ev else []
                self.results.append(
                    {
                        "ruleId": c.id,
                        "ruleIndex": self.rule_index(c.id, c.title, level),
                        "level": level,
                        "message": {"text": _plain(text)},
                        "locations": [location] if location else [],
                        "partialFingerprints": {
                            FINGERPRINT: _fingerprint(c.id, rel, resources, stacks)
                        },
                    }
                )


def _verdict(a: Analysis) -> dict[str, Any]:
    v = a.verdict
    return {
        "inputs": [i.path for i in a.inputs],
        "definition": v.definition,
        "level": v.level,
        "serverless": v.serverless,
        "architecture": v.architecture,
        "summary": clean(v.summary),
    }


def sarif_log(
    reports: Sequence[Analysis],
    rules: Sequence[RuleDoc],
    where: Where | None = None,
    *,
    max_results: int = MAX_RESULTS,
) -> dict[str, Any]:
    """One SARIF log with one run for all ``reports``."""
    where = where or Where()
    out = _Results(rules, _Locator(reports, where))
    for a in reports:
        for f in a.findings:
            out.finding(a, f, None)
        for s in a.suppressed:
            out.finding(a, s.finding, s)
        out.criteria(a)
    notifications = [_notification(e, False, where) for a in reports for e in a.errors]
    notifications += [_notification(e, True, where) for a in reports for e in a.internal_errors]
    results = out.results
    if len(results) > max_results:
        results = sorted(
            results, key=lambda r: ("suppressions" in r, _SEVERITY_ORDER.get(r["level"], 3))
        )
        notifications.append(
            {
                "level": "warning",
                "message": {
                    "text": f"{len(results) - max_results} of {len(results)} results left out: "
                    f"code scanning accepts at most {max_results:,} per run (the most severe "
                    "are kept; `--format json` has all of them)"
                },
                "descriptor": {"id": "iacscan/limit"},
            }
        )
        results = results[:max_results]
    invocation: dict[str, Any] = {
        "executionSuccessful": not any(n["level"] == "error" for n in notifications)
    }
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    version = reports[0].tool_version if reports else "0"
    properties: dict[str, Any] = {"verdicts": [_verdict(a) for a in reports]}
    if len(reports) == 1:
        properties["verdict"] = {k: v for k, v in _verdict(reports[0]).items() if k != "inputs"}
    base_text = (
        "The repository root (git top level)." if where.root else "The folder iacscan ran in."
    )
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "iacscan",
                        "version": version,
                        "semanticVersion": version,
                        "informationUri": INFORMATION_URI,
                        "rules": out.descriptors,
                    }
                },
                "invocations": [invocation],
                "originalUriBaseIds": {SRCROOT: {"description": {"text": base_text}}},
                "results": results,
                "properties": properties,
            }
        ],
    }


def sarif_dict(a: Analysis, rules: Sequence[RuleDoc], where: Where | None = None) -> dict[str, Any]:
    return sarif_log([a], rules, where)


def render_sarif(
    reports: Analysis | Sequence[Analysis], rules: Sequence[RuleDoc], where: Where | None = None
) -> str:
    items = [reports] if isinstance(reports, Analysis) else list(reports)
    return json.dumps(sarif_log(items, rules, where), indent=2, ensure_ascii=False) + "\n"
