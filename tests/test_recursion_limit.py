"""The recursion limit raised for the decoder and the SAM translator (load/recursion.py) stays
raised while any thread still needs it: ``iacscan diff`` loads two CDK sides in two threads."""

from __future__ import annotations

import sys
import threading
from typing import Any

import pytest

import iacscan.load.fast_decode as fast_decode
from iacscan.load.cfn import decode_text
from iacscan.load.recursion import RAISED_LIMIT, hold, release


@pytest.fixture(autouse=True)
def low_limit() -> Any:
    """A limit below the raised one, whatever ran before; the old one back after."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(1500)
    yield
    sys.setrecursionlimit(before)


def test_a_thread_that_finishes_first_does_not_lower_the_limit_under_another(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two decodes overlap: the first to start finishes first. The second must still run with
    the raised limit (it once got the limit the first had found), and the limit the first one
    found comes back when both are done."""
    original = sys.getrecursionlimit()
    inside = {name: threading.Event() for name in ("first", "second")}
    go = {name: threading.Event() for name in ("first", "second")}
    seen: dict[str, int] = {}
    real = fast_decode.decode_fast

    def held(text: str, duplicates: Any = None) -> Any:
        name = threading.current_thread().name
        inside[name].set()
        assert go[name].wait(10)
        seen[name] = sys.getrecursionlimit()
        return real(text, duplicates)

    monkeypatch.setattr(fast_decode, "decode_fast", held)
    threads = {
        name: threading.Thread(target=decode_text, args=("A: 1\n", "t.yaml"), name=name)
        for name in ("first", "second")
    }
    threads["first"].start()
    assert inside["first"].wait(10)
    threads["second"].start()
    assert inside["second"].wait(10)
    go["first"].set()
    threads["first"].join(10)
    go["second"].set()
    threads["second"].join(10)
    assert seen == {"first": RAISED_LIMIT, "second": RAISED_LIMIT}
    assert sys.getrecursionlimit() == original


def test_nested_holds_restore_the_limit_found_first() -> None:
    original = sys.getrecursionlimit()
    hold()
    hold()
    assert sys.getrecursionlimit() == RAISED_LIMIT
    release()
    assert sys.getrecursionlimit() == RAISED_LIMIT
    release()
    assert sys.getrecursionlimit() == original
