"""A streamed chunk's reasoning, read from its standard content blocks. Taught in chapter 01.

A reasoning model thinks before it answers, and OpenAI streams a summary of that
thinking (when asked: `reasoning={"summary": "auto"}`) before the answer, only
through the Responses API (`ChatOpenAI(use_responses_api=True)`). LangChain 1.x
gives every chunk `content_blocks`, the same shape from every provider: a
`reasoning` block carries a piece of it under `"reasoning"`, a `text` block a
piece of the answer. Reading the blocks, not `.content` (a list of OpenAI's own
dicts on the Responses API) nor `additional_kwargs` (where older LangChain and
some providers put it), works for every provider LangChain translates.

Some reasoning blocks carry no text: the one that opens a reasoning item has only
its `id`, so the text is read with `.get`.
"""

from __future__ import annotations

from langchain_core.messages import BaseMessage


def reasoning_text(message: BaseMessage) -> str:
    """The reasoning a chunk (or message) carries, as text; "" when it carries none (a tool's message too)."""
    if message.type not in ("ai", "AIMessageChunk"):
        return ""
    if isinstance(message.content, str) and not message.additional_kwargs:
        # Text alone (Chat Completions): reasoning comes as a list of blocks or, from some providers, in
        # additional_kwargs. Translating every token's blocks would cost a few µs per token for nothing.
        return ""
    return "".join(block.get("reasoning", "") for block in message.content_blocks if block["type"] == "reasoning")
