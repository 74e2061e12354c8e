"""What resolving costs, apart from what it means (hostile templates stay linear)."""

from __future__ import annotations

from collections.abc import Callable

from iacscan.resolve.values import Unknown

MAX_STEPS = 1_000_000  # one top-level resolve() visits at most this many values


class Meter:
    """What resolving costs, kept apart from what it means: steps per top-level value and for the
    whole scope. Past a bound the value is an Unknown and ``exhausted`` says which bound, once.

    ``more`` is the part of the scope's budget that takes a walk over the templates to know: it
    is called once, the first time ``budget`` alone is spent (almost no template gets there, so
    almost no run pays for the walk; the bound is the same either way)."""

    def __init__(self, budget: int, more: Callable[[], int] | None = None) -> None:
        self.budget = budget
        self._more = more
        self.spent = 0
        self.steps = 0
        self.top_stack = ""
        self.exhausted: tuple[str, str] | None = None

    def start(self, stack: str) -> None:
        self.steps = 0
        self.top_stack = stack

    def charge(self, steps: int) -> Unknown | None:
        self.steps += steps
        self.spent += steps
        if self.steps > MAX_STEPS:
            return self.over(f"a value needs more than {MAX_STEPS:,} steps to resolve")
        if self.spent > self.budget and self._more is not None:
            self.budget += self._more()
            self._more = None
        if self.spent > self.budget:
            return self.over(
                f"resolving the templates took more than {self.budget:,} steps "
                "(references that amplify each other)"
            )
        return None

    def over(self, reason: str) -> Unknown:
        if self.exhausted is None:
            self.exhausted = (reason, self.top_stack)
        return Unknown(reason)
