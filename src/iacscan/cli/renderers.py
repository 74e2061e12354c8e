"""One registry of renderers: output format -> the function that writes it, for ``scan`` (one
report or ``--each``), ``diff`` and ``graph``. Adding a format is one entry per table (and the
``Format`` member in options.py); renderers import what they need when called, so a run pays
only for its own format."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from iacscan.cli.options import Format, GraphFormat

if TYPE_CHECKING:
    from iacscan.cli.runner import Run
    from iacscan.model import Analysis, AnalysisDiff, Topology


def _scan_json(run: Run, reports: list[Analysis], each: bool) -> str:
    from iacscan.render.json_report import analysis_to_dict
    from iacscan.render.json_text import dumps

    # --each always gives a list, whatever the number of templates; rows: json_text writes the
    # cost's line items from columns, without a dict per item
    data: Any = (
        [analysis_to_dict(r, rows=True) for r in reports]
        if each
        else analysis_to_dict(reports[0], rows=True)
    )
    return dumps(data)


def _scan_sarif(run: Run, reports: list[Analysis], each: bool) -> str:
    from iacscan.cli.runner import rule_docs, sarif_where
    from iacscan.render.sarif import sarif_log

    # one run for the whole invocation, whatever the number of reports
    log = sarif_log(reports, rule_docs(), sarif_where(reports))
    return json.dumps(log, indent=2, ensure_ascii=False)


def _scan_markdown(run: Run, reports: list[Analysis], each: bool) -> str:
    from iacscan.render.escape import md
    from iacscan.render.markdown import render_markdown

    if each:
        return "\n\n".join(f"## {md(input_label(r))}\n\n{render_markdown(r)}" for r in reports)
    return "\n\n".join(render_markdown(r) for r in reports)


def _scan_text(run: Run, reports: list[Analysis], each: bool) -> str:
    if run.quiet:
        return "\n".join((f"{input_label(r)}: " if each else "") + r.verdict.summary for r in reports)
    from iacscan.render.escape import clean
    from iacscan.render.text import render_text

    if each:  # which template each report is about, before it
        return "\n".join(
            f"== {clean(input_label(r))} ==\n{render_text(r, color=run.color)}" for r in reports
        )
    return "\n".join(render_text(r, color=run.color) for r in reports)


SCAN: dict[Format, Callable[[Run, list[Analysis], bool], str]] = {
    Format.text: _scan_text,
    Format.json: _scan_json,
    Format.sarif: _scan_sarif,
    Format.markdown: _scan_markdown,
}


def _diff_json(run: Run, d: AnalysisDiff) -> str:
    from iacscan.render.json_report import render_diff_json

    return render_diff_json(d)


def _diff_markdown(run: Run, d: AnalysisDiff) -> str:
    from iacscan.render.markdown import render_diff_markdown

    return render_diff_markdown(d)


def _diff_sarif(run: Run, d: AnalysisDiff) -> str:
    from iacscan.cli.runner import rule_docs, sarif_where
    from iacscan.render.sarif import render_sarif

    return render_sarif(d.after, rule_docs(), sarif_where([d.after]))


def _diff_text(run: Run, d: AnalysisDiff) -> str:
    if run.quiet:
        from iacscan.render.escape import clean

        cost = tuple(d.cost.summary) if d.cost is not None else ()
        return "\n".join(clean(sentence) for sentence in (*d.summary, *cost))
    from iacscan.render.text import render_diff_text

    return render_diff_text(d, color=run.color)


DIFF: dict[Format, Callable[[Run, AnalysisDiff], str]] = {
    Format.text: _diff_text,
    Format.json: _diff_json,
    Format.sarif: _diff_sarif,
    Format.markdown: _diff_markdown,
}


def _graph_mermaid(topology: Topology) -> str:
    from iacscan.render.mermaid import render_mermaid

    return render_mermaid(topology)


def _graph_dot(topology: Topology) -> str:
    from iacscan.render.dot import render_dot

    return render_dot(topology)


def _graph_json(topology: Topology) -> str:
    from iacscan.render.json_report import edge_sort_key, edge_to_dict, node_to_dict

    data = {
        "nodes": [node_to_dict(n) for n in sorted(topology.nodes, key=lambda n: n.id)],
        "edges": [edge_to_dict(e) for e in sorted(topology.edges, key=edge_sort_key)],
    }
    return json.dumps(data, indent=2)


GRAPH: dict[GraphFormat, Callable[[Topology], str]] = {
    GraphFormat.mermaid: _graph_mermaid,
    GraphFormat.dot: _graph_dot,
    GraphFormat.json: _graph_json,
}


def input_label(report: Analysis) -> str:
    """The input a --each report is about: its path, or the file that failed."""
    paths = [i.path for i in report.inputs] or sorted({e.file for e in report.errors if e.file})
    return ", ".join(paths) or "?"
