"""Structured output from the course model: `with_structured_output` with all three methods, and
LangChain 1.x `create_agent(response_format=...)` with both strategies.

Every answer is validated with `jsonschema` against the schema LangChain sends, and the values the
question states must come back ("Alice is 30" → name Alice, age 30).
"""

from __future__ import annotations

import json
from typing import Any, Literal, Optional

import jsonschema
import pytest
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.tools import tool
from langchain_core.utils.function_calling import convert_to_json_schema
from pydantic import BaseModel, Field
from typing_extensions import Annotated, TypedDict


class Person(BaseModel):
    """A person the question talks about."""

    name: str = Field(description="the person's first name")
    age: int = Field(description="age in years", ge=0)
    email: Optional[str] = Field(default=None, description="e-mail address, if given")


class Day(BaseModel):
    day: str
    high: float


class WeatherReport(BaseModel):
    """A weather report for one city."""

    city: str
    unit: Literal["celsius", "fahrenheit"]
    days: list[Day] = Field(description="the forecast, day by day")


class Director(BaseModel):
    name: str


class Movie(BaseModel):
    """A film."""

    title: str
    year: int
    genres: list[Literal["comedy", "drama", "thriller"]]
    director: Director  # a $ref into $defs, as Pydantic emits it
    rating: Optional[float] = None


class Order(TypedDict):
    """A shop order."""

    item: Annotated[str, ..., "what is ordered"]
    quantity: Annotated[int, ..., "how many"]
    express: Annotated[bool, False, "express delivery"]  # optional, default False


TICKET = {  # a plain JSON-schema dict, with a nullable field
    "title": "Ticket",
    "description": "A support ticket.",
    "type": "object",
    "properties": {
        "priority": {"type": "string", "enum": ["low", "normal", "urgent"]},
        "summary": {"type": "string"},
        "assignee": {"anyOf": [{"type": "string"}, {"type": "null"}]},
    },
    "required": ["priority", "summary", "assignee"],
}

# schema, question, the values it states (checked in the answer)
SCHEMAS: list[tuple[Any, str, dict[str, Any]]] = [
    (Person, "Alice is 30.", {"name": "Alice", "age": 30}),
    (WeatherReport, "Give me the weather report for Oslo in fahrenheit.", {"city": "Oslo", "unit": "fahrenheit"}),
    (Movie, "'Inception' from 2010 is a thriller directed by Christopher Nolan.",
     {"title": "Inception", "year": 2010, "genres": ["thriller"], "director": {"name": "Christopher Nolan"}}),
    (Order, "Order 3 of 'blue mug', with express delivery on.", {"item": "blue mug", "quantity": 3, "express": True}),
    (TICKET, "Open an urgent ticket assigned to Priya.", {"priority": "urgent", "assignee": "Priya"}),
]
METHODS = ["json_schema", "function_calling", "json_mode"]


def as_dict(result: Any) -> dict[str, Any]:
    return result.model_dump() if isinstance(result, BaseModel) else result


def prompt(schema: Any, question: str, method: str) -> list[Any]:
    """json_mode sends no schema, so (as with a real model) the prompt carries it."""
    if method != "json_mode":
        return [HumanMessage(question)]
    schema_text = json.dumps(convert_to_json_schema(schema))
    return [SystemMessage(f"Answer with one JSON object valid for this JSON schema: {schema_text}"),
            HumanMessage(question)]


def check(result: Any, schema: Any, stated: dict[str, Any]) -> None:
    answer = as_dict(result)
    jsonschema.validate(answer, convert_to_json_schema(schema))
    for key, value in stated.items():
        assert answer[key] == value, (key, answer)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("schema", "question", "stated"), SCHEMAS, ids=[q for _, q, _ in SCHEMAS])
def test_with_structured_output_invoke(make_llm, schema, question, stated, method):
    result = make_llm().with_structured_output(schema, method=method).invoke(prompt(schema, question, method))
    check(result, schema, stated)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("schema", "question", "stated"), SCHEMAS, ids=[q for _, q, _ in SCHEMAS])
async def test_with_structured_output_astream(make_llm, schema, question, stated, method):
    chunks = [chunk async for chunk in make_llm().with_structured_output(schema, method=method).astream(
        prompt(schema, question, method))]
    assert chunks
    check(chunks[-1], schema, stated)


def test_json_schema_answers_stream_token_by_token(make_llm):
    llm = make_llm().bind(response_format={"type": "json_schema", "json_schema": {
        "name": "Person", "schema": Person.model_json_schema(), "strict": False}})
    chunks = [chunk.content for chunk in llm.stream("Alice is 30.")]
    assert len([c for c in chunks if c]) > 5
    assert json.loads("".join(chunks))["name"] == "Alice"


def test_json_object_without_keys_wraps_the_answer(make_llm):
    text = make_llm().bind(response_format={"type": "json_object"}).invoke("What is NLP?").content
    assert "natural language processing" in json.loads(text)["answer"].lower()


def test_json_object_uses_the_keys_the_question_names(make_llm):
    text = make_llm().bind(response_format={"type": "json_object"}).invoke(
        "Tell me a joke. Return JSON with 'setup' and 'punchline' keys.").content
    assert set(json.loads(text)) == {"setup", "punchline"}


def test_the_table_is_large_enough():
    assert len(SCHEMAS) >= 4 and len(METHODS) == 3


# --- create_agent(response_format=...) -----------------------------------------------------------


@tool
def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"It is 21 degrees and sunny in {city}."


class Forecast(BaseModel):
    """The weather, as the agent reports it."""

    city: str
    temperature: float
    summary: str


@pytest.mark.parametrize("strategy", ["tool", "provider"])
def test_create_agent_with_a_response_format(make_llm, strategy):
    from langchain.agents import create_agent
    from langchain.agents.structured_output import ProviderStrategy, ToolStrategy

    response_format = ToolStrategy(Forecast) if strategy == "tool" else ProviderStrategy(Forecast)
    agent = create_agent(make_llm(), tools=[get_weather], response_format=response_format)
    state = agent.invoke({"messages": [HumanMessage("What is the weather in Lisbon?")]}, {"recursion_limit": 12})
    calls = [call["name"] for message in state["messages"] for call in getattr(message, "tool_calls", [])]
    assert calls[0] == "get_weather"
    report = state["structured_response"]
    assert isinstance(report, Forecast)
    assert report.city == "Lisbon" and report.temperature == 21
