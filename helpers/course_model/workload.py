"""How much work one request may make the course model do: characters built, seconds spent, a client still there.

A few hundred bytes of schema can ask for a 100 MB answer (`minLength` 10,000 in
arrays of arrays of 100 items). A real model never builds that: it writes tokens
until `max_tokens` or its own cap (16,384 for gpt-4o and gpt-4.1-mini) and stops
with `finish_reason` "length". The course model does the same (`completion.py`
cuts the answer at the cap) and, so that nothing it cannot send is built first,
the code that invents values (`plausible.py`) takes its characters from a
per-request `Budget`: just enough to fill the longest answer, then no more.

The budget also ends planning that runs too long (`TooMuchWork`, a clear 400) and
work for a client that hung up (`ClientGone`, which `app.py` sets from the
connection). Used by `brain.py`, `plausible.py` and `app.py`; the course model is
taught in chapter 01.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Iterator

MAX_OUTPUT_TOKENS = 16_384  # a real model's cap on one answer (gpt-4o, gpt-4.1-mini); max_tokens beyond is a 400
MAX_TOKEN_CHARS = 32  # the longest token the course model sends: "get_current_weather" stays one fragment
# Enough characters that an answer built from them always has more than MAX_OUTPUT_TOKENS tokens,
# so it is cut at the cap ("length") rather than ending early as if it were complete.
MAX_BUILT_CHARS = MAX_OUTPUT_TOKENS * MAX_TOKEN_CHARS + 1
PLANNING_SECONDS = 5.0  # of thinking for one answer; a normal one takes milliseconds


class WorkStopped(Exception):
    """The request's work was stopped before its answer was ready."""


class ClientGone(WorkStopped):
    """The client hung up: nobody would read the answer."""


class TooMuchWork(WorkStopped):
    """Planning the answer took longer than `PLANNING_SECONDS`: the request asks too much of the model."""


@dataclass
class Budget:
    """What is left of one request's work: characters to build, a deadline, and whether its client is still there."""

    chars: int = MAX_BUILT_CHARS
    seconds: float = PLANNING_SECONDS
    cancelled: threading.Event | None = None
    deadline: float = field(init=False)

    def __post_init__(self) -> None:
        self.deadline = time.monotonic() + self.seconds

    @property
    def exhausted(self) -> bool:
        """Whether nothing more may be built (the answer will be cut at the cap anyway)."""
        self.check()
        return self.chars <= 0

    def take(self, wanted: int) -> int:
        """Spend up to `wanted` characters; return how many may be built (0 once the budget is spent)."""
        self.check()
        granted = max(0, min(wanted, self.chars))
        self.chars -= max(wanted, 0)
        return granted

    def check(self) -> None:
        """Raise if the client has gone or the time is up."""
        if self.cancelled is not None and self.cancelled.is_set():
            raise ClientGone("the client hung up")
        if time.monotonic() > self.deadline:
            raise TooMuchWork(f"Planning this answer took more than {self.seconds:g} seconds, the course model's "
                              "limit for one answer: the request asks for more than a model would write.")


_CURRENT: ContextVar[Budget | None] = ContextVar("course_model_budget", default=None)


def current() -> Budget:
    """The budget of the request being worked on (a fresh one outside `bounded`, for direct calls)."""
    budget = _CURRENT.get()
    return budget if budget is not None else Budget()


@contextmanager
def bounded(*, cancelled: threading.Event | None = None, seconds: float = PLANNING_SECONDS,
            chars: int = MAX_BUILT_CHARS) -> Iterator[Budget]:
    """Work inside with one budget; a `bounded` already open (the server's, with its client) is kept."""
    outer = _CURRENT.get()
    if outer is not None:
        yield outer
        return
    budget = Budget(chars=chars, seconds=seconds, cancelled=cancelled)
    token = _CURRENT.set(budget)
    try:
        yield budget
    finally:
        _CURRENT.reset(token)
