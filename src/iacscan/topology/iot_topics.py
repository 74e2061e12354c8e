"""Which IoT topic rules a publish to an MQTT topic reaches.

An ``iot:Publish`` grant names topics (``arn:aws:iot:REGION:ACCOUNT:topic/sensors/room1/temp``,
IAM wildcards allowed); a topic rule listens to a topic filter in its SQL
(``SELECT * FROM 'sensors/+/temp'``, MQTT wildcards ``+`` for one level and ``#`` for the
rest). A literal topic that a filter matches is a certain edge; a topic with an IAM wildcard or
a value known only at deploy time (a parameter, a policy variable) may reach the rule: weak.
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from typing import Literal

from iacscan.resolve.values import with_placeholders

Match = Literal["strong", "weak"]

_TOPIC_ARN = re.compile(r"^arn:[^:]*:iot:[^:]*:[^:]*:topic/(.*)$", re.DOTALL)
_FROM = re.compile(r"\bFROM\s+'([^']*)'", re.IGNORECASE)
_PLACE = re.compile(r"\x00\d+\x00|\$\{[^}]*\}")  # a deploy-time value or a policy variable


def published_topic(text: str) -> str | None:
    """The topic an IAM resource names (``*`` for any), IAM wildcards kept and every value
    known only at deploy time as ``*``; None when it names no IoT topic."""
    if text.strip() == "*":
        return "*"
    flat, _ = with_placeholders(text)
    m = _TOPIC_ARN.match(flat.strip())
    if m is None:
        return None
    return _PLACE.sub("*", m.group(1))


def topic_filter(sql: str) -> tuple[str, bool] | None:
    """The topic filter of a topic rule's SQL, and whether all of it is known before deploy
    time (a deploy-time part stands as ``+``, one level)."""
    flat, _ = with_placeholders(sql)
    m = _FROM.search(flat)
    if m is None:
        return None
    found, n = _PLACE.subn("+", m.group(1))
    return found, n == 0


def reaches(topic: str, filter_: str, known: bool = True) -> Match | None:
    """Whether a publish to ``topic`` (IAM wildcards ``*``/``?`` may span levels) can be
    delivered to a rule on ``filter_`` (MQTT wildcards; ``known``: no part of it is known only
    at deploy time)."""
    sure = known and "*" not in topic and "?" not in topic
    levels = topic.split("/")
    for i, want in enumerate(filter_.split("/")):
        if want == "#":
            return "strong" if sure else "weak"
        if i >= len(levels):
            return None
        level = levels[i]
        if "*" in level or "?" in level:
            # the wildcard may span the remaining levels: the filter's level must fit the
            # literal text before it
            head = re.split(r"[*?]", level, maxsplit=1)[0]
            if want == "+" or want.startswith(head) or fnmatchcase(want, level):
                return "weak"
            return None
        if want != "+" and want != level:
            return None
    if len(levels) == len(filter_.split("/")):
        return "strong" if sure else "weak"
    return None
