"""Markdown documents as blocks, and fitting them under a size cap (GitHub comments hold 65,536).

When a document is too long: first the collapsible details go, then the diagram, then every
table and list keeps only its first rows (the same number for all, as many as fit); a note at
the end says exactly what was cut.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from iacscan.render.escape import clean, md, truncate

MAX_CHARS = 65_536
CELL_CHARS = 300
NOTE_RESERVE = 600
BlockKind = Literal["text", "rows", "diagram", "details"]


# Entities ``md`` writes that are not needed after a "| " or "- " (no tag can open: "<" stays
# escaped; quotes only matter inside tags): the raw Markdown stays readable.
_NEEDLESS = (("&#39;", "'"), ("&#34;", '"'))
_LEADING_DIGIT = re.compile(r"^&#(4[89]|5[0-7]);(?![0-9]*[.)])")


def cell(value: object, limit: int = CELL_CHARS) -> str:
    """A user-controlled value for a table cell or a list item: one line, escaped, bounded.

    Inline text, never at the start of a line: ">" cannot open a block quote there and a
    leading digit not followed by "." or ")" cannot start a list, so they are written as is."""
    text = md(truncate(clean(value), limit))
    for entity, char in _NEEDLESS:
        text = text.replace(entity, char)
    head, rest = (text[:4], text[4:]) if text.startswith("&gt;") else ("", text)
    text = head + rest.replace("&gt;", ">")
    return (
        _LEADING_DIGIT.sub(lambda m: chr(int(m.group(1))), text, count=1)
        if text[:2] == "&#"
        else text
    )


def names(ids: Iterable[str], limit: int = 50, labels: Mapping[str, str] | None = None) -> str:
    """Node ids as people read them (``labels``: id -> label), comma-separated."""
    items = list(ids)
    labels = labels or {}
    shown = ", ".join(cell(labels.get(i, i)) for i in items[:limit])
    more = len(items) - limit
    return (shown + (f" and {more} more" if more > 0 else "")) or "none"


def table_row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def table_head(*titles: str) -> str:
    return table_row(*titles) + "\n" + table_row(*("---" for _ in titles)) + "\n"


@dataclass
class Block:
    """Text before ``rows``, the rows (table rows or list items, one line each), text after."""

    kind: BlockKind
    head: str
    rows: list[str] = field(default_factory=list)
    tail: str = ""
    name: str = ""

    def render(self, max_rows: int | None) -> tuple[str, int]:
        rows, cut = self.rows, 0
        if max_rows is not None and len(rows) > max_rows:
            cut = len(rows) - max_rows
            marker = "| … | " if rows[0].startswith("|") else "- … "
            rows = rows[:max_rows] + [f"{marker}{cut} more cut{' |' if '|' in marker else ''}"]
        body = "\n".join(rows) + "\n" if rows else ""
        return self.head + body + self.tail, cut


def _join(blocks: Sequence[Block], max_rows: int | None) -> tuple[str, int]:
    parts, cut = [], 0
    for b in blocks:
        text, n = b.render(max_rows)
        parts.append(text.rstrip("\n") + "\n")
        cut += n
    return "\n".join(parts), cut


def fit(blocks: Sequence[Block], limit: int = MAX_CHARS) -> str:
    """The document under ``limit`` characters, with a note naming what was cut, if anything."""
    text, _ = _join(blocks, None)
    if len(text) <= limit:
        return text
    cuts: list[str] = []
    budget = limit - NOTE_RESERVE
    kept = list(blocks)
    for kind, label in (("details", "the collapsible details"), ("diagram", "the diagram")):
        dropped = [b.name for b in kept if b.kind == kind]
        if dropped and len(_join(kept, None)[0]) > budget:
            kept = [b for b in kept if b.kind != kind]
            cuts.append(f"{label} ({', '.join(dropped)})")
    text, _ = _join(kept, None)
    if len(text) > budget:
        low, high = 0, max((len(b.rows) for b in kept), default=0)
        while low < high:  # the largest row count that fits
            mid = (low + high + 1) // 2
            if len(_join(kept, mid)[0]) <= budget:
                low = mid
            else:
                high = mid - 1
        text, rows_cut = _join(kept, low)
        cuts.append(f"the rows after the first {low} of each table and list ({rows_cut} rows)")
    if len(text) > budget:
        end = text.rfind("\n", 0, budget)
        text = text[: end if end > 0 else budget] + "\n"
        cuts.append(f"everything after character {len(text)}")
    note = (
        f"\n---\n_Cut to stay under {limit:,} characters: removed {'; '.join(cuts)}. "
        "The JSON report (`--format json`) has everything._\n"
    )
    return text + note
