"""Escaping of user-controlled strings (ids, types, messages, paths) for every output format.

Everything a template author controls passes through one of these helpers before it reaches a
terminal, a Markdown comment, a Mermaid diagram or a DOT file:

- ``clean``: drops terminal escape sequences and control characters (text output, and the first
  step of every other helper); newlines and tabs become spaces, so a value is always one line;
- ``md``: Markdown/HTML inline text, safe in paragraphs, list items and table cells;
- ``mermaid_label``: text inside a quoted Mermaid label (``n1["..."]``), as ``#NNN;`` entities;
- ``dot_string``: text inside a double-quoted Graphviz string.
"""

from __future__ import annotations

import re

# CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), DCS/SOS/PM/APC strings, and two-byte ESC
# sequences; the 8-bit C1 forms (U+009B CSI, U+009D OSC) as well.
_ANSI = re.compile(
    r"""
    (?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]                 # CSI
    | (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f]).*?(?:\x07|\x1b\\|\x9c|$)  # OSC, DCS, SOS, PM, APC
    | \x1b[ -/]*[0-~]                                 # other ESC sequences
    """,
    re.VERBOSE | re.DOTALL,
)
# C0 and C1 controls, DEL, bidirectional overrides and isolates, zero-width and BOM characters.
_CONTROL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]"
)
_WHITESPACE = re.compile(r"[\t\n\r\u2028\u2029\x85]+")


def clean(value: object) -> str:
    """One printable line: escape sequences and control characters removed."""
    text = "" if value is None else str(value)
    text = _ANSI.sub("", text)
    text = _WHITESPACE.sub(" ", text)
    return _CONTROL.sub("", text)


# A line the GitHub runner reads as a workflow command (``::error ...``, ``::stop-commands::``,
# ``##[warning]``) once its leading white space is trimmed.
_WORKFLOW_COMMAND = re.compile(r"^(\s*)(::|##\[)")


def terminal(value: object) -> str:
    """Text for standard output or standard error that may span lines (messages quoting a
    template or an app's output): each line cleaned, and none can start a workflow command."""
    text = "" if value is None else str(value)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(_WORKFLOW_COMMAND.sub(r"\1\\\2", clean(line)) for line in lines)


_COMMAND_LINE = re.compile(r"^([ \t]*)(::|##\[)", re.MULTILINE)


def no_workflow_commands(text: str) -> str:
    """A whole report for standard output: a line that wrapping or a template's text made start
    with ``::`` or ``##[`` gets a backslash, so the GitHub runner does not act on it."""
    return _COMMAND_LINE.sub(r"\1\\\2", text)


# Characters with a meaning in Markdown (GFM: tables, emphasis, links, code, math, autolinks),
# HTML or Mermaid (%%), written as numeric character references so that none of them acts.
_MD_SPECIAL = {c: f"&#{ord(c)};" for c in "\\`*_[]#+!|~@$%<>\"'"}
_MD_SPECIAL["&"] = "&amp;"
_MD_SPECIAL["<"] = "&lt;"
_MD_SPECIAL[">"] = "&gt;"
_MD_TABLE = str.maketrans(_MD_SPECIAL)
_LINE_START = frozenset("-=")
_AUTOLINK = re.compile(r"(?i)(www)\.|:(?=//)")


def md(value: object) -> str:
    """Inline Markdown text that renders as the literal value and never as markup."""
    text = clean(value).translate(_MD_TABLE)
    # GFM extended autolinks start at "www." or "scheme://"; break them.
    text = _AUTOLINK.sub(_break_autolink, text).strip()
    # A leading "-", "=", "1." ... would start a list or a heading inside a list item.
    if text[:1] in _LINE_START or text[:1].isdigit():
        text = f"&#{ord(text[0])};{text[1:]}"
    return text


def _break_autolink(match: re.Match[str]) -> str:
    return f"{match.group(1)}&#46;" if match.group(1) else "&#58;"


_MERMAID_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _.,/-")


def mermaid_label(value: object) -> str:
    """Text for a quoted Mermaid label: anything but letters, digits and ``_.,/-`` and space
    becomes a ``#NNN;`` entity (so quotes, brackets, pipes, ``%%``, ``<``, backticks and
    ``javascript:`` are inert). ``::`` stays readable (``AWS::Lambda::Function``)."""
    text = clean(value).strip()
    out: list[str] = []
    for i, ch in enumerate(text):
        double_colon = ch == ":" and ":" in (text[i - 1 : i], text[i + 1 : i + 2])
        if ch in _MERMAID_SAFE or double_colon:
            out.append(ch)
        else:
            out.append(f"#{ord(ch)};")
    return "".join(out)


def dot_string(value: object) -> str:
    """Content for a double-quoted DOT string (the caller adds the quotes). Backslashes become
    an entity so that none can escape the closing quote or start a label escape like ``\\N``."""
    text = clean(value).replace("&", "&amp;").replace("\\", "&#92;")
    return text.replace('"', '\\"')


def truncate(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + "…"


def unset(value: object) -> object:
    """A changed property's value: a missing one is "unset" (as the diff summary says it)."""
    return "unset" if value is None else value
