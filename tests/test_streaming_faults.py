"""The fault table: every way a streamed agent run can go wrong ends the stream, promptly and cleanly.

Each case runs the real streaming executor against the course model (faults are
injected in the wire path with the test-only `X-Course-Model-Fault` header),
under a hard timeout, and then checks that no task is left pending.
"""

from __future__ import annotations

import asyncio
import gc
import logging

import openai
import pytest
from langchain_core.messages import AIMessageChunk, ToolMessage
from langchain_core.tools import StructuredTool

from helpers.queue_handler import DONE, STEP_END, QueueCallbackHandler, StreamCancelled
from helpers.streaming_executor import AgentTimeout, StreamingAgentExecutor
from helpers.tools import MATH_TOOLS, final_answer_tool

HARD_TIMEOUT = 10  # seconds; every case ends long before this or fails


async def consume(run) -> list:
    """Read a whole `AgentRun`, returning every item (chunks and markers)."""
    items = []
    async with run:
        async for item in run:
            items.append(item)
    return items


async def run_case(executor, question, **kwargs):
    run = executor.stream(question, **kwargs)
    items = await asyncio.wait_for(consume(run), HARD_TIMEOUT)
    return run, items


def tool_names(items) -> list[str]:
    return [c["name"] for item in items if isinstance(item, AIMessageChunk)
            for c in item.tool_call_chunks if c.get("name")]


@pytest.fixture(autouse=True)
async def nothing_left_pending(caplog):
    """After each case, every other task ends by itself, and asyncio has nothing to complain about.

    LangChain closes its internal stream generators in small clean-up tasks of
    their own when a run is cancelled; those may take a loop turn or two, so we
    give them a moment. A task still running after that was left behind.
    """
    caplog.set_level(logging.WARNING, logger="asyncio")
    yield
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
    if others:
        await asyncio.wait(others, timeout=1.0)
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
    assert others == [], f"tasks left pending: {others}"
    gc.collect()  # "Task was destroyed but it is pending!" is reported when a task is collected
    await asyncio.sleep(0)
    complaints = [r.getMessage() for r in caplog.records if r.name == "asyncio"]
    assert complaints == [], complaints


# --- the happy path, for contrast -----------------------------------------------------------


async def test_a_run_streams_steps_and_ends_with_the_answer(make_llm):
    executor = StreamingAgentExecutor(make_llm())
    run, items = await run_case(executor, "What is 10 + 10?")
    assert run.result.finished and "20" in run.result.answer
    assert run.result.tools_used == ["add"]
    assert tool_names(items) == ["add", "final_answer"]
    assert items.count(STEP_END) == 1  # after the add step; the final step ends with DONE instead
    assert DONE not in items


# --- the model server fails ----------------------------------------------------------------


@pytest.mark.parametrize("fault, error", [
    ("status=500", openai.InternalServerError),
    ("status=429", openai.RateLimitError),
    ("status=503@1", openai.InternalServerError),  # fails on the second step, after a tool ran
])
async def test_http_errors_from_the_model_end_the_stream(make_llm, fault, error):
    executor = StreamingAgentExecutor(make_llm(fault))
    with pytest.raises(error):
        await run_case(executor, "What is 10 + 10?")
    assert executor.chat_history == []  # a failed turn is not remembered as answered


async def test_a_dropped_connection_mid_stream_ends_the_stream(make_llm):
    executor = StreamingAgentExecutor(make_llm("drop-after=3"))
    seen = []
    with pytest.raises(Exception) as raised:
        async with executor.stream("What is 10 + 10?") as run:
            async for item in asyncio_timeout_iter(run):
                seen.append(item)
    assert len([i for i in seen if isinstance(i, AIMessageChunk)]) >= 1, "tokens before the drop arrived"
    assert "peer closed" in str(raised.value).lower() or "connection" in type(raised.value).__name__.lower()


async def asyncio_timeout_iter(run):
    async with asyncio.timeout(HARD_TIMEOUT):
        async for item in run:
            yield item


async def test_a_slow_model_is_stopped_by_the_timeout(make_llm):
    executor = StreamingAgentExecutor(make_llm("delay=0.5"))
    with pytest.raises(AgentTimeout, match="longer than 0.3"):
        await run_case(executor, "What is 10 + 10?", timeout=0.3)


async def test_llm_error_reaches_a_consumer_of_the_bare_handler(make_llm):
    """Without any executor: the model call fails, on_llm_error closes the handler."""
    handler = QueueCallbackHandler()
    llm = make_llm("status=500")

    async def produce():
        async for _ in llm.astream("hi", config={"callbacks": [handler]}):
            pass

    task = asyncio.create_task(produce())
    with pytest.raises(openai.InternalServerError):
        async with asyncio.timeout(HARD_TIMEOUT):
            async for _ in handler:
                pass
    with pytest.raises(openai.InternalServerError):
        await task


# --- the tools fail ------------------------------------------------------------------------


def failing_tool(name: str, error: Exception) -> StructuredTool:
    def fail(x: float, y: float) -> float:
        raise error

    fail.__doc__ = "Add 'x' and 'y'."
    return StructuredTool.from_function(func=fail, name=name)


def tool_errors(run) -> list[str]:
    return [m.content for m in run.result.scratchpad if isinstance(m, ToolMessage) and m.status == "error"]


async def test_a_tool_that_raises_goes_back_to_the_model(make_llm):
    tools = [failing_tool("add", RuntimeError("the adder is broken")), *MATH_TOOLS[1:], final_answer_tool]
    executor = StreamingAgentExecutor(make_llm(), tools, max_iterations=3)
    run, items = await run_case(executor, "What is 10 + 10?")
    assert tool_errors(run) == ["Error: add failed: the adder is broken"] * 3
    # The course model asks again for a step that should have worked, so max_iterations ends the run.
    assert run.result.finished is False and items.count(STEP_END) == 3


async def test_an_unknown_tool_goes_back_to_the_model_which_recovers(make_llm):
    executor = StreamingAgentExecutor(make_llm("tool=no_such_tool@0"))
    run, items = await run_case(executor, "What is 10 + 10?")
    assert "there is no tool named 'no_such_tool'" in tool_errors(run)[0]
    assert run.result.finished and "20" in run.result.answer
    assert tool_names(items)[0] == "no_such_tool"


async def test_malformed_arguments_go_back_to_the_model_which_recovers(make_llm):
    executor = StreamingAgentExecutor(make_llm("arguments=x is ten, y is ten@0"))
    run, _ = await run_case(executor, "What is 10 + 10?")
    assert "not valid JSON" in tool_errors(run)[0]
    assert run.result.finished and "20" in run.result.answer


async def test_truncated_arguments_go_back_to_the_model_which_recovers(make_llm):
    # LangChain reads truncated JSON as far as it goes ({"x": 10}); the tool then finds y missing.
    executor = StreamingAgentExecutor(make_llm('arguments={"x": 10, "y"@0'))
    run, _ = await run_case(executor, "What is 10 + 10?")
    assert tool_errors(run)[0] == "Error: invalid arguments for 'add': y: Field required."
    assert run.result.finished and "20" in run.result.answer


async def test_arguments_of_the_wrong_type_go_back_to_the_model(make_llm):
    executor = StreamingAgentExecutor(make_llm('arguments={"x":"ten","y":10}@0'))
    run, _ = await run_case(executor, "What is 10 + 10?")
    assert "invalid arguments for 'add'" in tool_errors(run)[0]
    assert run.result.finished and "20" in run.result.answer


async def test_a_huge_exponent_is_refused_not_computed(make_llm):
    executor = StreamingAgentExecutor(make_llm(), max_iterations=4)
    run, _ = await run_case(executor, "What is 10 to the power of 10000000000?")
    assert any("too large" in error for error in tool_errors(run))


# --- the run runs out of steps ---------------------------------------------------------------


async def test_max_iterations_ends_the_stream_with_a_clear_outcome(make_llm):
    executor = StreamingAgentExecutor(make_llm(), max_iterations=2)
    run, items = await run_case(executor, "What is ((1 + 2) * 3 - 4) ** 2?")
    assert run.result.finished is False
    assert run.result.answer == "I could not reach a final answer within 2 steps."
    assert run.result.tools_used == ["add", "multiply"]
    assert items.count(STEP_END) == 2
    assert executor.chat_history[-1].content == run.result.answer


# --- the consumer stops early -----------------------------------------------------------------


async def test_consumer_break_cancels_the_run(make_llm):
    executor = StreamingAgentExecutor(make_llm("delay=0.05"))
    async with asyncio.timeout(HARD_TIMEOUT):
        async with executor.stream("What is (2 + 3) * (4 + 5)?") as run:
            async for item in run:
                break
        assert run._task.cancelled()
    assert run.result is None
    assert executor.chat_history == []


async def test_consumer_cancellation_cancels_the_run(make_llm):
    executor = StreamingAgentExecutor(make_llm("delay=0.05"))
    started = asyncio.Event()
    runs = []

    async def consumer():
        async with executor.stream("What is 10 + 10?") as run:
            runs.append(run)
            async for _ in run:
                started.set()

    task = asyncio.create_task(consumer())
    await asyncio.wait_for(started.wait(), HARD_TIMEOUT)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, HARD_TIMEOUT)
    assert runs[0]._task.cancelled()


async def test_a_cancelled_run_ends_a_consumer_reading_its_handler(make_llm):
    executor = StreamingAgentExecutor(make_llm("delay=0.05"))
    handler = QueueCallbackHandler()
    task = asyncio.create_task(executor.ainvoke("What is 10 + 10?", handler))
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(StreamCancelled):
        async with asyncio.timeout(HARD_TIMEOUT):
            async for _ in handler:
                pass
    with pytest.raises(asyncio.CancelledError):
        await task


# --- several runs -----------------------------------------------------------------------------


async def test_two_concurrent_runs_never_mix(make_llm):
    first, second = StreamingAgentExecutor(make_llm()), StreamingAgentExecutor(make_llm())
    (run_a, items_a), (run_b, items_b) = await asyncio.gather(
        run_case(first, "What is 2 + 3?"), run_case(second, "What is 7 times 6?"))
    assert "5" in run_a.result.answer and "42" in run_b.result.answer
    assert tool_names(items_a) == ["add", "final_answer"]
    assert tool_names(items_b) == ["multiply", "final_answer"]


async def test_a_handler_can_be_reused_for_a_new_run(make_llm):
    executor = StreamingAgentExecutor(make_llm())
    handler = QueueCallbackHandler()
    run_a, items_a = await run_case(executor, "What is 2 + 3?", handler=handler)
    run_b, items_b = await run_case(executor, "What is 7 times 6?", handler=handler)
    assert tool_names(items_a) == ["add", "final_answer"]
    assert tool_names(items_b) == ["multiply", "final_answer"]
    with pytest.raises(ValueError, match="reset"):
        await executor.ainvoke("What is 1 + 1?", handler)  # closed, and not reset


async def test_parallel_tool_calls_all_run_and_each_gets_its_message(make_llm):
    executor = StreamingAgentExecutor(make_llm())
    run, items = await run_case(executor, "What is (2 + 3) * (4 + 5)?")
    first_step = run.result.scratchpad[0]
    assert [call["name"] for call in first_step.tool_calls] == ["add", "add"]
    replies = run.result.scratchpad[1:3]
    assert [reply.tool_call_id for reply in replies] == [call["id"] for call in first_step.tool_calls]
    assert [reply.content for reply in replies] == ["5.0", "9.0"]
    assert "45" in run.result.answer


async def test_parallel_tool_calls_run_concurrently(make_llm):
    """Each add waits until both adds have started: only a concurrent executor gets past that."""
    started = 0
    both_started = asyncio.Event()

    async def rendezvous_add(x: float, y: float) -> float:
        nonlocal started
        started += 1
        if started == 2:
            both_started.set()
        await asyncio.wait_for(both_started.wait(), 2)  # sequential execution would time out here
        return x + y

    add = StructuredTool.from_function(coroutine=rendezvous_add, name="add", description="Add 'x' and 'y'.")
    executor = StreamingAgentExecutor(make_llm(), [add, *MATH_TOOLS[1:], final_answer_tool])
    run, _ = await run_case(executor, "What is (2 + 3) * (4 + 5)?")
    assert tool_errors(run) == []
    assert "45" in run.result.answer


async def test_a_multi_turn_conversation_uses_the_history(make_llm):
    executor = StreamingAgentExecutor(make_llm())
    await run_case(executor, "What is 10 + 10?")
    run, _ = await run_case(executor, "Now multiply that by 3")
    assert "60" in run.result.answer
    assert [type(m).__name__ for m in executor.chat_history] == ["HumanMessage", "AIMessage"] * 2


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize("question", ["", "   ", None, 42])
async def test_a_bad_question_is_refused_at_once(make_llm, question):
    executor = StreamingAgentExecutor(make_llm())
    with pytest.raises(ValueError, match="non-empty string"):
        executor.stream(question)


def test_bad_executor_settings_are_refused(make_llm):
    with pytest.raises(ValueError, match="max_iterations"):
        StreamingAgentExecutor(make_llm(), max_iterations=0)
    with pytest.raises(ValueError, match="final_answer"):
        StreamingAgentExecutor(make_llm(), MATH_TOOLS)
