"""The scripted agent runs behind chapters 03 and 04's checks stream like `ChatOpenAI`, and what the checks
ask of the learner holds on `ChatOpenAI` too.

The checks never call the chapter's model (`helpers.checks.scripted_agent` plays
a random plan instead), so two things need proving against the real client on
the course model: a scripted step has the shape of a streamed OpenAI tool-call
step, and the official solution of chapter 03's counting exercise (a number per
`on_chat_model_start`) counts a `ChatOpenAI` run's chunks right.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from langchain_core.messages import AIMessageChunk

from helpers.agent import build_agent
from helpers.checks.scripted_agent import tool_call_script
from helpers.queue_handler import STEP_END, QueueCallbackHandler
from helpers.streaming_executor import StreamingAgentExecutor
from helpers.tools import TOOLS

SOLUTIONS_03 = Path(__file__).resolve().parent.parent / "helpers" / "solutions" / "03-queue-streamed-agent.py"


def shape(chunks: list[AIMessageChunk]) -> list[tuple]:
    """What a step's chunks carry, in order, with runs of argument pieces collapsed into one entry."""
    kinds: list[tuple] = []
    for chunk in chunks:
        if chunk.tool_call_chunks:
            piece = chunk.tool_call_chunks[0]
            kind = ("call", piece["index"], piece["name"]) if piece.get("name") else ("arguments", piece["index"])
        elif chunk.response_metadata.get("finish_reason"):
            kind = ("finish", chunk.response_metadata["finish_reason"])
        elif chunk.usage_metadata:
            kind = ("usage",)
        elif chunk.chunk_position == "last":
            kind = ("last",)
        else:
            kind = ("other", chunk.text)
        if not (kinds and kind == kinds[-1] and kind[0] == "arguments"):
            kinds.append(kind)
    return kinds


async def test_a_scripted_step_streams_like_chatopenai_on_the_course_model(make_llm):
    inputs = {"input": "What is (2 + 3) * (4 + 5)?", "chat_history": [], "agent_scratchpad": []}
    real = [chunk async for chunk in build_agent(make_llm(), TOOLS).astream(inputs)]
    scripted = tool_call_script([("add", {"x": 2, "y": 3}), ("add", {"x": 4, "y": 5})], random.Random())
    assert shape(scripted) == shape(real) == [
        ("call", 0, "add"), ("arguments", 0), ("call", 1, "add"), ("arguments", 1),
        ("finish", "tool_calls"), ("usage",), ("last",),
    ]
    merged = scripted[0]
    for chunk in scripted[1:]:
        merged += chunk
    assert [(call["name"], call["args"]) for call in merged.tool_calls] == [
        (call["name"], call["args"]) for call in sum(real[1:], real[0]).tool_calls]


def solution(name: str) -> str:
    text = SOLUTIONS_03.read_text()
    return re.search(rf"^# %% exercise: {name}\n(.*?)(?=^# %% exercise:|\Z)", text, re.S | re.M)[1]


async def test_the_counting_solution_counts_a_chatopenai_run_per_model_call(make_llm):
    names = {"QueueCallbackHandler": QueueCallbackHandler}
    exec(solution("count-per-step"), names)
    rng = random.Random()
    a, b, c = rng.randint(2, 60), rng.randint(2, 60), rng.randint(2, 9)
    handler = names["CountingHandler"]()
    received = [0]
    async with StreamingAgentExecutor(make_llm()).stream(f"What is ({a} + {b}) * {c}?", handler) as run:
        async for item in run:
            if item == STEP_END:
                # the steps so far are counted when their STEP_END arrives (the next call may have begun)
                assert handler.counts[:len(received)] == received
                received.append(0)
            else:
                received[-1] += 1
    assert run.result.steps == 3 and len(received) == 3
    assert handler.counts == received  # on_chat_model_start came once per ChatOpenAI call, before its chunks
