"""How chapter 03's executor streams one step: the same runs as `agent.astream`, without a Task per chunk.

`RunnableSequence.astream` awaits every chunk in a new asyncio Task (about 40 µs per token on
Python 3.11); the executor streams `prompt | model` itself, inside the same "agent" chain run,
so chapter 04's event tree is unchanged. These tests pin both halves of that promise.
"""

from __future__ import annotations

import asyncio

from helpers.agent import build_prompt
from helpers.streaming_executor import StreamingAgentExecutor


async def test_a_step_does_not_create_a_task_per_chunk(make_llm):
    # langchain-openai's own per-chunk timeout awaits each chunk through `asyncio.wait_for`, which on
    # Python 3.11 is a Task per chunk too (not on 3.12+): switched off here to count only the executor's.
    llm = make_llm(max_tokens=200, stream_chunk_timeout=None)
    executor = StreamingAgentExecutor(llm)
    executor.agent = build_prompt() | llm  # one long text answer in one step, 200 chunks
    loop = asyncio.get_running_loop()
    created = 0
    default_factory = loop.get_task_factory()

    def counting_factory(loop, coro, **kwargs):
        nonlocal created
        created += 1
        return asyncio.Task(coro, loop=loop, **kwargs)

    loop.set_task_factory(counting_factory)
    try:
        result = await executor.ainvoke("Tell me a long story")
    finally:
        loop.set_task_factory(default_factory)
    assert len(result.answer) > 500  # the 200 chunks really came
    assert created < 20, f"{created} tasks for one 200-chunk step"


async def test_every_model_call_runs_inside_its_agent_run(make_llm):
    """The tree chapter 04 prints: executor > agent > (prompt, model), with the sequence's step tags."""
    runnable = StreamingAgentExecutor(make_llm()).as_runnable()
    events = [event async for event in runnable.astream_events({"input": "What is 10 + 10?"}, version="v2")]
    executor_run = events[0]["run_id"]
    agent_run = None
    seen = []
    for event in events:
        if (event["event"], event["name"]) == ("on_chain_start", "agent"):
            agent_run = event["run_id"]
            assert event["parent_ids"] == [executor_run]
        if event["event"] in ("on_prompt_start", "on_chat_model_start", "on_chat_model_stream", "on_chain_stream"):
            if event["name"] == "agent_executor":
                continue
            assert event["parent_ids"][-1:] == [agent_run] or event["run_id"] == agent_run, event
            seen.append((event["event"], tuple(event["tags"])))
    assert ("on_prompt_start", ("seq:step:1",)) in seen
    assert ("on_chat_model_start", ("seq:step:2",)) in seen
    chunks = sum(1 for event in events if (event["event"], event["name"]) == ("on_chat_model_stream", "ChatOpenAI"))
    agent_chunks = sum(1 for event in events if (event["event"], event["name"]) == ("on_chain_stream", "agent"))
    assert chunks == agent_chunks > 10  # the agent streams every chunk its model streams
    ends = [event for event in events if (event["event"], event["name"]) == ("on_chain_end", "agent")]
    assert len(ends) == 2 and all(end["data"]["output"].tool_calls for end in ends)  # merged messages


async def test_a_stalled_stream_ends_with_langchain_openais_chunk_timeout(make_llm):
    """What `stream_chunk_timeout` (on by default, 120 s) buys: a model that stops sending content fails
    the step within that time, and the reader of the handler gets the error, long before the executor's
    own whole-run timeout. The course keeps it on (its cost: benchmarks/README.md)."""
    from langchain_openai.chat_models._client_utils import StreamChunkTimeoutError

    executor = StreamingAgentExecutor(make_llm("delay=2", stream_chunk_timeout=0.3))
    seen: list = []
    raised: BaseException | None = None
    async with asyncio.timeout(10):  # the test's own bound: never hangs
        try:
            async with executor.stream("What is 10 + 10?") as run:  # whole-run timeout: the default 300 s
                async for item in run:
                    seen.append(item)
        except TimeoutError as error:
            raised = error
    assert isinstance(raised, StreamChunkTimeoutError), repr(raised)
    assert seen == []  # nothing came before the stall; the reader ended with the error
