"""Decode CloudFormation YAML/JSON exactly as cfn-lint's ``decode_str`` does, without cfn-lint.

``import cfnlint.decode`` pulls in cfn-lint's package, its rules and sympy (most of a second);
this module needs only PyYAML's C loader. ``decode_fast(text)`` returns what
``cfnlint.decode.decode.decode_str(text)[0]`` returns: mappings, lists and strings are
``dict``/``list``/``str`` subclasses carrying the same ``start_mark``/``end_mark`` objects
(``.line`` 0-based, ``.column``), short tags become ``{"Fn::X": ...}``/``{"Ref": ...}``/
``{"Condition": ...}``, and YAML 1.1 scalars (``yes``, ``0o``/``012`` octals, unquoted dates,
merge keys ``<<``) come out as cfn-lint's SafeConstructor-based loader builds them.

Where cfn-lint reports a parse error instead of a template, ``decode_fast`` raises:

* ``DuplicateKeyError`` -- a mapping repeats a key (cfn-lint's message and line);
* ``AliasExpansionError`` -- aliases expand to more than 250,000 values ("billion laughs");
* ``NestingError`` -- nesting beyond what cfn-lint's recursive constructor survives (it fails
  with a ``RecursionError`` at the same depth for the same recursion limit), or beyond libyaml's
  own limit of 1,000 levels;
* ``TemplateDecodeError`` -- cfn-lint's other failures (null or unhashable keys, JSON errors);
* ``yaml.YAMLError`` -- any other YAML error, with ``problem_mark`` giving the place.

All the ``DecodeError`` classes are ``ValueError`` subclasses with a 1-based ``line`` (or None).

The common node types are constructed iteratively (no recursion, no quadratic duplicate check);
rare constructs (``!!set``/``!!omap``/``!!pairs``, explicit core tags on the wrong node kind,
``!GetAtt`` on a mapping, unknown ``!!`` tags) go through a line-for-line port of cfn-lint's
recursive constructor instead, so they too come out as cfn-lint builds them. The cyclic garbage
collector is paused while a document is built (it otherwise dominates the time on big files).
"""

from __future__ import annotations

import contextlib
import gc
import sys
from collections.abc import Callable, Hashable
from copy import deepcopy
from typing import Any, Final

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.scanner import ScannerError

try:
    from yaml import CSafeLoader as _YamlLoader
except ImportError:  # pragma: no cover - PyYAML without libyaml, as cfn-lint falls back too
    from yaml import SafeLoader as _YamlLoader  # type: ignore[assignment]

__all__ = [
    "MAX_EXPANDED_NODES",
    "AliasExpansionError",
    "DecodeError",
    "DictNode",
    "DuplicateKeyError",
    "ListNode",
    "Mark",
    "NestingError",
    "StrNode",
    "TemplateDecodeError",
    "decode_fast",
]

MAX_EXPANDED_NODES: Final = 250_000
"""cfn-lint's ``_MAX_EXPANDED_NODES``: the most values a template may expand to through aliases."""

_STR: Final = "tag:yaml.org,2002:str"
_MAP: Final = "tag:yaml.org,2002:map"
_SEQ: Final = "tag:yaml.org,2002:seq"
_MERGE: Final = "tag:yaml.org,2002:merge"
_FLATTENED: Final = frozenset({_MERGE, "tag:yaml.org,2002:value"})
_SCALAR_TAGS: Final = frozenset(
    "tag:yaml.org,2002:" + name for name in ("null", "bool", "int", "float", "binary", "timestamp")
)
_UNCONVERTED: Final = frozenset({"Ref", "Condition"})

# --------------------------------------------------------------------------- values


class Mark:
    """A position made up by the decoder (cfn-lint's ``cfnlint.decode.mark.Mark``)."""

    __slots__ = ("line", "column")

    def __init__(self, line: int = 1, column: int = 1) -> None:
        self.line = line
        self.column = column

    def __repr__(self) -> str:
        return f"Mark(line={self.line}, column={self.column})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mark):
            return NotImplemented
        return (self.line, self.column) == (other.line, other.column)

    def __hash__(self) -> int:
        return hash((self.line, self.column))


class StrNode(str):
    """A string with the source span it was read from (cfn-lint's ``str_node``)."""

    __slots__ = ("start_mark", "end_mark", "__dict__")

    start_mark: Any
    end_mark: Any

    def __new__(cls, x: object = "", start_mark: Any = None, end_mark: Any = None) -> StrNode:
        node = str.__new__(cls, x)
        node.start_mark = start_mark or Mark()
        node.end_mark = end_mark or Mark()
        return node

    def __deepcopy__(self, memo: dict[int, Any]) -> StrNode:
        result = StrNode(self, self.start_mark, self.end_mark)
        memo[id(self)] = result
        return result


class DictNode(dict[Any, Any]):
    """A mapping with the source span it was read from (cfn-lint's ``dict_node``)."""

    __slots__ = ("start_mark", "end_mark", "using_merge", "__dict__")

    start_mark: Any
    end_mark: Any
    using_merge: bool

    def __init__(
        self,
        x: Any = (),
        start_mark: Any = None,
        end_mark: Any = None,
        using_merge: bool = False,
    ) -> None:
        super().__init__(x)
        self.start_mark = start_mark or Mark()
        self.end_mark = end_mark or Mark()
        self.using_merge = using_merge

    def get(self, key: Any, default: Any = None) -> Any:
        """``dict.get``; a dict default comes back as a ``DictNode`` with this mapping's marks."""
        if isinstance(default, dict):
            default = DictNode(default, self.start_mark, self.end_mark)
        return super().get(key, default)

    def __deepcopy__(self, memo: dict[int, Any]) -> DictNode:
        result = DictNode((), self.start_mark, self.end_mark, self.using_merge)
        memo[id(self)] = result
        for key, value in self.items():
            result[deepcopy(key, memo)] = deepcopy(value, memo)
        return result


class ListNode(list[Any]):
    """A list with the source span it was read from (cfn-lint's ``list_node``)."""

    __slots__ = ("start_mark", "end_mark", "__dict__")

    start_mark: Any
    end_mark: Any

    def __init__(self, x: Any = (), start_mark: Any = None, end_mark: Any = None) -> None:
        super().__init__(x)
        self.start_mark = start_mark or Mark()
        self.end_mark = end_mark or Mark()

    def __deepcopy__(self, memo: dict[int, Any]) -> ListNode:
        result = ListNode((), self.start_mark, self.end_mark)
        memo[id(self)] = result
        result.extend(deepcopy(value, memo) for value in self)
        return result


_new_str = str.__new__
_new_dict = dict.__new__
_new_list = list.__new__


def _str_node(value: str, node: Node) -> StrNode:
    out: StrNode = _new_str(StrNode, value)
    out.start_mark = node.start_mark
    out.end_mark = node.end_mark
    return out


def _dict_node(value: Any, node: Node, using_merge: bool = False) -> DictNode:
    out: DictNode = _new_dict(DictNode)
    out.update(value)
    out.start_mark = node.start_mark
    out.end_mark = node.end_mark
    out.using_merge = using_merge
    return out


def _list_node(value: Any, node: Node) -> ListNode:
    out: ListNode = _new_list(ListNode)
    out.extend(value)
    out.start_mark = node.start_mark
    out.end_mark = node.end_mark
    return out


# --------------------------------------------------------------------------- errors


class DecodeError(ValueError):
    """A template cfn-lint would not decode; ``line`` is 1-based (None when unknown)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class DuplicateKeyError(DecodeError):
    """A mapping repeats a key: cfn-lint's ``Duplicate found 'Key' (line N)``."""


class AliasExpansionError(DecodeError):
    """YAML aliases expand to more than ``MAX_EXPANDED_NODES`` values."""


class NestingError(DecodeError):
    """Values nested deeper than the decoder (or cfn-lint's) can follow."""


class TemplateDecodeError(DecodeError):
    """Any other template cfn-lint refuses (null or unhashable keys, invalid JSON...)."""


class _Fallback(Exception):
    """The fast constructor met a construct it leaves to the exact port of cfn-lint's."""


def _line(mark: Any) -> int | None:
    line = getattr(mark, "line", None)
    return line + 1 if isinstance(line, int) else None


def _fn_name(tag: str) -> str:
    suffix = tag[1:]
    return suffix if suffix in _UNCONVERTED else "Fn::" + suffix


def _duplicate(key: Any, line: int) -> tuple[str, int]:
    return f"Duplicate found {key!r} (line {line})", line


def _null_key(key_node: Node) -> TemplateDecodeError:
    line = key_node.start_mark.line + 1
    return TemplateDecodeError(f"Null key {key_node.value!r} not supported (line {line})", line)


def _unhashable_key(key: Any) -> TemplateDecodeError:
    line = _line(getattr(key, "start_mark", None))
    return TemplateDecodeError(f'Unhashable type "{key}" (line {line})', line)


def _unexpected(err: BaseException) -> TemplateDecodeError:
    return TemplateDecodeError(f"Template could not be parsed: {err}")


def _key_line(key: Any) -> int:
    try:
        return int(key.start_mark.line) + 1
    except AttributeError as err:  # cfn-lint fails the same way on a duplicate non-string key
        raise _unexpected(err) from None


# --------------------------------------------------------------------------- cost model

# cfn-lint's constructor recurses: it fails with RecursionError (reported as a parse error)
# once a template nests deeper than the interpreter's recursion limit allows. The fast
# constructor does not recurse; it counts the frames cfn-lint would use instead, so that it
# refuses exactly the templates cfn-lint refuses at the same recursion limit. The numbers were
# measured on cfn-lint 1.58 under CPython 3.11 (the least recursion limit at which each shape
# decodes). Offsets count from the ``construct_object`` call of the document's root.
_CHILD_OFFSET: Final = (2, 5, 4, 4, 4)  # per frame kind: where its children's calls start
# The deepest call chain a node needs, counted from its own construct_object call:
_OWN_EMPTY: Final = (7, 5, 5, 6, 6)  # per frame kind, without children
_OWN_FULL: Final = (9, 6, 5, 9, 6)  # per frame kind, with children (before theirs)
_NEED_STR: Final = 5  # construct_yaml_str, SafeConstructor.construct_yaml_str, construct_scalar..
_NEED_SCALAR: Final = 4  # null, bool, int, float, timestamp
_NEED_BINARY: Final = 5
_NEED_TAGGED: Final = 5  # !Ref x, !Sub "..."
_NEED_GETATT: Final = 6  # !GetAtt a.b, !GetAtt {}
_NEED_MAX_LEAF: Final = 6
_ROOT_OFFSET: Final = 4  # decode_str, _decode, loads, get_single_data, construct_document
#                          less this module's decode_fast frame


_PROBE_SLACK: Final = 200  # more C-level calls on the stack than this: not expected
_HEADROOM_OFFSET: Final = 2  # _headroom() runs two frames below decode_fast


def _stack_probe(depth: list[int]) -> None:
    depth[0] += 1
    _stack_probe(depth)


def _headroom() -> int:
    """How many more nested Python calls the interpreter allows below this function's caller."""
    depth = [0]
    with contextlib.suppress(RecursionError):
        _stack_probe(depth)
    return depth[0]


def _too_deep(node: Node) -> NestingError:
    return NestingError(
        "Template could not be parsed: values are nested too deeply "
        "(maximum recursion depth exceeded)",
        _line(node.start_mark),
    )


def _stack_depth() -> int:
    depth = 0
    frame: Any = sys._getframe(1)
    while frame is not None:
        depth += 1
        frame = frame.f_back
    return depth


# --------------------------------------------------------------------------- loaders


_base_resolve: Callable[[Any, Any, Any, Any], Any] = _YamlLoader.resolve


class _CfnLoader(_YamlLoader):
    """PyYAML's safe C loader with cfn-lint's merge-key bookkeeping and a memoized resolver."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._plain_tags: dict[str, str] = {}
        # When a list: repeated keys are recorded here as (key, line, first line) and the
        # last value kept, as CloudFormation does; when None, they raise (cfn-lint's way).
        self.duplicates: list[tuple[str, int, int]] | None = None

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is ScalarNode and implicit[0]:
            tag = self._plain_tags.get(value)
            if tag is None:
                tag = _base_resolve(self, kind, value, implicit)
                self._plain_tags[value] = tag
            return tag
        return _base_resolve(self, kind, value, implicit)

    def flatten_mapping(self, node: MappingNode) -> None:
        for key_node, _ in node.value:
            if key_node.tag in _FLATTENED:
                break
        else:  # no merge ("<<") or value ("=") key: flattening would change nothing
            return
        # cfn-lint's NodeConstructor.flatten_mapping, verbatim
        if any(key_node.tag == _MERGE for key_node, _ in node.value):
            super().flatten_mapping(node)
            node.using_merge = True  # type: ignore[attr-defined]
        super().flatten_mapping(node)


# Frame kinds of the iterative constructor
_K_MAP: Final = 0  # block/flow mapping -> DictNode, duplicate keys refused
_K_SEQ: Final = 1  # sequence -> ListNode
_K_TAG_SEQ: Final = 2  # !Tag [..] -> DictNode({"Fn::Tag": [..]})
_K_TAG_MAP: Final = 3  # !Tag {..} -> DictNode({"Fn::Tag": {..}})
_K_GETATT_SEQ: Final = 4  # !GetAtt [..] -> DictNode({"Fn::GetAtt": ListNode([..])})


class _Frame:
    __slots__ = (
        "kind",
        "paired",
        "node",
        "items",
        "size",
        "pos",
        "out",
        "key",
        "child",
        "near",
        "dups",
        "merge",
    )

    def __init__(self, kind: int, node: Node, items: list[Any], size: int, out: Any) -> None:
        self.kind = kind
        self.paired = kind in (_K_MAP, _K_TAG_MAP)
        self.node = node
        self.items = items
        self.size = size
        self.pos = 0
        self.out = out
        self.key: Any = None
        self.child = 0
        self.near = True
        self.dups: list[tuple[str, int]] | None = (
            None  # duplicate keys found, as cfn-lint lists them
        )
        self.merge = False


class _FastLoader(_CfnLoader):
    """Constructs a composed document without recursion."""

    max_need = 0  # the most frames cfn-lint could need for what was built (an upper bound)

    def build(self, root: Node, budget: int, shared: bool = True) -> Any:
        """Construct the document at ``root``; ``shared``: it may use aliases (nodes met twice).

        Without ``shared``, the composed tree is consumed: build it again from the text to
        construct it a second time."""
        done: dict[Node, Any] = {}  # constructed nodes, when shared
        active: set[Node] = set()  # nodes under construction, when shared
        stack: list[_Frame] = []
        enter = self._enter
        accept = self._accept
        value = enter(root, None, done, active, stack, budget, shared)
        while True:
            if value is _PENDING:
                frame = stack[-1]
            elif not stack:
                return value
            else:
                frame = stack[-1]
                kind = frame.kind
                if kind == _K_SEQ:
                    frame.out.append(value)
                elif kind != _K_MAP:
                    accept(frame, value)
                elif frame.pos & 1:  # a key: kept until its value is built
                    frame.key = value
                elif type(frame.key) is StrNode and frame.key not in frame.out:
                    frame.out[frame.key] = value  # the commonest pair: a new string key
                else:
                    accept(frame, value)
            pos = frame.pos
            if pos < frame.size:
                frame.pos = pos + 1
                child = frame.items[pos >> 1][pos & 1] if frame.paired else frame.items[pos]
                if child.tag == _STR and type(child) is ScalarNode and not frame.near:
                    # the commonest node, inline: a plain string
                    if shared:
                        value = done.get(child, _PENDING)
                        if value is not _PENDING:
                            continue
                    value = _new_str(StrNode, child.value)
                    value.start_mark = child.start_mark
                    value.end_mark = child.end_mark
                    if shared:
                        done[child] = value
                else:
                    value = enter(child, frame, done, active, stack, budget, shared)
                continue
            stack.pop()
            value = self._finish(frame)
            if shared:
                done[frame.node] = value
                active.discard(frame.node)
            else:
                # Met once: drop the composed children now, so the node tree is freed while
                # the template grows instead of both being held at the peak.
                frame.node.value = ()

    def _enter(
        self,
        node: Node,
        parent: _Frame | None,
        done: dict[Node, Any],
        active: set[Node],
        stack: list[_Frame],
        budget: int,
        shared: bool,
    ) -> Any:
        """Build a leaf (returned) or push a frame for a collection (returns ``_PENDING``)."""
        offset = parent.child if parent is not None else 0
        if shared:
            found = done.get(node, _PENDING)
            if found is not _PENDING:
                return found
            if node in active:
                raise ConstructorError(
                    None, None, "found unconstructable recursive node", node.start_mark
                )
        tag = node.tag
        kind = -1
        if tag == _STR:
            if type(node) is not ScalarNode:
                raise _Fallback
            if offset + _NEED_STR > budget:
                raise _too_deep(node)
            value: Any = _str_node(node.value, node)
            if shared:
                done[node] = value
            return value
        if tag == _MAP:
            if type(node) is not MappingNode:
                raise _Fallback
            kind = _K_MAP
        elif tag == _SEQ:
            if type(node) is not SequenceNode:
                raise _Fallback
            kind = _K_SEQ
        elif tag in _SCALAR_TAGS:
            if type(node) is not ScalarNode:
                raise _Fallback
            need = _NEED_BINARY if tag == "tag:yaml.org,2002:binary" else _NEED_SCALAR
            if offset + need > budget:
                raise _too_deep(node)
            value = self.yaml_constructors[tag](self, node)
            if shared:
                done[node] = value
            return value
        elif tag.startswith("!"):
            name = _fn_name(tag)
            node_type = type(node)
            if node_type is ScalarNode:
                need = _NEED_GETATT if name == "Fn::GetAtt" else _NEED_TAGGED
                if offset + need > budget:
                    raise _too_deep(node)
                if name == "Fn::GetAtt":
                    inner: Any = _list_node(node.value.split(".", 1), node)
                else:
                    inner = node.value
                value = _dict_node({name: inner}, node)
                if shared:
                    done[node] = value
                return value
            if node_type is SequenceNode:
                kind = _K_GETATT_SEQ if name == "Fn::GetAtt" else _K_TAG_SEQ
            elif node_type is MappingNode:
                if name == "Fn::GetAtt":
                    if node.value:
                        raise _Fallback
                    if offset + _NEED_GETATT > budget:
                        raise _too_deep(node)
                    value = _dict_node({name: _list_node((), node)}, node)
                    if shared:
                        done[node] = value
                    return value
                kind = _K_TAG_MAP
            else:  # pragma: no cover - the composer makes no other node types
                raise _Fallback
        else:
            raise _Fallback
        need = offset + (_OWN_FULL[kind] if node.value else _OWN_EMPTY[kind])
        if need > budget:
            raise _too_deep(node)
        if need > self.max_need:
            self.max_need = need
        if kind == _K_MAP:
            self.flatten_mapping(node)  # type: ignore[arg-type]
            out: Any = _new_dict(DictNode)
            frame = _Frame(kind, node, node.value, 2 * len(node.value), out)
            frame.merge = bool(getattr(node, "using_merge", False))
        elif kind == _K_TAG_MAP:
            self.flatten_mapping(node)  # type: ignore[arg-type]
            frame = _Frame(kind, node, node.value, 2 * len(node.value), {})
        elif kind in (_K_SEQ, _K_GETATT_SEQ):
            frame = _Frame(kind, node, node.value, len(node.value), _new_list(ListNode))
        else:
            frame = _Frame(kind, node, node.value, len(node.value), [])
        frame.child = offset + _CHILD_OFFSET[kind]
        frame.near = frame.child + _NEED_MAX_LEAF > budget
        if frame.child + _NEED_MAX_LEAF > self.max_need:
            self.max_need = frame.child + _NEED_MAX_LEAF
        if shared:
            active.add(node)
        stack.append(frame)
        return _PENDING

    def _accept(self, frame: _Frame, value: Any) -> None:
        """Take the value just built for ``frame``'s next child."""
        kind = frame.kind
        if kind == _K_MAP:
            pos = frame.pos - 1
            if not pos & 1:
                frame.key = value
                return
            key = frame.key
            out: dict[Any, Any] = frame.out
            if key is None:
                raise _null_key(frame.items[pos >> 1][0])
            if not frame.merge:
                try:
                    seen = key in out
                except TypeError:
                    seen = False
                if seen:  # cfn-lint compares with ==; a dict lookup also matches NaN by identity
                    first = next((k for k in out if k == key), _PENDING)
                    if first is not _PENDING:
                        line = frame.items[pos >> 1][0].start_mark.line + 1
                        if self.duplicates is not None:
                            self.duplicates.append((str(key), line, _key_line(first)))
                        elif frame.dups is None:
                            frame.dups = [_duplicate(key, _key_line(first))]
                        if frame.dups is not None:
                            frame.dups.append(_duplicate(key, line))
            try:
                out[key] = value
            except TypeError:
                raise _unhashable_key(key) from None
        elif kind == _K_TAG_MAP:
            pos = frame.pos - 1
            if not pos & 1:
                if not isinstance(value, Hashable):
                    raise ConstructorError(
                        "while constructing a mapping",
                        frame.node.start_mark,
                        "found unhashable key",
                        frame.items[pos >> 1][0].start_mark,
                    )
                frame.key = value
                return
            frame.out[frame.key] = value
        else:
            frame.out.append(value)

    def _finish(self, frame: _Frame) -> Any:
        node = frame.node
        kind = frame.kind
        out = frame.out
        if kind == _K_MAP:
            if frame.dups:
                message, line = frame.dups[0]
                raise DuplicateKeyError(message, line)
            out.start_mark = node.start_mark
            out.end_mark = node.end_mark
            out.using_merge = frame.merge
            return out
        if kind == _K_SEQ:
            out.start_mark = node.start_mark
            out.end_mark = node.end_mark
            return out
        if kind == _K_GETATT_SEQ:
            out.start_mark = node.start_mark
            out.end_mark = node.end_mark
        return _dict_node({_fn_name(node.tag): out}, node)


_PENDING: Final[Any] = object()


class _ExactLoader(_CfnLoader):
    """A port of cfn-lint's recursive ``NodeConstructor`` for the constructs the fast one skips."""

    def construct_yaml_map(self, node: MappingNode) -> Any:
        mapping: dict[Any, Any] = {}
        self.flatten_mapping(node)
        matches: list[tuple[str, int]] = []
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, False)
            value = self.construct_object(value_node, False)
            if key is None:
                raise _null_key(key_node)
            if not getattr(node, "using_merge", False):
                for key_dup in mapping:
                    if key_dup == key and self.duplicates is not None:
                        line = key_node.start_mark.line + 1
                        self.duplicates.append((str(key), line, _key_line(key_dup)))
                    elif key_dup == key:
                        if not matches:
                            matches.append(_duplicate(key, _key_line(key_dup)))
                        matches.append(_duplicate(key, key_node.start_mark.line + 1))
            try:
                mapping[key] = value
            except Exception:
                raise _unhashable_key(key) from None
        if matches:
            raise DuplicateKeyError(*matches[0])
        (obj,) = SafeConstructor.construct_yaml_map(self, node)
        return DictNode(obj, node.start_mark, node.end_mark, getattr(node, "using_merge", False))

    def construct_yaml_str(self, node: ScalarNode) -> Any:
        return StrNode(
            SafeConstructor.construct_yaml_str(self, node), node.start_mark, node.end_mark
        )

    def construct_yaml_seq(self, node: SequenceNode) -> Any:
        (obj,) = SafeConstructor.construct_yaml_seq(self, node)
        return ListNode(obj, node.start_mark, node.end_mark)

    def construct_getatt(self, node: Node) -> Any:
        if isinstance(node.value, str):
            return ListNode(node.value.split(".", 1), node.start_mark, node.end_mark)
        if isinstance(node.value, list):
            if any(isinstance(value, tuple) for value in node.value):
                mapping = MappingNode(_MAP, node.value, node.start_mark, node.end_mark)
                return DictNode(self.construct_object(mapping, deep=True))
            children = [self.construct_object(child, deep=True) for child in node.value]
            return ListNode(children, node.start_mark, node.end_mark)
        raise ValueError(f"Unexpected GetAtt format: {type(node.value)}")

    def construct_tag(self, tag_suffix: str, node: Node) -> Any:
        name = tag_suffix if tag_suffix in _UNCONVERTED else "Fn::" + tag_suffix
        start, end = node.start_mark, node.end_mark
        if name == "Fn::GetAtt":
            return DictNode({name: self.construct_getatt(node)}, start, end)
        if isinstance(node, ScalarNode):
            return DictNode({name: self.construct_scalar(node)}, start, end)
        if isinstance(node, SequenceNode):
            return DictNode({name: self.construct_sequence(node, True)}, start, end)
        if isinstance(node, MappingNode):
            return DictNode({name: self.construct_mapping(node, True)}, start, end)
        raise ValueError(f"Bad tag: !{name}")  # pragma: no cover


_ExactLoader.add_constructor(_MAP, _ExactLoader.construct_yaml_map)
_ExactLoader.add_constructor(_STR, _ExactLoader.construct_yaml_str)
_ExactLoader.add_constructor(_SEQ, _ExactLoader.construct_yaml_seq)
_ExactLoader.add_multi_constructor("!", _ExactLoader.construct_tag)


# --------------------------------------------------------------------------- aliases


def _check_alias_expansion(root: Any) -> None:
    """cfn-lint's ``_guard_alias_expansion`` without recursion: refuse over-large expansions.

    A mapping counts 1 plus its values, a list 1 plus its items, anything else 1; shared
    (aliased) values are counted each time they appear but measured once. (cfn-lint's guard
    recurses, but memoized in document order it never goes deeper than the constructor did.)
    """
    sizes: dict[int, int] = {}
    stack: list[Any] = [root]
    while stack:
        item = stack[-1]
        if id(item) in sizes:
            stack.pop()
            continue
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            stack.pop()
            continue
        pending = [
            child for child in children if isinstance(child, dict | list) and id(child) not in sizes
        ]
        if pending:
            stack.extend(pending)
            continue
        stack.pop()
        total = 1
        for child in children:
            total += sizes.get(id(child), 1)
        if total > MAX_EXPANDED_NODES:
            raise AliasExpansionError(
                f"Template resolves to more than {MAX_EXPANDED_NODES} nodes once YAML aliases "
                "are expanded; this is not supported and may indicate YAML alias amplification",
                1,
            )
        sizes[id(item)] = total


# --------------------------------------------------------------------------- entry point

_JSON_FALLBACK_PROBLEMS: Final = (
    "found character '\\t' that cannot start any token",
    "found unknown escape character",
)


def decode_fast(text: str, duplicates: list[tuple[str, int, int]] | None = None) -> Any:
    """Decode a CloudFormation template exactly as cfn-lint's ``decode_str(text)[0]`` does.

    Raises ``DecodeError`` subclasses (``ValueError``) or ``yaml.YAMLError`` where cfn-lint
    would return parse errors instead of a template. With a ``duplicates`` list, a repeated
    YAML key is recorded there as (key, line, first line) and the last value kept, as
    CloudFormation itself does, instead of raising (the JSON fallback stays strict).
    """
    budget = sys.getrecursionlimit() - _stack_depth() - _ROOT_OFFSET
    try:
        return _load_yaml(text, budget, duplicates)
    except ScannerError as err:
        problem = err.problem
        if problem and (
            problem in _JSON_FALLBACK_PROBLEMS
            or problem.startswith("found unknown escape character")
        ):
            return _load_json(text, err)
        if problem and "maximum nesting depth" in problem:
            raise NestingError(
                f"{err.context or 'YAML'}: {problem}", _line(err.problem_mark)
            ) from None
        raise


def _compose(
    text: str, duplicates: list[tuple[str, int, int]] | None
) -> tuple[_FastLoader, Node | None]:
    """libyaml's node tree of the text, and the loader that builds values from it."""
    loader = _FastLoader(text)
    loader.duplicates = duplicates
    try:
        return loader, loader.get_single_node()
    finally:
        loader.dispose()


def _load_yaml(text: str, budget: int, duplicates: list[tuple[str, int, int]] | None = None) -> Any:
    collect = gc.isenabled()
    gc.disable()  # the document is a large acyclic graph; collections would only rescan it
    try:
        loader, root = _compose(text, duplicates)
        try:
            shared = "&" in text  # aliases need anchors: without, no node is met twice
            template = loader.build(root, budget, shared) if root is not None else None
            if loader.max_need > budget - _PROBE_SLACK:
                # Near the limit, measure it: calls made through C (a partial, a __call__)
                # also count towards the recursion limit but leave no Python frame.
                exact = _headroom() - _HEADROOM_OFFSET
                if loader.max_need > exact:
                    if duplicates is not None:
                        duplicates.clear()  # built again from the start
                    if not shared:  # the first build consumed the composed tree
                        loader, root = _compose(text, duplicates)
                    template = loader.build(root, exact, shared)  # type: ignore[arg-type]
        except _Fallback:
            if duplicates is not None:
                duplicates.clear()  # built again from the start
            template = _load_exact(text, duplicates)
        if template is None:
            template = DictNode({}, Mark(0, 0), Mark(0, 0))
        if "&" in text:
            _check_alias_expansion(template)
        return template
    except (DecodeError, yaml.YAMLError):
        raise
    except RecursionError:
        raise NestingError(
            "Template could not be parsed: maximum recursion depth exceeded"
        ) from None
    except Exception as err:
        raise _unexpected(err) from err
    finally:
        if collect:
            gc.enable()


def _load_exact(text: str, duplicates: list[tuple[str, int, int]] | None = None) -> Any:
    loader = _ExactLoader(text)
    loader.duplicates = duplicates
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _load_json(text: str, yaml_error: ScannerError) -> Any:
    """cfn-lint's JSON fallback, taken when its YAML loader stops on a tab or an unknown escape."""
    from json import JSONDecodeError

    from cfnlint.decode import cfn_json  # heavy, and only for these rare templates

    try:
        return cfn_json.loads(text)
    except cfn_json.JSONDecodeError as err:
        first = err.matches[0]
        line = first.linenumber if isinstance(first.linenumber, int) else None
        error = DuplicateKeyError if first.message.startswith("Duplicate") else TemplateDecodeError
        raise error(first.message, line) from None
    except JSONDecodeError as err:
        if err.msg in ("No JSON object could be decoded", "Expecting value"):
            raise yaml_error from None
        raise TemplateDecodeError(err.msg, err.lineno) from None
    except Exception as err:
        raise TemplateDecodeError(
            f"Tried to parse the template as JSON but got error: {err}"
        ) from None
