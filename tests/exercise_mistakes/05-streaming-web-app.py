"""Wrong-but-plausible solutions to chapter 05's exercises; `tests/test_exercises.py` runs each with its check.

Each section replaces the exercise's starter cell; the words after `|` must appear in the check's "Not yet".
"""

# %% mistake: step-event | on_chain_start
# Hard-coded: three steps when the run starts (the chapter's question takes three model calls).
from helpers.web_app import events
from helpers.web_app.events import EventTranslator


class StepTranslator(EventTranslator):
    def feed(self, event):
        sent = super().feed(event)
        if event["event"] == "on_chain_start" and not event["parent_ids"]:
            return [events.Event("step", {"number": n}) for n in (1, 2, 3)] + sent
        return sent

# %% mistake: step-event | count from 1
# The count lives on the class, so it goes on from one run to the next.
from helpers.web_app import events
from helpers.web_app.events import EventTranslator


class StepTranslator(EventTranslator):
    steps = 0

    def feed(self, event):
        sent = super().feed(event)
        if event["event"] == "on_chat_model_start":
            StepTranslator.steps += 1
            sent = [events.Event("step", {"number": StepTranslator.steps}), *sent]
        return sent

# %% mistake: step-event | when its model call starts
# A step counted when a tool starts, not when the model call starts.
from helpers.web_app import events
from helpers.web_app.events import EventTranslator


class StepTranslator(EventTranslator):
    def __init__(self):
        super().__init__()
        self.steps = 0

    def feed(self, event):
        sent = super().feed(event)
        if event["event"] == "on_tool_start":
            self.steps += 1
            sent = [events.Event("step", {"number": self.steps}), *sent]
        return sent

# %% mistake: step-event | when its model call starts
# The step sent when the model call ends, after its events.
from helpers.web_app import events
from helpers.web_app.events import EventTranslator


class StepTranslator(EventTranslator):
    def __init__(self):
        super().__init__()
        self.steps = 0

    def feed(self, event):
        sent = super().feed(event)
        if event["event"] == "on_chat_model_end":
            self.steps += 1
            sent = [events.Event("step", {"number": self.steps}), *sent]
        return sent

# %% mistake: step-event | model calls
# Right event, but the steps of the chapter's question sent all at once, at the first model call.
from helpers.web_app import events
from helpers.web_app.events import EventTranslator


class StepTranslator(EventTranslator):
    def __init__(self):
        super().__init__()
        self.started = False

    def feed(self, event):
        sent = super().feed(event)
        if event["event"] == "on_chat_model_start" and not self.started:
            self.started = True
            return [events.Event("step", {"number": n}) for n in (1, 2, 3)] + sent
        return sent

# %% mistake: reassemble | only with the `answer` event
# The text taken from the final `answer` event, not the tokens (tools yielded as they come).
async def live_answer(client, session_id, question):
    text, tools = "", []
    body = {"session_id": session_id, "message": question}
    async with client.stream("POST", "/api/chat", json=body) as response:
        async for kind, data in read_events(response):
            if kind == "tool_result":
                tools.append(data["name"])
                yield text, list(tools)
            elif kind == "answer":
                text = data["answer"]
                yield text, list(tools)

# %% mistake: reassemble | whole stream
# The whole body read first (client.post), then the events yielded.
async def live_answer(client, session_id, question):
    text, tools = "", []
    response = await client.post("/api/chat", json={"session_id": session_id, "message": question})
    async for kind, data in read_events(response):
        if kind == "token":
            text += data["text"]
        elif kind == "tool_result":
            tools.append(data["name"])
        yield text, list(tools)

# %% mistake: reassemble | whole stream
# Streams, but yields once, after the loop.
async def live_answer(client, session_id, question):
    text, tools = "", []
    body = {"session_id": session_id, "message": question}
    async with client.stream("POST", "/api/chat", json=body) as response:
        async for kind, data in read_events(response):
            if kind == "token":
                text += data["text"]
            elif kind == "tool_result":
                tools.append(data["name"])
    yield text, tools

# %% mistake: reassemble | tool_result events
# Tool names from every tool_call event (one per fragment of a call).
async def live_answer(client, session_id, question):
    text, tools = "", []
    body = {"session_id": session_id, "message": question}
    async with client.stream("POST", "/api/chat", json=body) as response:
        async for kind, data in read_events(response):
            if kind == "token":
                text += data["text"]
            elif kind == "tool_call":
                tools.append(data["name"])
            yield text, list(tools)

# %% mistake: reassemble | after the tool_result
# Yields only after tokens: a tool's result waits for the next token to be shown.
async def live_answer(client, session_id, question):
    text, tools = "", []
    body = {"session_id": session_id, "message": question}
    async with client.stream("POST", "/api/chat", json=body) as response:
        async for kind, data in read_events(response):
            if kind == "tool_result":
                tools.append(data["name"])
            elif kind == "token":
                text += data["text"]
                yield text, list(tools)

# %% mistake: reassemble | nothing between
# The tokens joined with spaces, as words.
async def live_answer(client, session_id, question):
    pieces, tools = [], []
    body = {"session_id": session_id, "message": question}
    async with client.stream("POST", "/api/chat", json=body) as response:
        async for kind, data in read_events(response):
            if kind == "token":
                pieces.append(data["text"])
            elif kind == "tool_result":
                tools.append(data["name"])
            yield " ".join(pieces), list(tools)
