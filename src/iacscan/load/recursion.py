"""The interpreter's recursion limit, raised while the YAML decoder or the SAM translator runs
and put back when the last of them is done.

The limit is one for the whole process, and ``iacscan diff`` loads two CDK sides in two
threads (``load/sides.py``): a thread that put back the limit it had found when it started
would lower it under the other thread, still decoding or translating (which then fails with
a recursion error, or its decoder sizes its nesting budget on the lowered limit).
"""

from __future__ import annotations

import sys
import threading

RAISED_LIMIT = 4000

_lock = threading.Lock()
_holders = 0  # callers between ``hold`` and ``release``, all threads together
_restore = 0  # the limit found by the first of them


def hold(limit: int = RAISED_LIMIT) -> None:
    """Raise the limit to at least ``limit`` until the matching ``release``."""
    global _holders, _restore
    with _lock:
        if _holders == 0:
            _restore = sys.getrecursionlimit()
        _holders += 1
        if sys.getrecursionlimit() < limit:
            sys.setrecursionlimit(limit)


def release() -> None:
    """End a ``hold``; the last one puts back the limit the first one found."""
    global _holders
    with _lock:
        _holders -= 1
        if _holders == 0:
            sys.setrecursionlimit(_restore)
