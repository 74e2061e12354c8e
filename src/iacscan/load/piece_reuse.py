"""Decode a template by reusing the decoded resources of a similar text (the other side of a
diff), so that a change to one resource of a big template does not decode the template twice.

The head's text is split into its top-level ``Resources`` entries by lines. An entry whose
text is byte-identical to an entry of the earlier text takes that entry's decoded value (its
line marks moved by the distance between the two places); the rest of the head is decoded
as it is, from a *skeleton*: the head's text with the reused entries' bodies blanked (every
character but the newlines made a space; their key lines kept, so each reads as null), so every
other line, column and offset is where it is in the head. The outcome is what a fresh decode of the head gives:
the same values, types and marks (tests/test_piece_reuse.py compares them, every mark
included, on every fixture template and on generated edits).

Why the pieces decode alone: an entry is reused only when, on both sides, it starts at a key
line ``<indent>LogicalId:`` of the Resources block mapping and is followed by another such
key line (never the last entry: its end marks point past it), and when the earlier decode
confirms it (its keys are at those lines, each value a block mapping that ends where the next
key begins). A block entry that ends before a key line at the mapping's indentation reads the
same whatever comes after it. Anything unusual decodes the whole head instead: JSON, tabs,
CR line ends, anchors and aliases, directives and document markers, flow or irregular lines
at the entries' indentation, duplicate keys (the skeleton's decoder warnings), a Transform
(SAM, language extensions), nested stacks, different limits, or any error.
"""

from __future__ import annotations

import datetime
import functools
import gc
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

try:  # the marks of positions in the text, as the decoder's loader makes them
    from yaml._yaml import Mark as _TextMark
except ImportError:  # pragma: no cover - PyYAML without libyaml: its own marks
    from yaml.error import Mark as _TextMark  # type: ignore[assignment]

from iacscan.load.cfn import Limits, decode_text
from iacscan.load.fast_decode import DictNode, ListNode, StrNode

# Patterns start at a line's newline: a search for a literal is far faster than for ``^``.
_RESOURCES = re.compile(r"Resources:[ ]*$", re.MULTILINE)  # the header, matched at a line start
_TOP_LEVEL = re.compile(r"\n[^ \n#]")  # the next line that starts a top-level key
_MARKERS = re.compile(r"\n(?:---|\.\.\.|%)")  # documents and directives
_ENTRY = re.compile(r"( +)([A-Za-z0-9]+):[ ]*$", re.MULTILINE)  # matched at a line start
_FIRST = re.compile(r"\n( *)([^ \n])")  # a non-blank line and its indentation
_NOT_ALLOWED = ("\t", "\r", "&", "AWS::CloudFormation::Stack")
Decoder = Callable[[str, str, Limits, list[str]], Mapping[str, Any]]  # load.cfn.decode_text
MIN_SIZE = 16 * 1024  # smaller templates decode in about a millisecond: not worth keeping


@dataclass(frozen=True, slots=True)
class Entry:
    lid: str
    start: int  # offset of the key line's first character
    end: int  # offset where the next key line starts (the entry's text is text[start:end])
    line: int  # 0-based line of the key


@dataclass(frozen=True, slots=True)
class Split:
    header: int  # offset of the ``Resources:`` line
    indent: int
    entries: tuple[Entry, ...]


@functools.cache
def _shallow(indent: int) -> re.Pattern[str]:
    """A line indented by at most ``indent`` spaces (group 1: its first character)."""
    return re.compile(rf"\n {{0,{indent}}}([^ \n])")


def split(text: str) -> Split | None:
    """The Resources entries of a block-style YAML template, by lines; None when the text is
    not plainly laid out (then nothing is reused)."""
    if any(s in text for s in _NOT_ALLOWED) or text.lstrip()[:1] in ("{", "["):
        return None
    if text.startswith(("---", "...", "%")) or _MARKERS.search(text):
        return None
    at = -1 if text.startswith("Resources") else text.find("\nResources")  # the line before
    if (at < 0 and not text.startswith("Resources")) or text.find("\nResources", at + 1) >= 0:
        return None  # none, or a second one (a repeated key: the decoder decides)
    header = _RESOURCES.match(text, at + 1)
    if header is None:
        return None
    after = _TOP_LEVEL.search(text, header.end())
    stop = after.start() + 1 if after else len(text)
    first = _FIRST.search(text, header.end(), stop)
    while first is not None and first.group(2) == "#":
        first = _FIRST.search(text, first.end(), stop)
    if first is None or not first.group(1):
        return None
    indent = len(first.group(1))
    entries: list[tuple[str, int]] = []
    pos = first.start() + 1
    line = text.count("\n", 0, pos)
    for m in _shallow(indent).finditer(text, pos - 1, stop):  # lines indented <= ``indent``
        if m.group(1) == "#":
            continue
        start = m.start() + 1
        entry = _ENTRY.match(text, start, stop)
        if entry is None or len(entry.group(1)) != indent:
            return None  # a line at the entries' indentation that is not a plain key line
        entries.append((entry.group(2), start))
    out: list[Entry] = []
    for i, (lid, start) in enumerate(entries):
        end = entries[i + 1][1] if i + 1 < len(entries) else stop
        line += text.count("\n", pos, start)
        pos = start
        out.append(Entry(lid, start, end, line))
    if len({e.lid for e in out}) != len(out):
        return None  # a repeated logical id: the decoder's duplicate handling decides
    return Split(at + 1, indent, tuple(out))


@dataclass(slots=True)
class Prior:
    """A decoded text kept for reuse, with its Resources entries once they are confirmed."""

    text: str
    data: Mapping[str, Any]
    limits: Limits
    stack: str
    _pieces: dict[str, tuple[Entry, Any]] | None = None
    _checked: bool = False

    def pieces(self) -> dict[str, tuple[Entry, Any]]:
        """Entry text -> (entry, decoded value), for entries the decode confirms."""
        if not self._checked:
            self._checked = True
            self._pieces = _confirmed(self.text, self.data)
        return self._pieces or {}


def _resources(data: Mapping[str, Any], parts: Split) -> DictNode | None:
    """The decoded Resources mapping when the decoder read the text as ``split`` did: the
    header key at the start of its line, a block mapping (starting at its first key, not at a
    ``{``) whose keys are the entries' key lines, in order."""
    if type(data) is not DictNode or data.get("Transform") is not None:
        return None
    header = next((k for k in data if k == "Resources"), None)
    resources = data.get("Resources")
    if type(header) is not StrNode or type(resources) is not DictNode:
        return None
    if (header.start_mark.index, header.start_mark.column) != (parts.header, 0):
        return None
    if not parts.entries or resources.start_mark.index != parts.entries[0].start + parts.indent:
        return None
    if len(resources) != len(parts.entries):
        return None
    for key, entry in zip(resources, parts.entries, strict=True):
        mark = getattr(key, "start_mark", None)
        if (
            type(key) is not StrNode
            or key != entry.lid
            or mark is None
            or (mark.line, mark.column, mark.index)
            != (entry.line, parts.indent, entry.start + parts.indent)
        ):
            return None
    return resources


def _confirmed(text: str, data: Mapping[str, Any]) -> dict[str, tuple[Entry, Any]] | None:
    parts = split(text)
    resources = _resources(data, parts) if parts is not None else None
    if parts is None or resources is None:
        return None
    keys = list(resources)
    out: dict[str, tuple[Entry, Any]] = {}
    for i, key in enumerate(keys[:-1]):  # the last entry ends at what follows the section
        entry = parts.entries[i]
        value = resources[key]
        end = getattr(value, "end_mark", None)
        if type(value) is not DictNode or end is None or end.index != entries_next(parts, i):
            continue
        out.setdefault(text[entry.start : entry.end], (entry, value))
    return out


def entries_next(parts: Split, i: int) -> int:
    """Offset of the key that follows entry ``i`` (its first non-blank character)."""
    return parts.entries[i + 1].start + parts.indent


@dataclass
class PieceMemo:
    """Decoded texts of this process (the two sides of a diff), and how many entries of later
    texts were taken from them instead of being decoded again."""

    priors: list[Prior] = field(default_factory=list)
    reused: int = 0  # entries taken from an earlier text
    min_size: int = MIN_SIZE

    def decode(
        self,
        text: str,
        file: str,
        limits: Limits,
        warnings: list[str],
        stack: str,
        decode: Decoder = decode_text,
    ) -> Mapping[str, Any]:
        """``decode(text, file, limits, warnings)``, reusing what an earlier text held."""
        if len(text) < self.min_size:
            return decode(text, file, limits, warnings)
        prior = self._pair(stack, limits)
        found = _reuse(prior, text, file, limits, decode) if prior is not None else None
        if found is not None:
            data, taken = found
            self.reused += taken
        else:
            data = decode(text, file, limits, warnings)
        if not warnings and data.get("Transform") is None:
            self.priors.append(Prior(text, data, limits, stack))
        return data

    def _pair(self, stack: str, limits: Limits) -> Prior | None:
        same = [p for p in self.priors if p.limits == limits]
        named = [p for p in same if p.stack == stack]
        if named:
            return named[-1]
        return same[0] if len(same) == 1 else None


def _reuse(
    prior: Prior, text: str, file: str, limits: Limits, decode: Decoder
) -> tuple[Mapping[str, Any], int] | None:
    """The head decoded with the prior's entries wherever they are byte-identical; None when
    anything is unusual (the caller then decodes the whole text)."""
    pieces = prior.pieces()
    if not pieces:
        return None
    parts = split(text)
    if parts is None:
        return None
    taken: dict[int, tuple[Entry, Entry, Any]] = {}  # head entry index -> (head, prior, value)
    for i, entry in enumerate(parts.entries[:-1]):  # the last entry is always decoded
        found = pieces.get(text[entry.start : entry.end])
        if found is not None:
            taken[i] = (entry, found[0], found[1])
    if not taken:
        return None
    skeleton = _skeleton(text, [e for e, _, _ in taken.values()])
    warnings: list[str] = []
    try:
        data = decode(skeleton, file, limits, warnings)
    except Exception:
        return None
    resources = _resources(data, parts) if not warnings else None
    if resources is None:
        return None
    collect = gc.isenabled()
    gc.disable()  # copies of acyclic values, as the decoder builds them: nothing to collect
    try:
        for i, key in enumerate(list(resources)):
            if i in taken:
                if resources[key] is not None:
                    return None
                head, old, value = taken[i]
                lines, offset = head.line - old.line, head.start - old.start
                if lines or offset:
                    value = _moved(value, lines, offset)
                resources[key] = value
    except (_NotMovable, RecursionError):
        return None
    finally:
        if collect:
            gc.enable()
    return data, len(taken)


def _skeleton(text: str, entries: list[Entry]) -> str:
    """``text`` with each entry's lines after its key line blanked (``_blank``)."""
    out: list[str] = []
    pos = 0
    for entry in sorted(entries, key=lambda e: e.start):
        body = text.index("\n", entry.start) + 1
        out.append(text[pos:body])
        out.append(_blank(text[body : entry.end]))
        pos = entry.end
    out.append(text[pos:])
    return "".join(out)


def _blank(body: str) -> str:
    """``body`` with every character but the newlines made a space: whitespace-only lines,
    which the YAML reader skips as it skips empty ones (the key above them reads as null)."""
    if body.isascii():
        return body.encode("ascii").translate(_BLANKS).decode("ascii")
    return _LINE.sub(lambda m: " " * len(m.group(0)), body)


_BLANKS = bytes(10 if b == 10 else 32 for b in range(256))
_LINE = re.compile(r"[^\n]+")


def _moved(value: Any, lines: int, offset: int) -> Any:
    """A copy of a decoded value whose marks are ``lines`` lines and ``offset`` characters
    further on (columns stay); values without marks are shared."""
    kind = type(value)
    if kind is DictNode:
        out = DictNode.__new__(DictNode)
        for k, v in value.items():
            out[_moved(k, lines, offset) if type(k) is StrNode else k] = _moved(v, lines, offset)
        out.start_mark = _mark(value.start_mark, lines, offset)
        out.end_mark = _mark(value.end_mark, lines, offset)
        out.using_merge = value.using_merge
        return out
    if kind is ListNode:
        items = ListNode.__new__(ListNode)
        items.extend([_moved(v, lines, offset) for v in value])
        items.start_mark = _mark(value.start_mark, lines, offset)
        items.end_mark = _mark(value.end_mark, lines, offset)
        return items
    if kind is StrNode:
        text = str.__new__(StrNode, value)
        text.start_mark = _mark(value.start_mark, lines, offset)
        text.end_mark = _mark(value.end_mark, lines, offset)
        return text
    if kind is dict:  # the mapping of a short tag on a mapping (``!Sub {a: b}``): a plain dict
        return {  # whose keys, as a DictNode's, are strings with marks
            (_moved(k, lines, offset) if type(k) is StrNode else k): _moved(v, lines, offset)
            for k, v in value.items()
        }
    if kind is list:
        return [_moved(v, lines, offset) for v in value]
    if kind in _PLAIN:
        return value  # immutable, no marks
    raise _NotMovable(kind.__name__)  # a set, an omap's tuples...: decoded afresh instead


class _NotMovable(Exception):
    pass


_PLAIN = frozenset({str, int, float, bool, type(None), bytes, datetime.date, datetime.datetime})


def _mark(mark: Any, lines: int, offset: int) -> Any:
    if type(mark) is not _TextMark:
        return mark  # the decoder's own Mark (made up, not from the text): kept as it is
    return _TextMark(mark.name, mark.index + offset, mark.line + lines, mark.column, None, None)
