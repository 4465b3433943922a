"""Solutions to the exercises of chapter 07 (`chapters/07-streaming-structured-output.ipynb`).

Each section replaces the starter cell of the exercise it names; the chapter's
check cell then prints "Solved". `tests/test_exercises.py` runs the chapter with
these sections substituted, so they are kept working.
"""

# %% exercise: pydantic-stream
async def explanations(llm, question):
    """Yield partial dicts while the explanation streams, then the validated `Explanation`."""
    partial = {}
    # The class's JSON schema as a dict streams (JsonOutputParser); the class itself would yield once, at the end.
    async for partial in llm.with_structured_output(Explanation.model_json_schema()).astream(question):
        yield partial
    yield Explanation.model_validate(partial)


# %% exercise: completed-items
async def completed_items(fragments, field):
    """Yield each element of the list `field` as soon as it is complete."""
    text, done = "", 0
    async for fragment in fragments:
        text += fragment
        if not text.strip():
            continue
        partial = parse_partial_json(text)
        items = partial.get(field, []) if isinstance(partial, dict) else []
        # Every element but the last is complete: the model has started the next one.
        while done < len(items) - 1:
            yield items[done]
            done += 1
    for item in json.loads(text)[field][done:]:  # the stream has ended: the rest is complete too
        yield item


# %% exercise: summary-pieces
async def summary_pieces(agent, question):
    """Yield the pieces of the Forecast's summary as they stream."""
    readers = {}  # (reply id, index) -> a FieldReader for that one call
    names = {}  # (reply id, index) -> the call's name, which only its first fragment carries
    async for message, metadata in agent.astream({"messages": [{"role": "user", "content": question}]},
                                                 stream_mode="messages"):
        for chunk in getattr(message, "tool_call_chunks", []):
            key = (message.id, chunk["index"])
            names[key] = chunk["name"] or names.get(key)
            if names[key] != "Forecast":
                continue  # get_weather's arguments are not the answer
            piece = readers.setdefault(key, FieldReader("summary")).feed(chunk["args"] or "")
            if piece:
                yield piece
