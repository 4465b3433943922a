"""`tool_choice` exactly as OpenAI defines it, through `ChatOpenAI.bind_tools`.

"none" → text; "required" → at least one tool call; a named function → a call to that function with
arguments valid for its schema; "auto" → a call when a tool fits, text otherwise. Checked for arithmetic
and non-arithmetic questions, with and without `final_answer` among the tools.
"""

from __future__ import annotations

import itertools

import jsonschema
import pytest
from langchain_core.tools import tool
from langchain_core.utils.function_calling import convert_to_openai_tool

from helpers.tools import MATH_TOOLS, final_answer_tool


@tool
def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"Sunny in {city}."


QUESTIONS = {
    "arithmetic": "What is 6 times 7?",
    "weather": "What is the weather in Paris?",
    "no tool fits": "What is NLP?",
    "greeting": "Hello!",
}
CHOICES = ["auto", "required", "none", "multiply", "get_weather", "final_answer"]


def toolset(with_final_answer: bool) -> list:
    return [*MATH_TOOLS, get_weather, *([final_answer_tool] if with_final_answer else [])]


CASES = [
    (kind, choice, with_final)
    for kind, choice, with_final in itertools.product(QUESTIONS, CHOICES, [True, False])
    if not (choice == "final_answer" and not with_final)
]


@pytest.mark.parametrize(("kind", "choice", "with_final"), CASES, ids=[f"{k}-{c}-{'final' if f else 'nofinal'}"
                                                                       for k, c, f in CASES])
def test_tool_choice(make_llm, kind, choice, with_final):
    tools = toolset(with_final)
    message = make_llm().bind_tools(tools, tool_choice=choice).invoke(QUESTIONS[kind])
    schemas = {t.name: convert_to_openai_tool(t)["function"]["parameters"] for t in tools}
    for call in message.tool_calls:
        jsonschema.validate(call["args"], schemas[call["name"]])  # every call is schema-valid
    if choice == "none":
        assert not message.tool_calls and message.text
    elif choice == "required":
        assert message.tool_calls
    elif choice != "auto":
        assert message.tool_calls and message.tool_calls[0]["name"] == choice
    elif kind == "arithmetic":
        assert [call["name"] for call in message.tool_calls] == ["multiply"]
    elif kind == "weather":
        assert [(c["name"], c["args"]) for c in message.tool_calls] == [("get_weather", {"city": "Paris"})]
    else:
        assert not message.tool_calls and message.text


def test_named_weather_tool_fills_its_argument_from_the_question(make_llm):
    message = make_llm().bind_tools(toolset(True), tool_choice="get_weather").invoke("What is the weather in Oslo?")
    assert message.tool_calls[0]["args"] == {"city": "Oslo"}


def test_required_ends_through_final_answer_with_the_tool_result(make_llm):
    from langchain_core.messages import HumanMessage

    llm = make_llm().bind_tools(toolset(True), tool_choice="required")
    messages = [HumanMessage("What is the weather in Paris?")]
    first = llm.invoke(messages)
    assert first.tool_calls[0]["name"] == "get_weather"
    messages += [first, get_weather.invoke(first.tool_calls[0])]
    second = llm.invoke(messages)
    assert second.tool_calls[0]["name"] == "final_answer"
    assert "Sunny in Paris" in second.tool_calls[0]["args"]["answer"]
