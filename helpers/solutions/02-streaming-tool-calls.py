"""Solutions to the exercises of chapter 02 (`chapters/02-streaming-tool-calls.ipynb`).

Each section replaces the starter cell of the exercise it names; the chapter's
check cell then prints "Solved". `tests/test_exercises.py` runs the chapter with
these sections substituted, so they are kept working.
"""

# %% exercise: merge-by-index
import json


def tool_calls_from(chunks):
    """The complete tool calls in one step's streamed chunks, merged by index (no `+`)."""
    calls = {}  # index -> {"name": ..., "id": ..., "args": "the JSON text so far"}
    for chunk in chunks:
        for piece in chunk.tool_call_chunks:
            call = calls.setdefault(piece["index"], {"name": None, "id": None, "args": ""})
            call["name"] = call["name"] or piece["name"]
            call["id"] = call["id"] or piece["id"]
            call["args"] += piece["args"] or ""
    return [{"name": call["name"], "id": call["id"], "args": json.loads(call["args"])}
            for _, call in sorted(calls.items())]


# %% exercise: own-tool
from helpers.agent_executor import AgentExecutor
from helpers.tools import as_tool, final_answer_tool


def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"18 degrees and sunny in {city}"  # made up: a real tool would ask a weather service


weather_tool = as_tool(get_weather)
weather_executor = AgentExecutor(llm, [weather_tool, final_answer_tool])
