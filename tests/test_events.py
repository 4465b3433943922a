"""The executor as a runnable: its model calls and tools stream out of `astream_events` (chapter 04)."""

from __future__ import annotations

from collections import Counter

from helpers.streaming_executor import StreamingAgentExecutor


async def collect(runnable, question: str, **filters) -> list[dict]:
    return [event async for event in runnable.astream_events({"input": question}, version="v2", **filters)]


async def test_events_show_every_model_token_and_every_tool_run(make_llm):
    runnable = StreamingAgentExecutor(make_llm()).as_runnable()
    events = await collect(runnable, "What is (2 + 3) * (4 + 5)?")
    kinds = Counter((event["event"], event["name"]) for event in events)
    assert kinds[("on_chain_start", "agent_executor")] == kinds[("on_chain_end", "agent_executor")] == 1
    assert kinds[("on_chain_start", "agent")] == 3  # three model steps
    assert kinds[("on_tool_start", "add")] == kinds[("on_tool_end", "add")] == 2
    assert kinds[("on_tool_end", "multiply")] == kinds[("on_tool_end", "final_answer")] == 1
    assert kinds[("on_chat_model_stream", "ChatOpenAI")] > 30
    tool_ends = [event for event in events if event["event"] == "on_tool_end"]
    assert all(event["metadata"]["tool_call_id"].startswith("call_") for event in tool_ends)
    assert events[-1]["data"]["output"] == {
        "answer": "(2 + 3) × (4 + 5) is 45.", "tools_used": ["add", "multiply"], "finished": True, "steps": 3}


async def test_events_filter_by_tags_and_types(make_llm):
    runnable = StreamingAgentExecutor(make_llm()).as_runnable()
    math = await collect(runnable, "What is (2 + 3) * (4 + 5)?", include_tags=["math"])
    assert {(event["event"], event["name"]) for event in math} == {
        ("on_tool_start", "add"), ("on_tool_end", "add"), ("on_tool_start", "multiply"), ("on_tool_end", "multiply")}
    tools = await collect(runnable, "What is 10 + 10?", include_types=["tool"])
    assert [event["name"] for event in tools if event["event"] == "on_tool_end"] == ["add", "final_answer"]


async def test_a_handler_and_events_can_watch_the_same_run(make_llm):
    """Passing a parent config must not drop the executor's own handler."""
    from helpers.queue_handler import QueueCallbackHandler

    executor = StreamingAgentExecutor(make_llm())
    handler = QueueCallbackHandler()
    tokens = []

    async def read():
        async for item in handler:
            tokens.append(item)

    import asyncio

    reader = asyncio.create_task(read())
    result = await executor.ainvoke("What is 10 + 10?", handler, config={"tags": ["outer"]})
    await asyncio.wait_for(reader, 5)
    assert "20" in result.answer and len(tokens) > 10
