"""The JSON report, schema_version 1 (architecture.md), and the JSON diff.

Values are written as they are (JSON escaping keeps them inert); ordering is deterministic:
nodes by id, edges by (source, target, kind), boundary ids sorted, findings by rule, resources,
file and line. Version 1 only ever gains fields.
"""

from __future__ import annotations

from typing import Any

from iacscan.model import (
    SCHEMA_VERSION,
    Analysis,
    AnalysisDiff,
    Edge,
    Evidence,
    Finding,
    InputError,
    Node,
    Verdict,
    Via,
)
from iacscan.render.json_text import dumps

TOOL_NAME = "iacscan"


def _jsonable(value: object) -> Any:
    """A value from NodeChange.changes or Node.properties as JSON can hold it."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    return str(value)


def _synth(item: Node | Via | Evidence | Finding) -> dict[str, Any]:
    """For CDK: the synthesized template's location, secondary to file/line (the app source)."""
    if item.synth_file is None:
        return {}
    return {"synth_file": item.synth_file, "synth_line": item.synth_line}


def node_to_dict(n: Node) -> dict[str, Any]:
    return {
        "id": n.id,
        "label": n.name,
        "type": n.type,
        "role": n.role,
        "stack": n.stack,
        "file": n.file,
        "line": n.line,
        **_synth(n),
        "path": n.path,
        "deploy_time": n.deploy_time,
        "properties": {k: _jsonable(n.properties[k]) for k in sorted(n.properties)},
    }


def edge_to_dict(e: Edge) -> dict[str, Any]:
    return {
        "source": e.source,
        "target": e.target,
        "kind": e.kind,
        "via": [
            {"what": v.what, "file": v.file, "line": v.line, **_synth(v), "weak": v.weak}
            for v in e.via
        ],
    }


def finding_to_dict(f: Finding) -> dict[str, Any]:
    return {
        "rule": f.rule,
        "severity": f.severity,
        "message": f.message,
        "resources": list(f.resources),
        "file": f.file,
        "line": f.line,
        **_synth(f),
    }


def finding_sort_key(f: Finding) -> tuple[str, tuple[str, ...], str, int]:
    return (f.rule, f.resources, f.file, f.line or 0)


def edge_sort_key(e: Edge) -> tuple[str, str, str]:
    return (e.source, e.target, e.kind)


def _error_to_dict(e: InputError, *, internal: bool = False) -> dict[str, Any]:
    kind = "internal" if internal else e.kind
    return {"file": e.file, "line": e.line, "kind": kind, "message": e.message, "hint": e.hint}


def verdict_to_dict(v: Verdict) -> dict[str, Any]:
    cases = None
    if v.cases is not None:
        cases = {"best": v.cases.best, "worst": v.cases.worst, "missing": list(v.cases.missing)}
    return {
        "definition": v.definition,
        "serverless": v.serverless,
        "level": v.level,
        "scales_to_zero": v.scales_to_zero,
        "monolith": v.monolith,
        "architecture": v.architecture,
        "summary": v.summary,
        "criteria": [
            {
                "id": c.id,
                "title": c.title,
                "status": c.status,
                "evidence": [
                    {
                        "node": e.node,
                        "file": e.file,
                        "line": e.line,
                        **_synth(e),
                        "why": e.why,
                        "default": e.default,
                    }
                    for e in c.evidence
                ],
            }
            for c in v.criteria
        ],
        "idle_costs": [{"node": i.node, "kind": i.kind, "why": i.why} for i in v.idle_costs],
        "cases": cases,
        "warnings": list(v.warnings),
        "architecture_reasons": list(v.architecture_reasons),
    }


def analysis_to_dict(a: Analysis, *, rows: bool = False) -> dict[str, Any]:
    """The schema_version 1 report of one analysis (``cost`` only when it was priced).
    ``rows``: the cost's items as ``json_text.Rows``, for ``json_text.dumps`` only."""
    out = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": TOOL_NAME, "version": a.tool_version},
        "inputs": [{"path": i.path, "kind": i.kind, "stacks": list(i.stacks)} for i in a.inputs],
        "verdict": verdict_to_dict(a.verdict),
        "topology": {
            "nodes": [node_to_dict(n) for n in sorted(a.topology.nodes, key=lambda n: n.id)],
            "edges": [edge_to_dict(e) for e in sorted(a.topology.edges, key=edge_sort_key)],
        },
        "boundary": {"ingress": sorted(a.boundary.ingress), "egress": sorted(a.boundary.egress)},
        "findings": [finding_to_dict(f) for f in sorted(a.findings, key=finding_sort_key)],
        "errors": [_error_to_dict(e) for e in a.errors]
        + [_error_to_dict(e, internal=True) for e in a.internal_errors],
        "notes": list(a.notes),
    }
    if a.systems:  # several unlinked systems: each with its own verdict
        out["systems"] = [
            {
                "name": s.name,
                "stacks": list(s.stacks),
                "files": list(s.files),
                "nodes": list(s.nodes),
                "verdict": verdict_to_dict(s.verdict),
            }
            for s in a.systems
        ]
    if a.cost is not None:
        from iacscan.render.cost_json import cost_to_dict

        out["cost"] = cost_to_dict(a.cost, rows=rows)
    return out


def _dump(data: dict[str, Any]) -> str:
    return dumps(data) + "\n"


def render_json(a: Analysis) -> str:
    return _dump(analysis_to_dict(a, rows=True))


def diff_to_dict(d: AnalysisDiff) -> dict[str, Any]:
    """The diff contract: both reports, the changes between them and the summary sentences
    (and ``cost``, the comparison, when both sides were priced)."""
    out = {
        "schema_version": SCHEMA_VERSION,
        "before": analysis_to_dict(d.before),
        "after": analysis_to_dict(d.after),
        "changes": {
            "nodes": {
                "added": sorted(d.nodes_added),
                "removed": sorted(d.nodes_removed),
                "changed": [
                    {
                        "id": c.id,
                        "changes": {
                            k: [_jsonable(c.changes[k][0]), _jsonable(c.changes[k][1])]
                            for k in sorted(c.changes)
                        },
                    }
                    for c in sorted(d.nodes_changed, key=lambda c: c.id)
                ],
                # added in this version: nodes one side has whose template the other side
                # could not read (neither added nor removed)
                "not_analysed": sorted(d.nodes_unread),
                "replaced": [{"before": b, "after": a} for b, a in d.nodes_replaced],
            },
            "edges": {
                "added": [edge_to_dict(e) for e in sorted(d.edges_added, key=edge_sort_key)],
                "removed": [edge_to_dict(e) for e in sorted(d.edges_removed, key=edge_sort_key)],
            },
            "boundary": {
                "ingress": {"added": sorted(d.ingress_added), "removed": sorted(d.ingress_removed)},
                "egress": {"added": sorted(d.egress_added), "removed": sorted(d.egress_removed)},
            },
            "verdict": {
                "before": verdict_to_dict(d.before.verdict),
                "after": verdict_to_dict(d.after.verdict),
            },
            "findings": {
                "new": [finding_to_dict(f) for f in sorted(d.findings_new, key=finding_sort_key)],
                "fixed": [
                    finding_to_dict(f) for f in sorted(d.findings_fixed, key=finding_sort_key)
                ],
            },
            # added in this version: systems the change moves (several systems only)
            "systems": [
                {
                    "name": c.name,
                    "before": verdict_to_dict(c.before) if c.before else None,
                    "after": verdict_to_dict(c.after) if c.after else None,
                    "not_analysed": c.unread,
                    # joined from (no before) or split into (no after) these systems
                    "parts": list(c.parts),
                }
                for c in d.systems_changed
            ],
        },
        "summary": list(d.summary),
    }
    if d.cost is not None:
        from iacscan.render.cost_json import comparison_to_dict

        out["cost"] = comparison_to_dict(d.cost)
    return out


def render_diff_json(d: AnalysisDiff) -> str:
    return _dump(diff_to_dict(d))
