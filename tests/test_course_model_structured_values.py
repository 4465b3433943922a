"""Structured answers hold the values a real model would take from the conversation.

Each row is a request the chapter 07 author sent and got a wrong answer to (/work/coord/structured-gaps.md):
lists written with commas and "and", arrays of objects with a value per item, phone numbers, keys a
`json_object` request names in a system message, LangChain's `PydanticOutputParser` format instructions,
answers after tool results, and free-text lists. Every answer is validated with `jsonschema`.
"""

from __future__ import annotations

import json
import time
from typing import Any

import jsonschema
import pytest
from langchain_core.output_parsers import PydanticOutputParser
from pydantic import BaseModel

from helpers.course_model.brain.answers import answer_for
from helpers.course_model.brain.brain import respond

STRINGS = {"type": "array", "items": {"type": "string"}}
TASK = {"type": "object", "properties": {"title": {"type": "string"},
                                         "priority": {"type": "string", "enum": ["low", "normal", "urgent"]}},
        "required": ["title", "priority"]}
PERSON = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
          "required": ["name", "age"]}


def schema_of(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(properties)}


def ask_json_schema(question: str, properties: dict[str, Any]) -> dict[str, Any]:
    schema = schema_of(properties)
    reply = respond([{"role": "user", "content": question}],
                    response_format={"type": "json_schema", "json_schema": {"name": "Answer", "schema": schema}})
    answer = json.loads(reply.text)
    jsonschema.validate(answer, schema)
    return answer


# question, properties, the exact answer
ROWS: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("Alice, Bob and Carol are on the team.", {"people": STRINGS}, {"people": ["Alice", "Bob", "Carol"]}),
    ("The team: Alice, Bob, Carol, Dave.", {"people": STRINGS}, {"people": ["Alice", "Bob", "Carol", "Dave"]}),
    ("A trip to Paris, Oslo and Rome, 6 nights.", {"cities": STRINGS, "nights": {"type": "integer"}},
     {"cities": ["Paris", "Oslo", "Rome"], "nights": 6}),
    ("Buy milk, eggs, bread and coffee.", {"items": STRINGS}, {"items": ["milk", "eggs", "bread", "coffee"]}),
    ("I need fresh milk, brown eggs and bread for the party.", {"items": STRINGS},
     {"items": ["fresh milk", "brown eggs", "bread"]}),
    ("Pack a tent and a stove.", {"items": STRINGS}, {"items": ["tent", "stove"]}),
    ("Tasks: 'buy milk' (urgent), 'call the dentist' (normal) and 'send the report' (low).",
     {"tasks": {"type": "array", "items": TASK}},
     {"tasks": [{"title": "buy milk", "priority": "urgent"}, {"title": "call the dentist", "priority": "normal"},
                {"title": "send the report", "priority": "low"}]}),
    ("Alice is 30, Bob is 25 and Carol is 41.", {"people": {"type": "array", "items": PERSON}},
     {"people": [{"name": "Alice", "age": 30}, {"name": "Bob", "age": 25}, {"name": "Carol", "age": 41}]}),
    ("Alice is 30 and her phone is +47 555 0100.",
     {"name": {"type": "string"}, "age": {"type": "integer"}, "phone": {"type": "string"}},
     {"name": "Alice", "age": 30, "phone": "+47 555 0100"}),
    ("Call Bob on (555) 123-4567.", {"name": {"type": "string"}, "phone_number": {"type": "string"}},
     {"name": "Bob", "phone_number": "(555) 123-4567"}),
]


@pytest.mark.parametrize(("question", "properties", "expected"), ROWS, ids=[row[0] for row in ROWS])
def test_values_from_the_question(question, properties, expected):
    assert ask_json_schema(question, properties) == expected


def test_a_list_is_cut_to_max_items():
    schema = {"items": {"type": "array", "items": {"type": "string"}, "maxItems": 2}}
    assert ask_json_schema("Buy milk, eggs, bread and coffee.", schema) == {"items": ["milk", "eggs"]}


# --- json_object: the keys a system message names ------------------------------------------------------


class Resident(BaseModel):
    name: str
    age: int
    city: str


def ask_json_object(system: str, question: str = "Alice is 30 and lives in Oslo.") -> dict[str, Any]:
    reply = respond([{"role": "system", "content": system}, {"role": "user", "content": question}],
                    response_format={"type": "json_object"})
    return json.loads(reply.text)


@pytest.mark.parametrize("system", [
    "Answer in JSON with the keys name, age and city.",
    "Answer in JSON with the keys 'name', 'age' and 'city'.",
    'Reply with a JSON object with "name", "age" and "city" fields.',
    PydanticOutputParser(pydantic_object=Resident).get_format_instructions(),
], ids=["unquoted", "quoted", "double-quoted fields", "PydanticOutputParser"])
def test_json_object_keys_from_the_system_message(system):
    answer = ask_json_object(system)
    assert answer == {"name": "Alice", "age": 30, "city": "Oslo"}
    jsonschema.validate(answer, Resident.model_json_schema())


def test_a_word_after_keys_is_not_a_key_unless_it_is_meant_as_one():
    assert list(ask_json_object("Return JSON. The keys should be short.")) == ["answer"]
    assert ask_json_object("Answer in JSON with the key: age") == {"age": 30}


def test_pydantic_output_parser_through_chatopenai(make_llm):
    parser = PydanticOutputParser(pydantic_object=Resident)
    chain = make_llm().bind(response_format={"type": "json_object"}) | parser
    result = chain.invoke([("system", parser.get_format_instructions()), ("human", "Alice is 30 and lives in Oslo.")])
    assert result == Resident(name="Alice", age=30, city="Oslo")
    partials = list(make_llm().with_structured_output(Resident, method="json_mode").stream(
        [("system", parser.get_format_instructions()), ("human", "Alice is 30 and lives in Oslo.")]))
    assert partials and partials[-1] == Resident(name="Alice", age=30, city="Oslo")


# --- after tool results ----------------------------------------------------------------------------------

CALCULATION = schema_of({"expression": {"type": "string"}, "result": {"type": "number"},
                         "explanation": {"type": "string"}})
FORECAST = schema_of({"city": {"type": "string"}, "temperature": {"type": "number"}, "summary": {"type": "string"}})
MATH_TOOLS = [{"type": "function", "function": {"name": name, "description": f"{name.capitalize()} x and y.",
                                                 "parameters": schema_of({"x": {"type": "number"},
                                                                          "y": {"type": "number"}})}}
              for name in ("add", "multiply")]


def after_call(question: str, name: str, arguments: dict[str, Any], result: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": question},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": result}]


def json_schema_format(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": "Answer", "schema": schema}}


def test_a_calculation_after_a_tool_result_uses_it():
    messages = after_call("What is (2 + 3) * (4 + 5)?", "multiply", {"x": 5, "y": 9}, "45.0")
    answer = json.loads(respond(messages, response_format=json_schema_format(CALCULATION)).text)
    jsonschema.validate(answer, CALCULATION)
    assert answer["result"] == 45
    assert answer["expression"] == "(2 + 3) × (4 + 5)"
    assert "45" in answer["explanation"]


def test_a_forecast_after_a_tool_result_without_tools_offered():
    messages = after_call("What is the weather in Lisbon?", "get_weather", {"city": "Lisbon"},
                          "It is 21 degrees and sunny in Lisbon.")
    answer = json.loads(respond(messages, response_format=json_schema_format(FORECAST)).text)
    jsonschema.validate(answer, FORECAST)
    assert answer == {"city": "Lisbon", "temperature": 21, "summary": "The weather in Lisbon is 21 degrees and sunny."}


def test_a_summary_is_a_sentence_even_when_the_question_says_for():
    weather = {"type": "function", "function": {"name": "get_weather", "description": "Get the weather in a city.",
                                                "parameters": schema_of({"city": {"type": "string"}})}}
    messages = after_call("What is the weather for Lisbon?", "get_weather", {"city": "Lisbon"},
                          "It is 21 degrees and sunny in Lisbon.")
    answer = json.loads(respond(messages, [weather], response_format=json_schema_format(FORECAST)).text)
    assert answer["summary"] == "The weather for Lisbon is 21 degrees and sunny."


def test_a_summary_says_what_the_result_is():
    messages = after_call("What is the capital of Japan?", "lookup_capital", {"country": "Japan"}, "Tokyo")
    lookup = {"type": "function", "function": {"name": "lookup_capital", "description": "Look up a capital city.",
                                               "parameters": schema_of({"country": {"type": "string"}})}}
    summary = schema_of({"summary": {"type": "string"}})
    answer = json.loads(respond(messages, [lookup], response_format=json_schema_format(summary)).text)
    assert answer == {"summary": "The capital of Japan is Tokyo."}


def test_free_text_lists_take_several_sentences():
    answer = ask_json_schema("What is streaming?", {"points": STRINGS})
    sentences = answer_for("What is streaming?").split(". ")
    assert len(answer["points"]) >= 3
    assert all(point.rstrip(".") in [s.rstrip(".") for s in sentences] for point in answer["points"])


def test_a_tool_strategy_summary_is_a_sentence_not_a_quote(make_llm):
    from langchain.agents import create_agent
    from langchain.agents.structured_output import ToolStrategy
    from langchain_core.tools import tool

    @tool
    def get_weather(city: str) -> str:
        """Get the current weather in a city."""
        return f"It is 21 degrees and sunny in {city}."

    class Forecast(BaseModel):
        city: str
        temperature: float
        summary: str

    agent = create_agent(make_llm(), tools=[get_weather], response_format=ToolStrategy(Forecast))
    state = agent.invoke({"messages": [("user", "What is the weather in Lisbon?")]}, {"recursion_limit": 12})
    summary = state["structured_response"].summary
    assert "get_weather" not in summary and "returned" not in summary, summary
    assert summary == "The weather in Lisbon is 21 degrees and sunny."


# --- bounded ---------------------------------------------------------------------------------------------

# Seconds: a guard against runaway work (a backtracking pattern, a quadratic scan), not a speed; these take
# well under a second now, and a loaded machine can slow them tenfold and still pass.
RUNAWAY = 10.0

HOSTILE = {
    "60 KB list": "Buy " + ", ".join(f"item{i}" for i in range(8_000))[:60_000] + " and coffee.",
    "60 KB of tasks": "Tasks: " + ", ".join(f"'task {i}' (urgent)" for i in range(3_000))[:60_000],
    "60 KB of commas": ", " * 30_000,
    "60 KB of ands": "a and " * 10_000,
}


@pytest.mark.parametrize("question", HOSTILE.values(), ids=list(HOSTILE))
def test_hostile_lists_stay_fast_and_bounded(question):
    properties = {"items": STRINGS, "tasks": {"type": "array", "items": TASK}, "phone": {"type": "string"}}
    start = time.perf_counter()
    answer = ask_json_schema(question, properties)
    assert time.perf_counter() - start < RUNAWAY
    assert len(answer["items"]) <= 100 and len(answer["tasks"]) <= 100
    start = time.perf_counter()
    ask_json_object("Answer in JSON with the keys " + ", ".join(f"k{i}" for i in range(20_000)), question)
    assert time.perf_counter() - start < RUNAWAY
