"""Chapter 06's `create_agent` agent (helpers/langchain_agent.py) on the course model.

The chapter's claim is that the same question renders the same text from chapter
03's executor and from the `create_agent` graph; these tests hold it to that, and
check that the graph stops at `final_answer` and stops running when its reader stops.
"""

from __future__ import annotations

import asyncio
from contextlib import aclosing

import pytest
from langchain_core.tools import StructuredTool

from helpers.langchain_agent import build_langchain_agent, stream_rendered, user_input
from helpers.render import StreamRenderer
from helpers.streaming_executor import StreamingAgentExecutor
from helpers.tools import MATH_TOOLS

QUESTIONS = ["What is 10 + 10?", "What is (2 + 3) * (4 + 5)?", "What is NLP?", "Hello!"]


@pytest.mark.parametrize("question", QUESTIONS)
async def test_renders_the_same_text_as_chapter_03(make_llm, question):
    llm = make_llm()
    renderer = StreamRenderer()
    async with StreamingAgentExecutor(llm).stream(question) as run:
        async for item in run:
            renderer.feed(item)
    pieces = [piece async for piece in stream_rendered(build_langchain_agent(llm), question)]
    assert pieces and all(pieces)
    assert "".join(pieces) == renderer.text


async def test_final_answer_ends_the_run(make_llm):
    state = await build_langchain_agent(make_llm()).ainvoke(user_input("What is 10 + 10?"))
    kinds = [(message.type, getattr(message, "name", None)) for message in state["messages"]]
    assert kinds[-1] == ("tool", "final_answer")  # no model call after the answer
    assert [kind for kind, _ in kinds].count("ai") == 2


async def test_a_reader_that_stops_stops_the_run(make_llm):
    ran = []

    def add(x: float, y: float) -> float:
        """Add 'x' and 'y'."""
        ran.append((x, y))
        return x + y

    tools = [StructuredTool.from_function(add), *MATH_TOOLS[1:]]
    agent = build_langchain_agent(make_llm(), tools)
    async with aclosing(stream_rendered(agent, "What is 10 + 10?")) as pieces:
        async for piece in pieces:
            assert piece.startswith("Calling add")
            break
    await asyncio.sleep(0.5)  # time enough for the tool to run, had the run gone on
    assert ran == []
