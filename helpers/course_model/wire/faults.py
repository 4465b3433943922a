"""Test-only faults: ways to make the course model misbehave on purpose.

The streaming helpers must end cleanly when the model server fails, so the tests
need a server that fails on demand, in the real wire path rather than in mocks.
A server started with `allow_faults=True` reads one fault from the request header
`X-Course-Model-Fault`; the in-process server learners use never does.

    status=500          answer with that HTTP error status instead of a completion
    drop-after=3        stream 3 tokens, then drop the connection mid-stream
    fail-after=3        stream 3 tokens, then report a server error in the stream (Chat Completions: an
                        `error` chunk; Responses: an `error` event, then `response.failed`), as OpenAI does
    delay=0.5           wait this many seconds before every token (slow model)
    tool=no_such_tool   call this tool name instead of the one the model chose
    arguments={"x":     send these raw (possibly malformed) tool arguments instead

Append `@N` to apply the fault only on turn N of the current question (turn 0 is
the first model call after the user's message, turn 1 follows the first tool
results, ...), for example `status=500@1` fails the agent's second step.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any, Iterator

from .completion import Completion, PlannedCall, argument_fragments
from .errors import ApiError, bad_request

HEADER = "X-Course-Model-Fault"
_FAULT = re.compile(r"^(?P<kind>status|drop-after|fail-after|delay|tool|arguments)=(?P<value>.+?)(?:@(?P<turn>\d+))?$")


@dataclass(frozen=True)
class Fault:
    kind: str
    value: str
    turn: int | None = None

    def applies_to(self, messages: list[dict[str, Any]]) -> bool:
        return self.turn is None or self.turn == current_turn(messages)


def parse_fault(header: str | None) -> Fault | None:
    """Read the fault header; a malformed one is a 400, so a typo in a test fails loudly."""
    if not header:
        return None
    match = _FAULT.match(header.strip())
    if not match:
        raise bad_request(f"Unknown {HEADER} value: {header!r}.", HEADER)
    turn = match.group("turn")
    fault = Fault(match.group("kind"), match.group("value"), int(turn) if turn is not None else None)
    if fault.kind in ("status", "drop-after", "fail-after") and not (fault.value.isascii() and fault.value.isdigit()):
        raise bad_request(f"{HEADER} {fault.kind} needs a whole number, got {fault.value!r}.", HEADER)
    if fault.kind == "status" and not 400 <= int(fault.value) <= 599:
        raise bad_request(f"{HEADER} status must be an HTTP error status (400-599), got {fault.value}.", HEADER)
    if fault.kind == "delay" and not _is_delay(fault.value):
        raise bad_request(f"{HEADER} delay needs a number of seconds between 0 and 10, got {fault.value!r}.", HEADER)
    return fault


def _is_delay(value: str) -> bool:
    try:
        return 0 <= float(value) <= 10
    except ValueError:
        return False


def current_turn(messages: list[dict[str, Any]]) -> int:
    """How many assistant turns have happened since the last user message."""
    turn = 0
    for message in reversed(messages):
        if message.get("role") == "user":
            break
        if message.get("role") == "assistant":
            turn += 1
    return turn


def raise_status(fault: Fault) -> None:
    """Raise the injected HTTP error, typed the way OpenAI types it."""
    status = int(fault.value)
    kinds = {429: ("rate_limit_exceeded", "requests"), 500: ("server_error", None), 503: ("server_error", None)}
    error_type, code = kinds.get(status, ("server_error", None))
    raise ApiError(status, f"Injected fault: the course model answered {status} on purpose.", type=error_type, code=code)


def rewrite_calls(fault: Fault, completion: Completion) -> Completion:
    """Apply a `tool=` or `arguments=` fault to the first tool call of `completion`."""
    if fault.kind not in ("tool", "arguments"):
        return completion
    calls = list(completion.calls) or [PlannedCall("call_injected_fault", "final_answer", ())]
    first = calls[0]
    if fault.kind == "tool":
        first = dataclasses.replace(first, name=fault.value)
    else:
        first = dataclasses.replace(first, fragments=tuple(argument_fragments(fault.value)))
    calls[0] = first
    return dataclasses.replace(completion, calls=tuple(calls), tokens=(), finish_reason="tool_calls")


FAILURE_MESSAGE = "Injected fault: the course model failed mid-stream on purpose."


def fail_chunks(chunks: Iterator[tuple[dict[str, Any], bool]], tokens: int) -> Iterator[tuple[dict[str, Any], bool]]:
    """A `fail-after` fault on a Chat Completions stream: `tokens` tokens, then OpenAI's in-stream error chunk."""
    for chunk, is_token in chunks:
        if is_token:
            if tokens == 0:
                yield {"error": {"message": FAILURE_MESSAGE, "type": "server_error", "param": None,
                                 "code": "server_error"}}, False
                return
            tokens -= 1
        yield chunk, is_token
