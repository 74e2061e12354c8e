"""The text of a JSON report: ``json.dumps(value, indent=2, ensure_ascii=False)``, byte for byte,
in half the time.

With ``indent`` the standard library encodes in pure Python, one generator per container and one
``yield`` per token; at 5,000 resources the report's JSON (5.6 MB with a priced ``cost``) took
0.11 s. Here each container is one ``join`` and scalars are encoded by the same functions
``json`` uses (``encode_basestring``, ``float.__repr__``, ``int.__repr__``), so the output is the
same (tests/test_json_text.py compares them on every golden report and on odd values). A list
of dicts with one layout (the same keys in the same order: nodes, edges, the cost model's line
items and assumptions) is written a column at a time, each column by one ``map`` of the C
encoder when all its values have one type, into a ``%`` layout of the keys. Unlike
``json.dumps`` it does not look for reference cycles (reports are trees).
"""

from __future__ import annotations

from collections.abc import Sequence
from json.encoder import encode_basestring
from typing import Any

_float_repr = float.__repr__
_int_repr = int.__repr__
_INF = float("inf")
_NOT_FINITE = frozenset(("inf", "-inf", "nan"))  # float.__repr__ of what json writes otherwise
_RECORDS = 4  # a list of at least this many dicts is tried as records (one layout, shared keys)
# Rows encoded together. The texts of a whole column at once (thousands of rows) took fresh
# memory from the allocator: as slow as one dict at a time in a new process, though faster
# when repeated; a small chunk reuses the memory of the one before.
_CHUNK = 128


class Rows:
    """Records given column by column: written as the list of dicts ``{keys[0]: columns[0][i],
    ...}`` it stands for, without building those dicts (a report's line items). Only this writer
    knows it: ``json.dumps`` refuses it."""

    __slots__ = ("keys", "columns")

    def __init__(self, keys: Sequence[str], columns: Sequence[Sequence[Any]]) -> None:
        if len(keys) != len(columns) or len({len(c) for c in columns}) > 1:
            raise ValueError("Rows: one column of the same length per key")
        self.keys = tuple(keys)
        self.columns = tuple(columns)

    def __len__(self) -> int:
        return len(self.columns[0]) if self.columns else 0


def dumps(value: Any) -> str:
    """``json.dumps(value, indent=2, ensure_ascii=False)``."""
    return _value(value, "\n")


def _float(o: float) -> str:
    if o != o:
        return "NaN"
    if o == _INF:
        return "Infinity"
    if o == -_INF:
        return "-Infinity"
    return _float_repr(o)


def _scalar(o: Any) -> str | None:
    """The text of a scalar as ``json`` writes it; None for anything else."""
    if isinstance(o, str):
        return encode_basestring(o)
    if o is None:
        return "null"
    if o is True:
        return "true"
    if o is False:
        return "false"
    if isinstance(o, int):
        return _int_repr(o)
    if isinstance(o, float):
        return _float(o)
    return None


def _key(k: Any) -> str:
    if isinstance(k, str):
        return encode_basestring(k)
    if isinstance(k, float):
        return encode_basestring(_float(k))
    if k is True or k is False or k is None or isinstance(k, int):
        return encode_basestring(_scalar(k) or "")
    raise TypeError(f"keys must be str, int, float, bool or None, not {k.__class__.__name__}")


def _value(o: Any, nl: str) -> str:
    t = type(o)
    if t is str:  # the common cases first, by exact type
        return encode_basestring(o)
    if t is dict:
        return _dict(o, nl) if o else "{}"
    if t is list:
        return _list(o, nl) if o else "[]"
    if t is float:
        return _float_repr(o) if o - o == 0.0 else _float(o)  # finite, else NaN or Infinity
    if t is int:
        return _int_repr(o)
    text = _scalar(o)
    if text is not None:
        return text
    if isinstance(o, dict):
        return _dict(o, nl) if o else "{}"
    if isinstance(o, list | tuple):
        return _list(o, nl) if o else "[]"
    if t is Rows:
        if not len(o):
            return "[]"
        if not o.keys:  # rows of empty dicts
            return _list([{}] * len(o), nl)
        inner = nl + "  "
        return "[" + inner + _columns(o.keys, o.columns, inner) + nl + "]"
    raise TypeError(f"Object of type {o.__class__.__name__} is not JSON serializable")


def _dict(o: dict[Any, Any], nl: str) -> str:
    inner = nl + "  "
    parts: list[str] = []
    append = parts.append
    for k, v in o.items():  # the common scalars inline: a report is mostly flat records
        t = type(v)
        if t is str:
            text = encode_basestring(v)
        elif t is float and v - v == 0.0:
            text = _float_repr(v)
        elif t is int:
            text = _int_repr(v)
        else:
            text = _value(v, inner)
        append(f"{encode_basestring(k) if type(k) is str else _key(k)}: {text}")
    return "{" + inner + ("," + inner).join(parts) + nl + "}"


def _list(o: list[Any] | tuple[Any, ...], nl: str) -> str:
    inner = nl + "  "
    if len(o) >= _RECORDS and type(o[0]) is dict:
        text = _records(o, inner)
        if text is not None:
            return "[" + inner + text + nl + "]"
    return "[" + inner + ("," + inner).join([_value(v, inner) for v in o]) + nl + "]"


def _records(rows: list[Any] | tuple[Any, ...], nl: str) -> str | None:
    """Dicts that all have the same keys in the same order (the line items of a report), written
    a column at a time into one layout of the keys; None when the rows are not like that."""
    if set(map(type, rows)) != {dict}:
        return None
    layouts = set(map(tuple, rows))
    if len(layouts) != 1:
        return None
    (keys,) = layouts
    if not keys:
        return None
    return _columns(keys, list(zip(*map(dict.values, rows), strict=True)), nl)


def _columns(keys: Sequence[Any], columns: Sequence[Sequence[Any]], nl: str) -> str:
    """The records of ``keys`` whose values are ``columns``, without the enclosing brackets."""
    inner = nl + "  "
    layout = (
        "{"
        + inner
        + ("," + inner).join([_key(k).replace("%", "%%") + ": %s" for k in keys])
        + nl
        + "}"
    )
    out: list[str] = []
    for start in range(0, len(columns[0]), _CHUNK):  # a chunk at a time: few texts alive at once
        texts = [_column(c[start : start + _CHUNK], inner) for c in columns]
        out += [layout % row for row in zip(*texts, strict=True)]
    return ("," + nl).join(out)


def _column(values: Sequence[Any], nl: str) -> list[str]:
    """The text of each value of one column: by a C function when the column has one type."""
    types = set(map(type, values))
    if len(types) == 1:
        t = types.pop()
        if t is str:
            return list(map(encode_basestring, values))
        if t is float:
            texts = list(map(_float_repr, values))
            return texts if _NOT_FINITE.isdisjoint(texts) else list(map(_float, values))
        if t is int:
            return list(map(_int_repr, values))
    return [_value(v, nl) for v in values]
