"""Solutions to the exercises of chapter 03 (`chapters/03-queue-streamed-agent.ipynb`).

Each section replaces the starter cell of the exercise it names; the chapter's
check cell then prints "Solved". `tests/test_exercises.py` runs the chapter with
these sections substituted, so they are kept working.
"""

# %% exercise: count-per-step
class CountingHandler(QueueCallbackHandler):
    """A queue handler that also counts the chunks of each model call."""

    def __init__(self):
        super().__init__()
        self.counts = []  # one number per model call, in order

    async def on_chat_model_start(self, serialized, messages, **kwargs):
        self.counts.append(0)  # LangChain calls this as each chat model call begins: a new number

    async def on_llm_new_token(self, token, *, chunk=None, **kwargs):
        await super().on_llm_new_token(token, chunk=chunk, **kwargs)  # keep streaming
        self.counts[-1] += 1  # every chunk, the empty ones (role, finish reason, usage) included


# %% exercise: render-steps
async def steps_of(executor, question):
    """The tool names each model call asked for, one list per step, read from the live stream."""
    steps = [[]]
    async with executor.stream(question) as run:
        async for item in run:
            if item == STEP_END:
                steps.append([])
            else:
                steps[-1] += [piece["name"] for piece in item.tool_call_chunks if piece.get("name")]
    return steps
