# Wrong-but-plausible solutions to chapter 07's exercises (see tests/test_exercises.py).
# Each section replaces the exercise's starter cell; its check must print "Not yet" with the words after `|`.

# %% mistake: pydantic-stream | whole answer at once
# Waits for the finished object, then makes "partial" dicts up from it.
async def explanations(llm, question):
    explanation = await llm.with_structured_output(Explanation).ainvoke(question)
    partial = {}
    for key, value in explanation.model_dump().items():
        partial = {**partial, key: value}
        yield partial
    yield explanation

# %% mistake: pydantic-stream | after the model's stream had ended
# Streams the dict schema, but keeps every partial until the stream is over.
async def explanations(llm, question):
    stream = llm.with_structured_output(Explanation.model_json_schema()).astream(question)
    partials = [partial async for partial in stream]
    for partial in partials:
        yield partial
    yield Explanation.model_validate(partials[-1])

# %% mistake: pydantic-stream | held partial dicts back
# Yields only when a new field appears: the text of each field is held back until the next one starts.
async def explanations(llm, question):
    shown = 0
    partial = {}
    async for partial in llm.with_structured_output(Explanation.model_json_schema()).astream(question):
        if len(partial) > shown:
            shown = len(partial)
            yield partial
    yield partial
    yield Explanation.model_validate(partial)

# %% mistake: pydantic-stream | validate only the last one
# Validates every partial dict with the class.
async def explanations(llm, question):
    async for partial in llm.with_structured_output(Explanation.model_json_schema()).astream(question):
        yield partial
        Explanation.model_validate(partial)
    yield Explanation.model_validate(partial)

# %% mistake: pydantic-stream | already an Explanation
# function_calling with the class: its parser yields objects, and only once every field has started.
async def explanations(llm, question):
    async for result in llm.with_structured_output(Explanation, method="function_calling").astream(question):
        yield result

# %% mistake: pydantic-stream | called the model 2 times
# Streams the dict for show, then asks again for the validated object.
async def explanations(llm, question):
    async for partial in llm.with_structured_output(Explanation.model_json_schema()).astream(question):
        yield partial
    yield await llm.with_structured_output(Explanation).ainvoke(question)

# %% mistake: completed-items | parse the text so far with parse_partial_json
# Parses the text so far with json.loads.
async def completed_items(fragments, field):
    text, done = "", 0
    async for fragment in fragments:
        text += fragment
        items = json.loads(text)[field]
        while done < len(items) - 1:
            yield items[done]
            done += 1

# %% mistake: completed-items | before it was complete
# Yields each element as soon as it appears, while it is still being written.
async def completed_items(fragments, field):
    text, done = "", 0
    async for fragment in fragments:
        text += fragment
        partial = parse_partial_json(text) if text.strip() else {}
        items = partial.get(field, []) if isinstance(partial, dict) else []
        while done < len(items):
            yield items[done]
            done += 1

# %% mistake: completed-items | before it was complete
# Splits the list's text on commas: elements with commas inside come out in pieces.
async def completed_items(fragments, field):
    text, done = "", 0
    async for fragment in fragments:
        text += fragment
        start = text.find(f'"{field}": [')
        if start < 0:
            continue
        parts = text[start + len(field) + 5:].split(",")
        while done < len(parts) - 1:
            yield parts[done].strip().strip('"')
            done += 1
    for part in text[start + len(field) + 5:].split("]")[0].split(",")[done:]:
        yield part.strip().strip('"')

# %% mistake: completed-items | last element never came out
# Yields each element when the next one starts, but forgets the last one.
async def completed_items(fragments, field):
    text, done = "", 0
    async for fragment in fragments:
        text += fragment
        partial = parse_partial_json(text) if text.strip() else {}
        items = partial.get(field, []) if isinstance(partial, dict) else []
        while done < len(items) - 1:
            yield items[done]
            done += 1

# %% mistake: completed-items | no element came out
# Reads the list named "tasks", whatever `field` says.
async def completed_items(fragments, field):
    text, done = "", 0
    async for fragment in fragments:
        text += fragment
        partial = parse_partial_json(text) if text.strip() else {}
        items = partial.get("tasks", []) if isinstance(partial, dict) else []
        while done < len(items) - 1:
            yield items[done]
            done += 1
    for item in json.loads(text).get("tasks", [])[done:]:
        yield item

# %% mistake: completed-items | came out only after all
# Tries json.loads after every fragment: it succeeds only once the whole object has arrived.
async def completed_items(fragments, field):
    text = ""
    async for fragment in fragments:
        text += fragment
        try:
            finished = json.loads(text)
        except json.JSONDecodeError:
            continue
        for item in finished[field]:
            yield item

# %% mistake: summary-pieces | didn't stream the agent
# Waits for the finished run, then cuts the summary into words.
async def summary_pieces(agent, question):
    import re

    state = await agent.ainvoke({"messages": [{"role": "user", "content": question}]})
    for piece in re.findall(r"\S+\s*", state["structured_response"].summary):
        yield piece

# %% mistake: summary-pieces | after the agent's stream had ended
# Streams the run, merges the replies, and cuts the Forecast's summary into words at the end.
async def summary_pieces(agent, question):
    import re

    replies = {}
    async for message, metadata in agent.astream({"messages": [{"role": "user", "content": question}]},
                                                 stream_mode="messages"):
        if isinstance(message, AIMessageChunk):
            replies[message.id] = replies[message.id] + message if message.id in replies else message
    calls = [call for reply in replies.values() for call in reply.tool_calls if call["name"] == "Forecast"]
    for piece in re.findall(r"\S+\s*", calls[-1]["args"]["summary"]):
        yield piece

# %% mistake: summary-pieces | no summary text came out
# One reader per index, forgetting that each reply numbers its calls from 0: get_weather's reader is reused.
async def summary_pieces(agent, question):
    readers = {}
    async for message, metadata in agent.astream({"messages": [{"role": "user", "content": question}]},
                                                 stream_mode="messages"):
        for chunk in getattr(message, "tool_call_chunks", []):
            piece = readers.setdefault(chunk["index"], FieldReader("summary")).feed(chunk["args"] or "")
            if piece:
                yield piece

# %% mistake: summary-pieces | hold JSON
# Yields the Forecast call's raw argument fragments.
async def summary_pieces(agent, question):
    names = {}
    async for message, metadata in agent.astream({"messages": [{"role": "user", "content": question}]},
                                                 stream_mode="messages"):
        for chunk in getattr(message, "tool_call_chunks", []):
            key = (message.id, chunk["index"])
            names[key] = chunk["name"] or names.get(key)
            if names[key] == "Forecast" and chunk["args"]:
                yield chunk["args"]

# %% mistake: summary-pieces | repeat the text so far
# Yields the reader's whole value each time instead of the new text.
async def summary_pieces(agent, question):
    readers, names = {}, {}
    async for message, metadata in agent.astream({"messages": [{"role": "user", "content": question}]},
                                                 stream_mode="messages"):
        for chunk in getattr(message, "tool_call_chunks", []):
            key = (message.id, chunk["index"])
            names[key] = chunk["name"] or names.get(key)
            if names[key] == "Forecast":
                reader = readers.setdefault(key, FieldReader("summary"))
                if reader.feed(chunk["args"] or ""):
                    yield reader.value

# %% mistake: summary-pieces | another city
# Streams the run, but yields the summary it saw in the chapter.
async def summary_pieces(agent, question):
    async for message, metadata in agent.astream({"messages": [{"role": "user", "content": question}]},
                                                 stream_mode="messages"):
        pass
    for piece in ["The weather", " in Lisbon", " is 21 degrees", " and sunny."]:
        yield piece
