"""The cost sections of the Markdown report and diff: totals, line items, assumptions, and in a
diff a Mermaid ``xychart-beta`` of cost against load for both sides."""

from __future__ import annotations

from iacscan.model import CostComparison, CostReport
from iacscan.render.costs import assumption_lines, headline, item_cells, money, sources, xychart
from iacscan.render.mdblocks import Block, cell, table_head, table_row


def cost_blocks(c: CostReport, title: str = "Cost") -> list[Block]:
    intro = f"#### {title}\n\n" + "".join(f"- {cell(line, 2000)}\n" for line in headline(c))
    if c.warnings:
        intro += "\n**Not priced or uncertain** (the figures are weaker for it):\n\n"
        intro += "".join(f"- ⚠️ {cell(w, 1000)}\n" for w in c.warnings)
    rows = []
    for i in c.items:
        subject, what, qty, price, monthly, idle, key = item_cells(i)
        rows.append(
            table_row(cell(subject), cell(what), qty, price, monthly, idle or "–", cell(key))
        )
    head = (
        intro
        + "\n"
        + table_head(
            "Node or edge",
            "What",
            "Quantity/month",
            "Unit price",
            "$/month",
            "Idle $/month",
            "Price",
        )
    )
    blocks = [Block("rows", head, rows or ["| none | | | | | | |"], name=title)]
    details = [f"- {cell(line, 1000)}" for line in assumption_lines(c)]
    details += [f"- price {cell(line, 1000)}" for line in sources(c)]
    blocks.append(
        Block(
            "details",
            f"<details><summary>{title}: assumptions and price sources</summary>\n\n",
            details,
            "\n</details>\n",
            name=f"{title} assumptions",
        )
    )
    return blocks


def comparison_block(d: CostComparison) -> Block:
    rows = [f"- {cell(s, 2000)}" for s in d.summary]
    saving = f"{d.saving_percent:.1f}%" if d.saving_percent is not None else "n/a"
    head = (
        "#### Cost\n\n"
        + table_head("", "Before", "After", "Saving")
        + table_row(
            "$/month at the profile's load", money(d.before_monthly), money(d.after_monthly), saving
        )
        + "\n\n"
    )
    chart = "\n".join(xychart(d))
    tail = "\n```mermaid\n" + chart + "\n```\n\n_First line: before; second line: after._\n"
    return Block("rows", head, rows, tail, name="Cost")
