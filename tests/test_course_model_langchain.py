"""The course model through LangChain: `ChatOpenAI`, `astream`, `bind_tools`, and the agent end to end."""

from __future__ import annotations

import math

import pytest
from langchain_core.messages import AIMessageChunk

from helpers.agent_executor import AgentExecutor
from helpers.tools import MATH_TOOLS, TOOLS


async def test_astream_prints_a_pipe_separated_stream(make_llm, capsys):
    llm = make_llm()
    async for chunk in llm.astream("What is NLP?"):
        print(chunk.content, end="|", flush=True)
    printed = capsys.readouterr().out
    pieces = printed.split("|")
    assert len(pieces) > 20
    assert "Natural" in printed and " language" in pieces


async def test_chunks_merge_into_the_full_message(make_llm):
    llm = make_llm()
    chunks = [chunk async for chunk in llm.astream("What is streaming?")]
    assert all(isinstance(chunk, AIMessageChunk) for chunk in chunks)
    assert chunks[0].content == ""  # the first chunk only carries the role
    merged = sum(chunks[1:], chunks[0])
    assert merged.content == llm.invoke("What is streaming?").content
    assert merged.response_metadata["finish_reason"] == "stop"
    assert merged.usage_metadata["output_tokens"] == len([c for c in chunks if c.content])


async def test_tool_call_chunks_merge_into_the_right_tool_calls(make_llm):
    llm = make_llm().bind_tools(TOOLS, tool_choice="any")
    merged = None
    fragments = 0
    async for chunk in llm.astream("What is 10.7 multiplied by 7.68?"):
        fragments += len(chunk.tool_call_chunks)
        merged = chunk if merged is None else merged + chunk
    assert fragments > 5
    assert [(call["name"], call["args"]) for call in merged.tool_calls] == [("multiply", {"x": 10.7, "y": 7.68})]
    assert merged.tool_calls[0]["id"].startswith("call_")


def test_tool_choice_any_is_sent_as_required(make_llm):
    llm = make_llm().bind_tools(TOOLS, tool_choice="any")
    assert llm.kwargs["tool_choice"] == "required"
    message = llm.invoke("Hello there!")
    assert message.tool_calls[0]["name"] == "final_answer"


# --- arithmetic, end to end: course model + ChatOpenAI + the course's tools + the executor -----

# (question, value, the tool calls the agent makes, in order). One call per operation, in the order the
# expression is evaluated (parentheses, then powers, products, sums; calls that do not wait on each other come
# in one step, left to right). The tools have no divide: "a / b" is exponentiate(b, -1), then multiply by a.
ARITHMETIC = [
    ("What is 10 + 10?", 10 + 10, "add"),
    ("What is 10 plus 10?", 10 + 10, "add"),
    ("What is 7 minus 12?", 7 - 12, "subtract"),
    ("What is 100 - 58?", 100 - 58, "subtract"),
    ("What is 6 times 7?", 6 * 7, "multiply"),
    ("What is 10.7 multiplied by 7.68?", 10.7 * 7.68, "multiply"),
    ("What is 3 * 4 * 5?", 3 * 4 * 5, "multiply multiply"),
    ("What is 2 to the power of 10?", 2**10, "exponentiate"),
    ("What is 5 + 5 squared?", 5 + 5**2, "exponentiate add"),
    ("What is 3 cubed?", 3**3, "exponentiate"),
    ("What is (2 + 3) * (4 + 5)?", (2 + 3) * (4 + 5), "add add multiply"),
    ("What is 2 + 3 * 4?", 2 + 3 * 4, "multiply add"),
    ("What is (2 + 3) * 4?", (2 + 3) * 4, "add multiply"),
    ("What is 10 - 3 - 2?", 10 - 3 - 2, "subtract subtract"),
    ("What is 10 - (3 - 2)?", 10 - (3 - 2), "subtract subtract"),
    ("What is 2 ** 3 ** 2?", 2**3**2, "exponentiate exponentiate"),
    ("What is 2 ^ 8?", 2**8, "exponentiate"),
    ("What is 1.5 + 2.25?", 1.5 + 2.25, "add"),
    ("What is -4 + 10?", -4 + 10, "add"),
    ("What is 9 + 10?", 9 + 10, "add"),
    ("What is 100 divided by 8?", 100 / 8, "exponentiate multiply"),
    ("What is 7 / 2?", 7 / 2, "exponentiate multiply"),
    ("What is 1 / 3?", 1 / 3, "exponentiate multiply"),
    ("What is 50 / 5 / 2?", 50 / 5 / 2, "exponentiate exponentiate multiply multiply"),
    ("What is (10 + 2) / 4?", (10 + 2) / 4, "add exponentiate multiply"),
    ("Calculate 12 * 12 - 44.", 12 * 12 - 44, "multiply subtract"),
    ("what's 4 squared plus 3 squared?", 4**2 + 3**2, "exponentiate exponentiate add"),
    ("What is 0.1 + 0.2?", 0.1 + 0.2, "add"),
    ("What is 1000 * 0.075?", 1000 * 0.075, "multiply"),
    ("What is 2 * (3 + 4) * 5?", 2 * (3 + 4) * 5, "add multiply multiply"),
    ("What is ((1 + 2) * 3 - 4) ** 2?", ((1 + 2) * 3 - 4) ** 2, "add multiply subtract exponentiate"),
    ("What is 5 - 10 + 3?", 5 - 10 + 3, "subtract add"),
    ("What is 81 to the power of 0.5?", 81**0.5, "exponentiate"),
    ("What is 2 to the power of -2?", 2**-2, "exponentiate"),
    ("What is 12.5 times 4 minus 20?", 12.5 * 4 - 20, "multiply subtract"),
    ("What is 3 plus 4 times 5 minus 6?", 3 + 4 * 5 - 6, "multiply add subtract"),
    ("What is (3 + 4) times (5 - 6)?", (3 + 4) * (5 - 6), "add subtract multiply"),
    ("What is 6 x 7?", 6 * 7, "multiply"),
    ("What is 1 + 2 + 3 + 4 + 5?", 1 + 2 + 3 + 4 + 5, "add add add add"),
    ("What is 99 * 99 - 1?", 99 * 99 - 1, "multiply subtract"),
    ("What is 15 divided by 4 times 2?", 15 / 4 * 2, "exponentiate multiply multiply"),
    ("What is 2 multiplied by 3 to the power of 2?", 2 * 3**2, "exponentiate multiply"),
    ("Add 5 to 3", 3 + 5, "add"),
    ("Subtract 4 from 10", 10 - 4, "subtract"),
]


def last_number(text: str) -> float:
    import re

    numbers = re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", text)
    assert numbers, f"no number in the answer {text!r}"
    return float(numbers[-1])


@pytest.mark.parametrize("question, expected, calls", ARITHMETIC, ids=[q for q, _, _ in ARITHMETIC])
def test_arithmetic_end_to_end(make_llm, question, expected, calls):
    executor = AgentExecutor(make_llm(), TOOLS, max_iterations=8)
    result = executor.invoke(question)
    assert result.finished, result.answer
    assert math.isclose(last_number(result.answer), expected, rel_tol=1e-9, abs_tol=1e-9), result.answer
    made = [call["name"] for message in result.scratchpad for call in getattr(message, "tool_calls", [])]
    assert made == [*calls.split(), "final_answer"], made
    assert result.tools_used == list(dict.fromkeys(calls.split())), "final_answer names each tool used, once"


def test_arithmetic_table_is_large_enough():
    assert len(ARITHMETIC) >= 40


def test_the_simple_executor_answers_follow_ups_from_history(make_llm):
    executor = AgentExecutor(make_llm())
    first = executor.invoke("What is 10 + 10?")
    second = executor.invoke("And what is that multiplied by 3?")
    assert "20" in first.answer and "60" in second.answer
    assert [m.type for m in executor.chat_history] == ["human", "ai", "human", "ai"]


def test_subtract_is_called_as_the_course_defines_it(make_llm):
    executor = AgentExecutor(make_llm())
    result = executor.invoke("What is 10 minus 3?")
    call = result.scratchpad[0].tool_calls[0]
    assert (call["name"], call["args"]) == ("subtract", {"x": 3, "y": 10})  # subtract(x, y) = y - x
    assert "7" in result.answer


def test_determinism_across_runs(make_llm):
    first = AgentExecutor(make_llm()).invoke("What is (2 + 3) * (4 + 5)?")
    second = AgentExecutor(make_llm()).invoke("What is (2 + 3) * (4 + 5)?")
    assert first.answer == second.answer
    # Message ids are LangChain's run ids, new for every run; everything the model said is identical.
    assert [m.model_dump(exclude={"id"}) for m in first.scratchpad] == [
        m.model_dump(exclude={"id"}) for m in second.scratchpad
    ]
