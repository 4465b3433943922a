"""What the course model decided to say, before it is turned into OpenAI wire format.

The brain (`brain.py`) returns a `Reply`; the server (`server.py`) turns it into
tokens, SSE events or a `chat.completion` object. Keeping the two apart means the
brain can be tested without HTTP and the wire format without arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ToolCall:
    """One function call the model asks the client to run."""

    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Thought:
    """What the brain planned, beyond what the reply shows: an arithmetic plan (its expression, its tool steps
    in order, `add(4, 5)`, `multiply(3, <step 1>)`, and how many the conversation has done), or the tool and
    argument a question lacks.

    Only `reasoning.py` reads it, to say honestly why the reply is what it is; the wire formats ignore it.
    """

    expression: str | None = None
    steps: tuple[str, ...] = ()
    done: int = 0
    missing: tuple[str, str] | None = None  # (tool, parameter) when the question lacks a required argument


@dataclass(frozen=True)
class Reply:
    """Either some text or one or more tool calls (parallel when more than one)."""

    text: str | None = None
    tool_calls: tuple[ToolCall, ...] = field(default_factory=tuple)
    thought: Thought | None = field(default=None, compare=False)  # what the brain planned, for reasoning.py

    def __post_init__(self) -> None:
        if (self.text is None) == (not self.tool_calls):
            raise ValueError("a Reply holds either text or tool calls, not both or neither")
