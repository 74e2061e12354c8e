"""The one walker over nested template values (mappings, lists), iterative and bounded.

Template values can be deep and wide (hostile input): never recurse. Used by every layer, so it
imports nothing of ours.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

_SCALARS = (str, int, float, type(None))  # never Mappings: the most common values


def walk(
    root: Any,
    *,
    descend: Callable[[Any], bool] | None = None,
    children: Callable[[Any], Iterable[Any]] | None = None,
    limit: int | None = None,
) -> Iterator[Any]:
    """Every value in ``root``, itself included, depth-first (last child first).

    ``descend(item)`` False keeps the walk out of an item it has yielded; ``children(item)`` gives
    the children of values that are neither mappings nor lists (the options of an unknown
    value); ``limit`` stops after that many values.
    """
    pending = [root]
    seen = 0
    while pending:
        if limit is not None and seen >= limit:
            return
        seen += 1
        item = pending.pop()
        yield item
        if descend is not None and not descend(item):
            continue
        # dict first, and no Mapping test for the scalars: an ABC check costs a Python call
        if isinstance(item, dict) or (not isinstance(item, _SCALARS) and isinstance(item, Mapping)):
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
        elif children is not None:
            pending.extend(children(item))
