"""Shared helpers for extractors: iterate resources safely and read properties."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from iacscan.model import Resource
from iacscan.topology.context import ScanContext

Handler = Callable[[ScanContext, str, Resource], None]
# Tracebacks of extractor failures go here; `iacscan --debug` shows them.
log = logging.getLogger("iacscan.topology")


class ExtractorFailure(Exception):
    """A bug in an extractor while reading one resource; the rest of the analysis goes on."""

    def __init__(self, extractor: str, stack: str, resource: str, cause: BaseException):
        super().__init__(f"{extractor} failed on {resource}: {type(cause).__name__}: {cause}")
        self.extractor = extractor
        self.stack = stack
        self.resource = resource
        self.cause = cause


def each(ctx: ScanContext, extractor: str, types: tuple[str, ...], handler: Handler) -> None:
    """Run ``handler`` on every resource of ``types``; a crash on one is recorded, not raised."""
    for stack, res in list(ctx.resources(*types)):
        try:
            handler(ctx, stack, res)
        except Exception as err:  # an extractor bug must not lose the rest of the report
            failure = ExtractorFailure(extractor, stack, res.logical_id, err)
            log.debug("internal error: %s", failure, exc_info=err)
            ctx.failures.append(failure)


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def get(mapping: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(mapping, Mapping):
            return None
        mapping = mapping.get(key)
    return mapping
