"""Which IoT topic rules a publish to an MQTT topic reaches.

An ``iot:Publish`` grant names topics (``arn:aws:iot:REGION:ACCOUNT:topic/sensors/room1/temp``,
IAM wildcards allowed); a topic rule listens to a topic filter in its SQL
(``SELECT * FROM 'sensors/+/temp'``, MQTT wildcards ``+`` for one level and ``#`` for the
rest). A literal topic that a filter matches is a certain edge; a topic with an IAM wildcard or
a value known only at deploy time (a parameter, a policy variable) may reach the rule: weak.
Whether a wildcard topic can reach a filter at all is decided exactly: the two patterns are
read as automata and their intersection searched (``sensors/*/temp`` reaches ``sensors/+/temp``,
not ``sensors/room1/humidity``).

A publish to ``$aws/rules/RULE_NAME`` (Basic Ingest) goes straight to the rule of that name,
whatever its filter.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

from iacscan.resolve.values import with_placeholders

Match = Literal["strong", "weak"]

_TOPIC_ARN = re.compile(r"^arn:[^:]*:iot:[^:]*:[^:]*:topic/(.*)$", re.DOTALL)
_FROM = re.compile(r"\bFROM\s+'([^']*)'", re.IGNORECASE)
_PLACE = re.compile(r"\x00\d+\x00|\$\{[^}]*\}")  # a deploy-time value or a policy variable
BASIC_INGEST = "$aws/rules/"

# Pattern tokens, one per character position: a literal character, any one character (IAM
# ``?``), any run of characters (IAM ``*``, which spans levels) or any run without ``/``
# (MQTT ``+``).
_ONE, _ANY, _LEVEL = "\x00one", "\x00any", "\x00level"
_WILD = frozenset({_ONE, _ANY, _LEVEL})
Token = str


def published_topic(text: str) -> str | None:
    """The topic an IAM resource names (``*`` for any), IAM wildcards kept and every value
    known only at deploy time as ``*``; None when it names no IoT topic."""
    if text.strip() == "*":
        return "*"
    m = _TOPIC_ARN.match(topic_text(text).strip())
    return m.group(1) if m is not None else None


def topic_text(text: str) -> str:
    """A resolved topic (or ARN) with each value known only at deploy time (a parameter, an
    IoT substitution such as ``${topic(2)}``, a policy variable) as the wildcard ``*``."""
    flat, _ = with_placeholders(text)
    return _PLACE.sub("*", flat)


def topic_filter(sql: str) -> tuple[str, bool] | None:
    """The topic filter of a topic rule's SQL, and whether all of it is known before deploy
    time (a deploy-time part stands as ``+``, one level)."""
    flat, _ = with_placeholders(sql)
    m = _FROM.search(flat)
    if m is None:
        return None
    found, n = _PLACE.subn("+", m.group(1))
    return found, n == 0


def ingest_rule(topic: str) -> str | None:
    """The rule name a Basic Ingest topic (``$aws/rules/NAME/...``) delivers to."""
    if not topic.startswith(BASIC_INGEST):
        return None
    name = topic[len(BASIC_INGEST) :].split("/", 1)[0]
    return name or None


# MQTT topics and filters hold at most 256 bytes; a longer pattern (an IAM resource) is not
# searched: it may reach the rule (weak).
MAX_PATTERN = 256


@lru_cache(maxsize=65_536)
def reaches(topic: str, filter_: str, known: bool = True) -> Match | None:
    """Whether a publish to ``topic`` (IAM wildcards ``*``/``?``, ``*`` spanning levels) can be
    delivered to a rule on ``filter_`` (MQTT wildcards; ``known``: no part of it is known only
    at deploy time). Each pair is decided once (cached)."""
    if topic.startswith(BASIC_INGEST):
        return None  # delivered by rule name only (ingest_rule)
    if len(topic) > MAX_PATTERN or len(filter_) > MAX_PATTERN:
        return "weak"
    mine = _iam_tokens(topic)
    if not any(_meet(mine, theirs) for theirs in _filter_tokens(filter_)):
        return None
    sure = known and "*" not in topic and "?" not in topic
    return "strong" if sure else "weak"


def _iam_tokens(pattern: str) -> list[Token]:
    return [_ANY if c == "*" else _ONE if c == "?" else c for c in pattern]


def _filter_tokens(filter_: str) -> list[list[Token]]:
    """The filter as token lists; ``a/#`` is two (``a`` itself, and ``a/`` + anything)."""
    levels = filter_.split("/")
    if levels[-1] == "#":
        head = "/".join(levels[:-1])
        whole = [_level_tokens(head)] if head else []
        return [*whole, [*_level_tokens(head), *(["/"] if head else []), _ANY]]
    return [_level_tokens(filter_)]


def _level_tokens(text: str) -> list[Token]:
    out: list[Token] = []
    for i, level in enumerate(text.split("/")):
        if i:
            out.append("/")
        out.extend([_LEVEL] if level == "+" else list(level))
    return out


def _meet(a: list[Token], b: list[Token]) -> bool:
    """Whether some string matches both token patterns: a search over position pairs, where a
    run token may consume a character and stay, or be left (bounded: len(a) * len(b) pairs).
    Most pairs differ in their literal start or end and are told apart at once."""
    if not (_may_share_ends(a, b) and _may_share_ends(a[::-1], b[::-1])):
        return False
    seen: set[tuple[int, int]] = set()
    todo = [(0, 0)]
    while todo:
        i, j = todo.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if i == len(a) and j == len(b):
            return True
        x = a[i] if i < len(a) else None
        y = b[j] if j < len(b) else None
        # a run may match nothing
        if x in (_ANY, _LEVEL):
            todo.append((i + 1, j))
        if y in (_ANY, _LEVEL):
            todo.append((i, j + 1))
        if x is None or y is None or not _share(x, y):
            continue
        # both consume one character; a run stays where it is
        todo.append((i if x in (_ANY, _LEVEL) else i + 1, j if y in (_ANY, _LEVEL) else j + 1))
    return False


def _may_share_ends(a: list[Token], b: list[Token]) -> bool:
    """False when the literal characters the two patterns start with differ (before either
    has a wildcard): no string can match both."""
    for x, y in zip(a, b, strict=False):
        if x in _WILD or y in _WILD:
            return True
        if x != y:
            return False
    return True


def _share(x: Token, y: Token) -> bool:
    """Whether one character can be matched by both tokens."""
    wild = (_ONE, _ANY)
    if x in wild or y in wild:
        return not ((x == _LEVEL and y == "/") or (y == _LEVEL and x == "/"))
    if x == _LEVEL or y == _LEVEL:
        other = y if x == _LEVEL else x
        return other != "/"
    return x == y
