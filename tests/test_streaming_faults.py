"""The fault table: every way a streamed agent run can go wrong ends the stream, promptly and cleanly.

Each case runs the real streaming executor against the course model (faults are
injected in the wire path with the test-only `X-Course-Model-Fault` header),
under a hard timeout, and then checks that no task is left pending.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from datetime import datetime

import openai
import pytest
from langchain_core.messages import AIMessageChunk, ToolMessage
from langchain_core.tools import StructuredTool

from helpers.agent_executor import AgentExecutor
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
    executor = StreamingAgentExecutor(make_llm(), tools, max_iterations=5)
    run, items = await run_case(executor, "What is 10 + 10?")
    # The course model asks once more for a step that should have worked (a tool may fail by chance); when it
    # fails again, it stops and says so through final_answer instead of asking until max_iterations.
    assert tool_errors(run) == ["Error: add failed: the adder is broken"] * 2
    assert tool_names(items) == ["add", "add", "final_answer"]
    assert run.result.finished and run.result.answer == (
        "The add step failed twice (Error: add failed: the adder is broken), so I have no answer to 10 + 10.")


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


class _Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("this object cannot be shown")

    __repr__ = __str__


ODD_RESULTS = {
    "a dict holding a datetime": lambda: {"result": 20, "at": datetime(2026, 1, 1, 9, 0)},
    "an object whose __str__ raises": _Unprintable,
    "a string with a lone surrogate": lambda: "20 \ud800",
    "a list holding a set": lambda: [20, {1, 2}],
}


def odd_tool(make_result) -> StructuredTool:
    def add(x: float, y: float) -> object:
        return make_result()

    add.__doc__ = "Add 'x' and 'y'."
    return StructuredTool.from_function(func=add, name="add")


@pytest.mark.parametrize("make_result", ODD_RESULTS.values(), ids=list(ODD_RESULTS))
async def test_any_tool_result_reaches_the_model_as_text(make_llm, make_result):
    executor = StreamingAgentExecutor(make_llm(), [odd_tool(make_result), *MATH_TOOLS[1:], final_answer_tool],
                                      max_iterations=5)
    run, _ = await run_case(executor, "What is 10 + 10?")
    results = [m for m in run.result.scratchpad if isinstance(m, ToolMessage) and m.name == "add"]
    assert results and all(isinstance(m.content, str) and m.content for m in results)
    assert all(m.content.encode("utf-8") for m in results)  # valid Unicode: it can be sent to the model
    assert run.result.answer


@pytest.mark.parametrize("make_result", ODD_RESULTS.values(), ids=list(ODD_RESULTS))
def test_any_tool_result_reaches_the_model_as_text_in_the_blocking_executor(make_llm, make_result):
    executor = AgentExecutor(make_llm(), [odd_tool(make_result), *MATH_TOOLS[1:], final_answer_tool],
                             max_iterations=5)
    result = executor.invoke("What is 10 + 10?")
    results = [m for m in result.scratchpad if isinstance(m, ToolMessage) and m.name == "add"]
    assert results and all(isinstance(m.content, str) and m.content.encode("utf-8") for m in results)
    assert result.answer


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


async def test_a_reader_that_stops_after_the_run_finished_still_gets_its_result(make_llm):
    """Breaking out after the run is over stops nothing: the answer and the history agree."""
    executor = StreamingAgentExecutor(make_llm())
    async with asyncio.timeout(HARD_TIMEOUT):
        async with executor.stream("What is 10 + 10?") as run:
            async for item in run:
                await asyncio.wait({run._task})  # let the run finish while we hold the first item
                break
    assert run.result is not None and run.result.answer == "10 + 10 is 20."
    assert [message.content for message in executor.chat_history] == ["What is 10 + 10?", run.result.answer]


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
    reader = aiter(handler)
    async with asyncio.timeout(HARD_TIMEOUT):
        await anext(reader)  # the run is under way: its first chunk has arrived
    task.cancel()
    with pytest.raises(StreamCancelled):
        async with asyncio.timeout(HARD_TIMEOUT):
            async for _ in reader:
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
        # A bound, not a pace: both adds start together in a concurrent executor; a sequential one waits here
        # until the bound, and the test fails on the tool error that follows.
        await asyncio.wait_for(both_started.wait(), HARD_TIMEOUT / 2)
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


# --- a rejected final answer is retried, and the stream follows it to the end (issue 12) -------

BLANK_ANSWER = 'arguments={"answer": " ", "tools_used": []}@1'  # the first final_answer is blank: rejected


def rendered(items) -> str:
    from helpers.render import StreamRenderer

    renderer = StreamRenderer()
    for item in items:
        renderer.feed(item)
    return renderer.text


async def test_a_rejected_final_answer_is_retried_and_the_stream_follows_it(make_llm):
    executor = StreamingAgentExecutor(make_llm(BLANK_ANSWER))
    run, items = await run_case(executor, "What is 10 + 10?")
    assert run.result.finished and run.result.answer == "10 + 10 is 20."
    assert "'answer' must be a non-empty string" in tool_errors(run)[0]
    # The stream did not end at the rejected answer: the retried final_answer streamed too, every token.
    assert tool_names(items) == ["add", "final_answer", "final_answer"]
    assert rendered(items).endswith("Answer: 10 + 10 is 20.")
    assert items.count(STEP_END) == 2  # after add, and after the rejected answer


async def test_a_rejected_final_answer_keeps_a_bare_handler_open_too(make_llm):
    """`ainvoke` with a handler read by hand, no AgentRun: the same guarantee."""
    executor = StreamingAgentExecutor(make_llm(BLANK_ANSWER))
    handler = QueueCallbackHandler()
    task = asyncio.create_task(executor.ainvoke("What is 10 + 10?", handler))
    async with asyncio.timeout(HARD_TIMEOUT):
        items = [item async for item in handler]
    result = await task
    assert rendered(items).endswith("Answer: " + result.answer)


async def test_an_outside_loop_that_never_closes_the_handler_still_ends(make_llm):
    """The well-known pattern: the caller's own loop drives the agent and never calls `close()`.

    The handler must end by itself after the model call that gave the final answer.
    """
    from helpers.agent import build_agent
    from helpers.tool_calls import arun_tool_call
    from helpers.tools import TOOLS

    tools = {tool.name: tool for tool in TOOLS}
    agent = build_agent(make_llm(), TOOLS)
    handler = QueueCallbackHandler()

    async def outside_loop():
        scratchpad = []
        for _ in range(5):
            message = None
            async for chunk in agent.astream({"input": "What is 10 + 10?", "chat_history": [],
                                              "agent_scratchpad": scratchpad}, config={"callbacks": [handler]}):
                message = chunk if message is None else message + chunk
            results = [await arun_tool_call(call, tools) for call in message.tool_calls]
            scratchpad += [message, *results]
            if any(call["name"] == "final_answer" for call in message.tool_calls):
                return  # no close(): the handler must have ended the stream itself

    task = asyncio.create_task(outside_loop())
    async with asyncio.timeout(HARD_TIMEOUT):
        items = [item async for item in handler]
    await task
    assert tool_names(items) == ["add", "final_answer"]
    assert rendered(items).endswith("Answer: 10 + 10 is 20.")


# --- reading a stream twice, or with two readers (issue 12) ------------------------------------

ENDS_AT_ONCE = 3  # seconds; reading a finished stream must not wait at all


async def test_a_finished_run_read_again_ends_at_once(make_llm):
    executor = StreamingAgentExecutor(make_llm())
    async with executor.stream("What is 10 + 10?") as run:
        first = [item async for item in run]
        async with asyncio.timeout(ENDS_AT_ONCE):
            second = [item async for item in run]
    assert first and second == []
    assert run.result.answer == "10 + 10 is 20."


async def test_a_finished_handler_read_again_ends_at_once(make_llm):
    executor = StreamingAgentExecutor(make_llm())
    handler = QueueCallbackHandler()
    await executor.ainvoke("What is 10 + 10?", handler)
    assert [item async for item in handler]
    async with asyncio.timeout(ENDS_AT_ONCE):
        assert [item async for item in handler] == []


async def test_a_failed_handler_read_again_raises_its_error_again(make_llm):
    executor = StreamingAgentExecutor(make_llm("status=500"))
    handler = QueueCallbackHandler()
    with pytest.raises(openai.InternalServerError):
        await executor.ainvoke("What is 10 + 10?", handler)
    for _ in range(2):
        with pytest.raises(openai.InternalServerError):
            async with asyncio.timeout(ENDS_AT_ONCE):
                async for _ in handler:
                    pass


async def test_a_second_concurrent_reader_gets_a_clear_error(make_llm):
    executor = StreamingAgentExecutor(make_llm("delay=0.02"))
    async with asyncio.timeout(HARD_TIMEOUT):
        async with executor.stream("What is 10 + 10?") as run:
            first_item = asyncio.Event()

            async def first_reader():
                items = []
                async for item in run:
                    items.append(item)
                    first_item.set()
                return items

            reader = asyncio.create_task(first_reader())
            await first_item.wait()
            with pytest.raises(RuntimeError, match="already has a reader"):
                async for _ in run:
                    pass
            items = await reader
    assert rendered(items).endswith("Answer: 10 + 10 is 20."), "the first reader lost nothing"


async def test_a_reader_that_broke_off_can_be_followed_by_another(make_llm):
    executor = StreamingAgentExecutor(make_llm())
    async with asyncio.timeout(HARD_TIMEOUT):
        async with executor.stream("What is 10 + 10?") as run:
            head = []
            async for item in run:
                head.append(item)
                break
            rest = [item async for item in run]
    assert rendered(head + rest).endswith("Answer: 10 + 10 is 20.")


# --- a blocking tool (issue 12) ---------------------------------------------------------------


async def test_a_blocking_tool_neither_defeats_the_timeout_nor_stalls_the_loop(make_llm):
    """A tool that blocks (a slow API, a database, a file) runs in a worker thread: the run's timeout ends the
    run while the tool is still blocked, and the event loop runs other work (another user's stream) meanwhile.
    The tool blocks until the test lets it go, so this holds however slow the machine is."""
    import threading

    from helpers.tools import as_tool

    entered, returned, release = threading.Event(), threading.Event(), threading.Event()

    def blocking_add(x: float, y: float) -> float:
        """Add 'x' and 'y'."""
        entered.set()
        release.wait(HARD_TIMEOUT)  # a synchronous call that blocks; bounded, so nothing hangs if the test fails
        returned.set()
        return x + y

    executor = StreamingAgentExecutor(make_llm(), [as_tool(blocking_add), *MATH_TOOLS[1:], final_answer_tool])
    ticks_while_blocked = 0

    async def heartbeat():  # another user's stream, in the same process
        nonlocal ticks_while_blocked
        while True:
            await asyncio.sleep(0.01)
            ticks_while_blocked += entered.is_set() and not returned.is_set()

    beating = asyncio.create_task(heartbeat())
    try:
        with pytest.raises(AgentTimeout):
            await run_case(executor, "What is 10 + 10?", timeout=1)
        blocked_at_the_timeout = entered.is_set() and not returned.is_set()
    finally:
        release.set()
        beating.cancel()
    assert entered.is_set(), "the tool was called"
    assert blocked_at_the_timeout, "the run ended only when the blocking tool returned: it defeated the timeout"
    assert ticks_while_blocked >= 3, f"the event loop stalled while the tool blocked ({ticks_while_blocked} ticks)"


# --- every tool's guard, on both signs (issue 12) ------------------------------------------------


@pytest.mark.parametrize(("name", "x", "y", "message"), [
    ("exponentiate", 0.5, -5000, "too large"),
    ("exponentiate", -0.5, -5001, "too large"),
    ("exponentiate", 2, 5000, "too large"),
    ("exponentiate", -2, 5001, "too large"),
    ("exponentiate", 0.5, 5000, "too small"),
    ("exponentiate", 2, -5000, "too small"),
    ("exponentiate", 10 ** 400, 2, "finite"),
    ("add", 1e308, 1e308, "finite"),
    ("add", -1e308, -1e308, "finite"),
    ("add", 10 ** 400, 1, "finite"),
    ("subtract", -1e308, 1e308, "finite"),
    ("subtract", 1e308, -1e308, "finite"),
    ("multiply", 1e200, 1e200, "finite"),
    ("multiply", -1e200, 1e200, "finite"),
    ("multiply", -(10 ** 400), 2, "finite"),
], ids=lambda value: f"{'-' * (value < 0)}10**{len(str(abs(value))) - 1}"
                         if isinstance(value, int) and abs(value) > 10 ** 12 else None)
def test_every_tool_refuses_what_it_cannot_compute_with_its_own_error(name, x, y, message):
    from langchain_core.tools import ToolException

    from helpers import tools

    with pytest.raises(ToolException, match=message):
        getattr(tools, name)(x, y)
