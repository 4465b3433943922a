# Wrong-but-plausible solutions to chapter 03's exercises; tests/test_exercises.py runs each in place of
# its starter and expects the check to say "Not yet" with the words after the "|".

# %% mistake: count-per-step | did not change
# Hard-coded: the counts the chapter's own question streams on the course model.
class CountingHandler(QueueCallbackHandler):
    def __init__(self):
        super().__init__()
        self.counts = [13, 15, 23]


# %% mistake: count-per-step | extra 0
# The old check's hint followed literally: start from [0] and append 0 in on_llm_end.
class CountingHandler(QueueCallbackHandler):
    def __init__(self):
        super().__init__()
        self.counts = [0]

    async def on_llm_new_token(self, token, *, chunk=None, **kwargs):
        await super().on_llm_new_token(token, chunk=chunk, **kwargs)
        self.counts[-1] += 1

    async def on_llm_end(self, response, **kwargs):
        await super().on_llm_end(response, **kwargs)
        self.counts.append(0)


# %% mistake: count-per-step | start with an extra 0
# Follows the new hint (on_chat_model_start) but keeps the old starting [0].
class CountingHandler(QueueCallbackHandler):
    def __init__(self):
        super().__init__()
        self.counts = [0]

    async def on_chat_model_start(self, serialized, messages, **kwargs):
        self.counts.append(0)

    async def on_llm_new_token(self, token, *, chunk=None, **kwargs):
        await super().on_llm_new_token(token, chunk=chunk, **kwargs)
        self.counts[-1] += 1


# %% mistake: count-per-step | left out the chunks
# Counts only the chunks that carry something to show, not the metadata chunks.
class CountingHandler(QueueCallbackHandler):
    def __init__(self):
        super().__init__()
        self.counts = []

    async def on_chat_model_start(self, serialized, messages, **kwargs):
        self.counts.append(0)

    async def on_llm_new_token(self, token, *, chunk=None, **kwargs):
        await super().on_llm_new_token(token, chunk=chunk, **kwargs)
        if token or chunk.message.tool_call_chunks:
            self.counts[-1] += 1


# %% mistake: count-per-step | while the run streams
# Right numbers, but only once the run has ended: the counts are made from a log when the handler closes.
class CountingHandler(QueueCallbackHandler):
    def __init__(self):
        super().__init__()
        self.counts, self.log = [], []

    async def on_llm_new_token(self, token, *, chunk=None, run_id=None, **kwargs):
        await super().on_llm_new_token(token, chunk=chunk, run_id=run_id, **kwargs)
        self.log.append(run_id)

    def close(self, error=None):
        super().close(error)
        self.counts = list({run: self.log.count(run) for run in self.log}.values())


# %% mistake: count-per-step | share one counts list
# The list lives in the class body: every handler adds to the same one.
class CountingHandler(QueueCallbackHandler):
    counts = []

    async def on_chat_model_start(self, serialized, messages, **kwargs):
        self.counts.append(0)

    async def on_llm_new_token(self, token, *, chunk=None, **kwargs):
        await super().on_llm_new_token(token, chunk=chunk, **kwargs)
        self.counts[-1] += 1


# %% mistake: count-per-step | on_chat_model_start
# Counts into counts[-1] but never starts a number: IndexError inside a callback, which LangChain only logs.
class CountingHandler(QueueCallbackHandler):
    def __init__(self):
        super().__init__()
        self.counts = []

    async def on_llm_new_token(self, token, *, chunk=None, **kwargs):
        await super().on_llm_new_token(token, chunk=chunk, **kwargs)
        self.counts[-1] += 1


# %% mistake: count-per-step | super().on_llm_new_token
# Counts, but no longer streams: the reader gets no chunk.
class CountingHandler(QueueCallbackHandler):
    def __init__(self):
        super().__init__()
        self.counts = []

    async def on_chat_model_start(self, serialized, messages, **kwargs):
        self.counts.append(0)

    async def on_llm_new_token(self, token, *, chunk=None, **kwargs):
        self.counts[-1] += 1


# %% mistake: render-steps | never called executor.stream
# Hard-coded: the steps of the chapter's own question.
async def steps_of(executor, question):
    return [["add", "add"], ["multiply"], ["final_answer"]]


# %% mistake: render-steps | executor.ainvoke
# Waits for the whole run and reads the steps from its scratchpad.
async def steps_of(executor, question):
    result = await executor.ainvoke(question)
    return [[call["name"] for call in message.tool_calls] for message in result.scratchpad if message.type == "ai"]


# %% mistake: render-steps | run.result.scratchpad
# Streams, but ignores the items and reads the finished run.
async def steps_of(executor, question):
    async with executor.stream(question) as run:
        async for item in run:
            pass
    return [[call["name"] for call in message.tool_calls] for message in run.result.scratchpad if message.type == "ai"]


# %% mistake: render-steps | same tool twice
# Keeps each name once per step, so two calls of one tool in a step become one.
async def steps_of(executor, question):
    steps = [[]]
    async with executor.stream(question) as run:
        async for item in run:
            if item == STEP_END:
                steps.append([])
            else:
                for piece in item.tool_call_chunks:
                    if piece.get("name") and piece["name"] not in steps[-1]:
                        steps[-1].append(piece["name"])
    return steps


# %% mistake: render-steps | not None
# Takes every piece's name, and the later pieces of a call have none.
async def steps_of(executor, question):
    steps = [[]]
    async with executor.stream(question) as run:
        async for item in run:
            if item == STEP_END:
                steps.append([])
            else:
                steps[-1] += [piece["name"] for piece in item.tool_call_chunks]
    return steps


# %% mistake: render-steps | one list
# Never splits at STEP_END.
async def steps_of(executor, question):
    names = []
    async with executor.stream(question) as run:
        async for item in run:
            if item != STEP_END:
                names += [piece["name"] for piece in item.tool_call_chunks if piece.get("name")]
    return [names]


# %% mistake: render-steps | a STEP_END marker is a str
# Reads tool_call_chunks before asking whether the item is a marker.
async def steps_of(executor, question):
    steps = [[]]
    async with executor.stream(question) as run:
        async for item in run:
            steps[-1] += [piece["name"] for piece in item.tool_call_chunks if piece.get("name")]
            if item == STEP_END:
                steps.append([])
    return steps
