"""Solutions to the exercises of chapter 06 (`chapters/06-streaming-langchain-agents.ipynb`).

Each section replaces the starter cell of the exercise it names; the chapter's
check cell then prints "Solved". `tests/test_exercises.py` runs the chapter with
these sections substituted, so they are kept working.
"""

# %% exercise: tool-calls
async def tool_calls_of(agent, question):
    """Every tool call the model makes for `question`, rebuilt from `stream_mode="messages"` chunks."""
    replies = {}  # message id -> {index: {"name": ..., "args": "..."}}, in the order they arrive
    inputs = {"messages": [{"role": "user", "content": question}]}
    async for message, metadata in agent.astream(inputs, stream_mode="messages"):
        if not isinstance(message, AIMessageChunk):
            continue  # a tool's result, not the model
        calls = replies.setdefault(message.id, {})
        for chunk in message.tool_call_chunks:
            call = calls.setdefault(chunk["index"], {"name": None, "args": ""})
            call["name"] = call["name"] or chunk["name"]
            call["args"] += chunk["args"] or ""
    return [
        {"name": call["name"], "args": json.loads(call["args"] or "{}")}
        for calls in replies.values()
        for _, call in sorted(calls.items())
    ]


# %% exercise: progress-tool
@tool
async def add(x: float, y: float, runtime: ToolRuntime) -> float:
    """Add 'x' and 'y'."""
    for part in (1, 2):
        await asyncio.sleep(0.05)  # pretend to work
        runtime.stream_writer({"tool": "add", "progress": f"{part}/2"})
    return x + y
