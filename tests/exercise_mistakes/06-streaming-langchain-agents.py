"""Wrong-but-plausible solutions to chapter 06's exercises; `tests/test_exercises.py` runs each with its check.

Each section replaces the exercise's starter cell; the words after `|` must appear in the check's "Not yet".
"""

# %% mistake: tool-calls | stream
# ainvoke, then the finished messages' tool_calls.
async def tool_calls_of(agent, question):
    state = await agent.ainvoke({"messages": [{"role": "user", "content": question}]})
    return [{"name": call["name"], "args": call["args"]}
            for message in state["messages"] if message.type == "ai" for call in message.tool_calls]

# %% mistake: tool-calls | (message id, index)
# One text per index, for the whole run: replies' calls run together.
async def tool_calls_of(agent, question):
    calls = {}
    async for message, metadata in agent.astream({"messages": [{"role": "user", "content": question}]},
                                                 stream_mode="messages"):
        if isinstance(message, AIMessageChunk):
            for chunk in message.tool_call_chunks:
                call = calls.setdefault(chunk["index"], {"name": None, "args": ""})
                call["name"] = call["name"] or chunk["name"]
                call["args"] += chunk["args"] or ""
    return [{"name": call["name"], "args": json.loads(call["args"])} for call in calls.values()]

# %% mistake: tool-calls | stream_mode="messages"
# Finished messages from stream_mode="updates", not the chunks.
async def tool_calls_of(agent, question):
    calls = []
    async for update in agent.astream({"messages": [{"role": "user", "content": question}]}, stream_mode="updates"):
        for change in update.values():
            for message in change["messages"]:
                if message.type == "ai":
                    calls += [{"name": call["name"], "args": call["args"]} for call in message.tool_calls]
    return calls

# %% mistake: tool-calls | not from a fixed list
# Streams, but returns the calls of the chapter's question.
async def tool_calls_of(agent, question):
    async for _ in agent.astream({"messages": [{"role": "user", "content": question}]}, stream_mode="messages"):
        pass
    return [{"name": "add", "args": {"x": 2, "y": 3}}, {"name": "add", "args": {"x": 4, "y": 5}},
            {"name": "multiply", "args": {"x": 5.0, "y": 9.0}},
            {"name": "final_answer", "args": {"answer": "(2 + 3) × (4 + 5) is 45.", "tools_used": ["add", "multiply"]}}]

# %% mistake: tool-calls | (message id, index)
# One text per reply (message id): the two calls of one reply run together.
async def tool_calls_of(agent, question):
    replies = {}
    async for message, metadata in agent.astream({"messages": [{"role": "user", "content": question}]},
                                                 stream_mode="messages"):
        if isinstance(message, AIMessageChunk):
            for chunk in message.tool_call_chunks:
                call = replies.setdefault(message.id, {"name": None, "args": ""})
                call["name"] = call["name"] or chunk["name"]
                call["args"] += chunk["args"] or ""
    return [{"name": call["name"], "args": json.loads(call["args"])} for call in replies.values()]

# %% mistake: tool-calls | must stay two
# Calls kept by name: two calls of the same tool in one reply become one.
async def tool_calls_of(agent, question):
    replies = {}
    async for message, metadata in agent.astream({"messages": [{"role": "user", "content": question}]},
                                                 stream_mode="messages"):
        if isinstance(message, AIMessageChunk):
            calls = replies.setdefault(message.id, {})
            for chunk in message.tool_call_chunks:
                if chunk["name"]:
                    current = calls[chunk["name"]] = {"name": chunk["name"], "args": ""}
                current["args"] += chunk["args"] or ""
    return [{"name": call["name"], "args": json.loads(call["args"])}
            for calls in replies.values() for call in calls.values()]

# %% mistake: tool-calls | empty
# Only the fragments that carry a name: the arguments come in the later ones.
async def tool_calls_of(agent, question):
    calls = []
    async for message, metadata in agent.astream({"messages": [{"role": "user", "content": question}]},
                                                 stream_mode="messages"):
        if isinstance(message, AIMessageChunk):
            for chunk in message.tool_call_chunks:
                if chunk["name"]:
                    calls.append({"name": chunk["name"], "args": json.loads(chunk["args"])})
    return calls

# %% mistake: progress-tool | x + y
# Returns x + x: right for 10 + 10 only.
@tool
async def add(x: float, y: float, runtime: ToolRuntime) -> float:
    """Add 'x' and 'y'."""
    for part in (1, 2):
        runtime.stream_writer({"tool": "add", "progress": f"{part}/2"})
    return x + x

# %% mistake: progress-tool | at least two
# One report, at the start.
@tool
async def add(x: float, y: float, runtime: ToolRuntime) -> float:
    """Add 'x' and 'y'."""
    runtime.stream_writer({"tool": "add", "progress": "started"})
    return x + y

# %% mistake: progress-tool | stream_writer
# Progress printed, not sent into the stream.
@tool
async def add(x: float, y: float, runtime: ToolRuntime) -> float:
    """Add 'x' and 'y'."""
    for part in (1, 2):
        print(f"add: {part}/2")
    return x + y

# %% mistake: progress-tool | before it returns
# The reports sent from a task that runs after the tool has returned.
@tool
async def add(x: float, y: float, runtime: ToolRuntime) -> float:
    """Add 'x' and 'y'."""
    async def report():
        for part in (1, 2):
            await asyncio.sleep(0.01)
            runtime.stream_writer({"tool": "add", "progress": f"{part}/2"})
    asyncio.get_running_loop().create_task(report())
    return x + y
