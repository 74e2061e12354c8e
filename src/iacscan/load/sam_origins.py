"""After the SAM translator: which SAM resource produced each resource, and line marks kept.

Every SAM resource is tagged with ``Metadata: {iacscan:SamResourceId: <logical id>}`` before the
translator runs (``passthrough_metadata`` copies it onto what it generates); the tag is removed
again afterwards. Resources made without it (connectors, implicit APIs, CodeDeploy) are matched by
logical-id prefix or by the SAM feature that makes them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from iacscan.model import line_of

MARKER = "iacscan:SamResourceId"
SAM_PREFIX = "AWS::Serverless::"
CONNECTOR = "AWS::Serverless::Connector"
FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Serverless::StateMachine")
_ID_IN_MESSAGE = re.compile(r"(Resource|Event) with id \[([^\]]+)\]")


def mark_sources(resources: Mapping[str, Any]) -> None:
    """Tag each SAM resource (except connectors, whose own metadata SAM keeps) with its id."""
    for lid, body in resources.items():
        if not isinstance(body, dict):
            continue
        rtype = body.get("Type")
        if not isinstance(rtype, str) or not rtype.startswith(SAM_PREFIX) or rtype == CONNECTOR:
            continue
        meta = body.get("Metadata")
        if meta is None:
            body["Metadata"] = {MARKER: lid}
        elif isinstance(meta, dict):
            meta[MARKER] = lid


def take_marker(body: dict[str, Any], original: Mapping[str, Any]) -> str | None:
    """Remove the tag from a generated resource; the SAM logical id it named, if any."""
    meta = body.get("Metadata")
    if not isinstance(meta, dict) or MARKER not in meta:
        return None
    source = meta.pop(MARKER)
    user_body = original.get(source)
    if not meta and not (isinstance(user_body, Mapping) and "Metadata" in user_body):
        del body["Metadata"]
    return source if isinstance(source, str) else None


class OriginFinder:
    """Finds the user's resource behind a generated one that carries no tag."""

    def __init__(self, original: Mapping[str, Any]) -> None:
        self.original = original
        sources = [
            lid
            for lid, body in original.items()
            if isinstance(body, Mapping) and (_is_sam(body.get("Type")) or "Connectors" in body)
        ]
        self.prefixes = sorted(sources, key=len, reverse=True)
        self.implicit_rest = self._first(lambda body: _has_event(body, "Api", "RestApiId"))
        self.implicit_http = self._first(lambda body: _has_event(body, "HttpApi", "ApiId"))
        self.deployment = self._first(lambda body: "DeploymentPreference" in _props(body))
        self.usage_plan = self._first(
            lambda body: (
                body.get("Type") == "AWS::Serverless::Api"
                and isinstance(_props(body).get("Auth"), Mapping)
                and "UsagePlan" in _props(body)["Auth"]
            )
        )

    def _first(self, test: Callable[[Mapping[str, Any]], bool]) -> str | None:
        for lid, body in self.original.items():
            if isinstance(body, Mapping) and test(body):
                return str(lid)
        return None

    def origin(self, lid: str) -> str | None:
        if lid.startswith("ServerlessRestApi"):
            return self.implicit_rest
        if lid.startswith("ServerlessHttpApi"):
            return self.implicit_http
        if lid in ("ServerlessDeploymentApplication", "CodeDeployServiceRole"):
            return self.deployment or self._first(lambda b: b.get("Type") in FUNCTION_TYPES)
        if lid.startswith(("ServerlessUsagePlan", "ServerlessApiKey")):
            return self.usage_plan
        for prefix in self.prefixes:
            if lid.startswith(prefix):
                return str(prefix)
        return None


def _is_sam(rtype: object) -> bool:
    return isinstance(rtype, str) and rtype.startswith(SAM_PREFIX)


def _props(body: Mapping[str, Any]) -> Mapping[str, Any]:
    props = body.get("Properties")
    return props if isinstance(props, Mapping) else {}


def _events(body: Mapping[str, Any]) -> Iterator[tuple[Any, Mapping[str, Any]]]:
    events = _props(body).get("Events")
    if isinstance(events, Mapping):
        for name, event in events.items():
            if isinstance(event, Mapping):
                yield name, event


def _has_event(body: Mapping[str, Any], event_type: str, api_key: str) -> bool:
    if body.get("Type") not in FUNCTION_TYPES:
        return False
    for _, event in _events(body):
        props = event.get("Properties")
        if event.get("Type") == event_type and not (
            isinstance(props, Mapping) and api_key in props
        ):
            return True
    return False


def event_owner(original: Mapping[str, Any], event_id: str) -> str | None:
    """The function or state machine that declares an event of that name."""
    for lid, body in original.items():
        if isinstance(body, Mapping) and any(str(n) == event_id for n, _ in _events(body)):
            return str(lid)
    return None


def error_line(messages: list[str], original: Mapping[str, Any]) -> int | None:
    """The line of the first SAM resource the translator's messages name."""
    finder = OriginFinder(original)
    for message in messages:
        for kind, ident in _ID_IN_MESSAGE.findall(message):
            if ident in original:
                owner: str | None = ident
            elif kind == "Event":
                owner = event_owner(original, ident)
            else:  # a resource SAM generates (FunctionEvent...): its SAM resource
                owner = finder.origin(ident)
            body = original.get(owner) if owner else None
            if body is None:
                continue
            line = line_of(body) or line_of(_key_in(original, owner))
            if line:
                return line
    return None


def _key_in(mapping: Mapping[str, Any], key: object) -> object:
    for k in mapping:
        if k == key:
            return k
    return key


# --------------------------------------------------------------------------- keeping line marks


def same(new: Any, old: Any) -> bool:
    """Equal values (the translator's plain one and the user's decoded one), bools kept apart."""
    if isinstance(new, dict):
        return (
            isinstance(old, Mapping)
            and len(new) == len(old)
            and all(k in old and same(v, old[k]) for k, v in new.items())
        )
    if isinstance(new, list):
        return (
            isinstance(old, list)
            and len(new) == len(old)
            and all(same(a, b) for a, b in zip(new, old, strict=True))
        )
    if isinstance(new, bool) or isinstance(old, bool):
        return isinstance(new, bool) and isinstance(old, bool) and new == old
    if isinstance(old, Mapping | list):
        return False
    return bool(new == old)


def graft(new: Any, old: Any) -> Any:
    """``new`` with every part that equals the user's value replaced by the user's decoded value.

    The decoded values carry ``start_mark`` (line numbers); containers that changed keep the
    mark of the user's container they replace.
    """
    if old is None:
        return new
    if same(new, old):
        return old
    if isinstance(new, dict) and isinstance(old, Mapping):
        keys = {k: k for k in old}
        merged = {keys.get(k, k): graft(v, old[k]) if k in old else v for k, v in new.items()}
        return _with_marks(merged, old)
    if isinstance(new, list) and isinstance(old, list) and len(new) == len(old):
        return _with_marks([graft(a, b) for a, b in zip(new, old, strict=True)], old)
    return new


def _with_marks(value: dict[Any, Any] | list[Any], old: object) -> Any:
    start, end = getattr(old, "start_mark", None), getattr(old, "end_mark", None)
    if start is None:
        return value
    from iacscan.load.fast_decode import DictNode as dict_node
    from iacscan.load.fast_decode import ListNode as list_node

    if isinstance(value, dict):
        return dict_node(value, start, end)
    return list_node(value, start, end)
