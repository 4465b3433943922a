"""Solutions to the exercises of chapter 05 (`chapters/05-streaming-web-app.ipynb`).

Each section replaces the starter cell of the exercise it names; the chapter's
check cell then prints "Solved". `tests/test_exercises.py` runs the chapter with
these sections substituted, so they are kept working.
"""

# %% exercise: step-event
from helpers.web_app import events
from helpers.web_app.events import EventTranslator


class StepTranslator(EventTranslator):
    """The app's translator, plus a `step` event when each model call starts."""

    def __init__(self):
        super().__init__()
        self.steps = 0

    def feed(self, event):
        sent = super().feed(event)
        if event["event"] == "on_chat_model_start":
            self.steps += 1
            sent = [events.Event("step", {"number": self.steps}), *sent]
        return sent


# %% exercise: reassemble
async def live_answer(client, session_id, question):
    """Yield (text, tools) as the answer is written: the text so far, the tools whose results have arrived."""
    text, tools = "", []
    body = {"session_id": session_id, "message": question}
    async with client.stream("POST", "/api/chat", json=body) as response:
        async for kind, data in read_events(response):
            if kind == "token":
                text += data["text"]
            elif kind == "tool_result":
                tools.append(data["name"])
            else:
                continue  # nothing new to show
            yield text, list(tools)  # a copy: the caller may keep it while the list grows
