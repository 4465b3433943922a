"""Wrong-but-plausible solutions to chapter 02's exercises; each must get its own "Not yet".

Format (see tests/test_exercises.py): `# %% mistake: <exercise> | <words the message must contain>`,
then the code that replaces the starter cell.
"""

# %% mistake: merge-by-index | without `+`
# Merges with `+`, which the exercise forbids (issue 24, 02·1).
def tool_calls_from(chunks):
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged = merged + chunk
    return [{"name": call["name"], "id": call["id"], "args": call["args"]} for call in merged.tool_calls]


# %% mistake: merge-by-index | without `+`
# `+` in disguise: LangChain's own merge function, called by hand.
from langchain_core.messages.ai import add_ai_message_chunks


def tool_calls_from(chunks):
    merged = add_ai_message_chunks(chunks[0], *chunks[1:])
    return [{"name": call["name"], "id": call["id"], "args": call["args"]} for call in merged.tool_calls]


# %% mistake: merge-by-index | keep one text per index
# Joins every fragment into one text: with two calls, their arguments run together ("Extra data").
import json


def tool_calls_from(chunks):
    name, call_id, args = None, None, ""
    for chunk in chunks:
        for piece in chunk.tool_call_chunks:
            name = name or piece["name"]
            call_id = call_id or piece["id"]
            args += piece["args"] or ""
    return [{"name": name, "id": call_id, "args": json.loads(args)}] if args else []


# %% mistake: merge-by-index | only a call's first fragment
# Keys the calls by id: later fragments have no id, so their arguments land under None.
import json


def tool_calls_from(chunks):
    calls = {}
    for chunk in chunks:
        for piece in chunk.tool_call_chunks:
            call = calls.setdefault(piece["id"], {"name": piece["name"], "id": piece["id"], "args": ""})
            call["args"] += piece["args"] or ""
    return [{"name": call["name"], "id": call["id"], "args": json.loads(call["args"])}
            for call in calls.values() if call["id"] is not None]


# %% mistake: merge-by-index | name
# Overwrites the name and id with every fragment's, so the later fragments' None wins.
import json


def tool_calls_from(chunks):
    calls = {}
    for chunk in chunks:
        for piece in chunk.tool_call_chunks:
            call = calls.setdefault(piece["index"], {"args": ""})
            call["name"], call["id"] = piece["name"], piece["id"]
            call["args"] += piece["args"] or ""
    return [{"name": call["name"], "id": call["id"], "args": json.loads(call["args"])}
            for _, call in sorted(calls.items())]


# %% mistake: merge-by-index | every piece
# Reads only the first fragment of each chunk; a chunk can carry fragments of several calls.
import json


def tool_calls_from(chunks):
    calls = {}
    for chunk in chunks:
        if chunk.tool_call_chunks:
            piece = chunk.tool_call_chunks[0]
            call = calls.setdefault(piece["index"], {"name": None, "id": None, "args": ""})
            call["name"] = call["name"] or piece["name"]
            call["id"] = call["id"] or piece["id"]
            call["args"] += piece["args"] or ""
    return [{"name": call["name"], "id": call["id"], "args": json.loads(call["args"])}
            for _, call in sorted(calls.items())]


# %% mistake: own-tool | city
# A weather tool that ignores its `city`: every report is about Paris (issue 24, 02·2).
from helpers.agent_executor import AgentExecutor
from helpers.tools import as_tool, final_answer_tool


def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return "18 degrees and sunny in Paris"


weather_tool = as_tool(get_weather)
weather_executor = AgentExecutor(llm, [weather_tool, final_answer_tool])


# %% mistake: own-tool | must be called `city`
# Type hints and docstring are there, but the argument is named `location`.
from helpers.agent_executor import AgentExecutor
from helpers.tools import as_tool, final_answer_tool


def get_weather(location: str) -> str:
    """Get the current weather in a city."""
    return f"18 degrees and sunny in {location}"


weather_tool = as_tool(get_weather)
weather_executor = AgentExecutor(llm, [weather_tool, final_answer_tool])


# %% mistake: own-tool | type hints
# No type hints: the schema the model sees has no type for `city`.
from helpers.agent_executor import AgentExecutor
from helpers.tools import as_tool, final_answer_tool


def get_weather(city):
    """Get the current weather in a city."""
    return f"18 degrees and sunny in {city}"


weather_tool = as_tool(get_weather)
weather_executor = AgentExecutor(llm, [weather_tool, final_answer_tool])


# %% mistake: own-tool | return the report
# Prints the report instead of returning it: the tool's result is None.
from helpers.agent_executor import AgentExecutor
from helpers.tools import as_tool, final_answer_tool


def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    print(f"18 degrees and sunny in {city}")


weather_tool = as_tool(get_weather)
weather_executor = AgentExecutor(llm, [weather_tool, final_answer_tool])


# %% mistake: own-tool | give weather_executor your tool
# The executor gets the course's math tools, not the weather tool.
from helpers.agent_executor import AgentExecutor
from helpers.tools import TOOLS, as_tool


def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"18 degrees and sunny in {city}"


weather_tool = as_tool(get_weather)
weather_executor = AgentExecutor(llm, TOOLS)


# %% mistake: merge-by-index | must read the chunks
# A hard-coded answer: the chapter's first step, whatever the chunks say.
def tool_calls_from(chunks):
    return [{"name": "add", "id": "call_36671039f087b614eb1d40d2", "args": {"x": 10, "y": 10}}]


# %% mistake: merge-by-index | without `+`
# `+` in disguise again: LangChain's list merge, called on the fragments by hand.
import json

from langchain_core.utils._merge import merge_lists


def tool_calls_from(chunks):
    pieces = merge_lists(*[chunk.tool_call_chunks for chunk in chunks]) or []
    return [{"name": piece["name"], "id": piece["id"], "args": json.loads(piece["args"])}
            for piece in sorted(pieces, key=lambda piece: piece["index"])]


# %% mistake: own-tool | any city
# Knows the weather of a few cities only: any other city raises KeyError.
from helpers.agent_executor import AgentExecutor
from helpers.tools import as_tool, final_answer_tool

WEATHER = {"Paris": "18 degrees and sunny", "London": "12 degrees and rain", "Rome": "24 degrees, clear"}


def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"{WEATHER[city]} in {city}"


weather_tool = as_tool(get_weather)
weather_executor = AgentExecutor(llm, [weather_tool, final_answer_tool])
