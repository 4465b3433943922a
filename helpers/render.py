"""Turn an agent's raw stream into readable text, as it arrives. Taught in chapter 03.

The stream is a mix of `AIMessageChunk`s (text tokens or tool-call fragments)
and `STEP_END` markers. `StreamRenderer.feed(item)` returns the text to show for
each item, so a caller can print it, or append it to a live display:

    Calling add... {"x":10,"y":10}
    Answer: 10 + 10 is 20.

Tool calls show their name once and then their arguments as they stream; the
`final_answer` call shows only its `answer`, read out of the partial JSON
arguments token by token, because that is the part meant for the reader
(`FieldReader` reads it in one pass; see `helpers/answer_reader.py`).
"""

from __future__ import annotations

from langchain_core.messages import AIMessageChunk

from .answer_reader import FieldReader
from .queue_handler import FINAL_ANSWER_TOOL, STEP_END


class StreamRenderer:
    """Readable text for each streamed item; keeps just enough state to follow tool calls."""

    def __init__(self) -> None:
        self.text = ""  # everything rendered so far
        self._tool: str | None = None
        self._index: int | None = None
        self._answer = FieldReader("answer")

    def feed(self, item: AIMessageChunk | str) -> str:
        """The text to show for `item` (possibly empty); also appended to `self.text`."""
        if isinstance(item, str):
            piece = "\n" if item == STEP_END else ""
            self._tool = self._index = None
        else:
            piece = "".join(self._tool_piece(call) for call in item.tool_call_chunks)
            piece += item.text
        self.text += piece
        return piece

    def _tool_piece(self, call: dict) -> str:
        piece = ""
        if call.get("name") or call.get("index") != self._index:
            piece += self._start_call(call)
        arguments = call.get("args") or ""
        if self._tool != FINAL_ANSWER_TOOL:
            return piece + arguments
        return piece + self._answer.feed(arguments)

    def _start_call(self, call: dict) -> str:
        new_line = "\n" if self._index is not None else ""
        self._index = call.get("index")
        self._tool = call.get("name") or self._tool
        self._answer = FieldReader("answer")
        if self._tool == FINAL_ANSWER_TOOL:
            return f"{new_line}Answer: "
        return f"{new_line}Calling {self._tool}... "

