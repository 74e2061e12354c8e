"""Logical ids that only look alike: CloudFormation accepts only ``[A-Za-z0-9]`` in logical ids,
so a non-ASCII id is hostile or broken. Each one is named in a note with its non-ASCII characters
escaped (``Orders\\u0430``), and ids that would read the same as another are said to collide."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from iacscan.model import Template

# Common confusables (Cyrillic and Greek letters that render like Latin ones).
_CONFUSABLES = str.maketrans(
    "аеорсухіјѕԁɡһӏո"  # Cyrillic and others
    "АВЕКМНОРСТХІЈЅ"
    "αβεικνορτυχ"  # Greek
    "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "aeopcyxijsdghlnABEKMHOPCTXIJSabeiknoptuxABEZHIKMNOPTYX",
)
MAX_NOTES = 20


def escaped(text: str) -> str:
    """``text`` with every non-ASCII character as a \\uXXXX escape."""
    return text.encode("ascii", "backslashreplace").decode("ascii")


def skeleton(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_CONFUSABLES).casefold()


def lookalike_notes(templates: Iterable[Template]) -> list[str]:
    notes: list[str] = []
    for template in templates:
        ids = [str(i) for i in template.resources]
        odd = [i for i in ids if not i.isascii()]
        if not odd:
            continue
        by_look: dict[str, list[str]] = {}
        for i in ids:
            by_look.setdefault(skeleton(i), []).append(i)
        for i in odd:
            twins = [t for t in by_look[skeleton(i)] if t != i]
            also = f"; it looks like {', '.join(escaped(t) for t in twins)}" if twins else ""
            notes.append(
                f"Stack {template.stack}: logical id {escaped(i)} has non-ASCII characters, "
                f"which CloudFormation rejects{also}"
            )
            if len(notes) >= MAX_NOTES:
                return notes
    return notes
