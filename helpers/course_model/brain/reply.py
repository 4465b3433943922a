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
class Reply:
    """Either some text or one or more tool calls (parallel when more than one)."""

    text: str | None = None
    tool_calls: tuple[ToolCall, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if (self.text is None) == (not self.tool_calls):
            raise ValueError("a Reply holds either text or tool calls, not both or neither")
