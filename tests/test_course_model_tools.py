"""Any tool, through `ChatOpenAI.bind_tools`: the course model picks the tool a question needs, fills its
arguments from the question, and answers with the tool's result, whatever shape that result has.

Every question here is offered ALL the tools below at once, as a learner's agent would offer them, so
each row checks the choice as well as the arguments. None of them is arithmetic.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import ToolException, tool
from pydantic import BaseModel


@tool
def get_weather(city: str, unit: Literal["celsius", "fahrenheit"] = "celsius") -> str:
    """Get the current weather in a city."""
    return f"18 degrees {unit} and sunny in {city}"


@tool
def lookup_capital(country: str) -> str:
    """Look up the capital city of a country."""
    return {"Japan": "Tokyo", "France": "Paris", "Kenya": "Nairobi"}.get(country, "unknown")


@tool
def convert_currency(amount: float, from_currency: str, to_currency: str) -> dict:
    """Convert an amount of money from one currency to another."""
    return {"amount": round(amount * 0.92, 2), "currency": to_currency}


@tool
def search_docs(query: str) -> str:
    """Search the course documentation for a query."""
    return json.dumps([{"title": f"Streaming guide ({query})", "url": "https://example.com/streaming"}])


@tool
def list_files() -> str:
    """List the files in the current project folder."""
    return json.dumps(["README.md", "pyproject.toml", "chapters"])


@tool
def set_alarm(time: str, days: list[str]) -> str:
    """Set an alarm clock for a time on some days of the week."""
    return f"Alarm set for {time} on {', '.join(days)}."


@tool
def toggle_light(on: bool) -> str:
    """Switch the room light on or off."""
    return "The light is now " + ("on" if on else "off") + "."


@tool
def get_stock_price(symbol: str) -> float:
    """Get the latest stock price for a ticker symbol."""
    return 187.25


@tool
def translate(text: str, target_language: str) -> str:
    """Translate a text into another language."""
    return "bonjour" if target_language == "French" else text


@tool
def send_email(to: str, subject: str) -> str:
    """Send an email message to an address."""
    return f"Email queued for {to}"


@tool
def get_time(timezone: str) -> str:
    """Get the current time in a timezone or city."""
    return "09:41"


@tool
def roll_dice(sides: int = 6, count: int = 1) -> int:
    """Roll a die with the given number of sides."""
    return sum(sides - 1 - throw for throw in range(count))


@tool
def get_population(city: str) -> dict:
    """Get the population of a city."""
    return {"city": city, "population": 3850809}


@tool
def book_table(restaurant: str, people: int, time: str) -> str:
    """Book a table at a restaurant for some people at a time."""
    return f"Booked: table for {people} at {restaurant}, {time}. Confirmation ABC123."


@tool
def define_word(word: str) -> str:
    """Give the dictionary definition of a word."""
    return f"{word}: the occurrence of events by chance in a happy way."


@tool
def count_words(text: str) -> int:
    """Count the words in a text."""
    return len(text.split())


@tool
def get_news(topic: str, limit: int = 5) -> str:
    """Get the latest news headlines about a topic."""
    return "\n".join(f"{topic} headline {i}" for i in range(1, limit + 1))


@tool
def create_user(name: str, age: int, admin: bool = False) -> str:
    """Create a user account with a name and an age."""
    return json.dumps({"id": 42, "name": name, "age": age, "admin": admin})


@tool
def reverse_string(text: str) -> str:
    """Reverse a string of characters."""
    return text[::-1]


@tool
def set_volume(level: int) -> str:
    """Set the speaker volume to a level."""
    return f"Volume set to {level}."


@tool
def get_directions(origin: str, destination: str) -> str:
    """Get travel directions from an origin to a destination."""
    return "Take the Eurostar: 2 hours 16 minutes."


@tool
def check_order_status(order_id: str) -> str:
    """Check the delivery status of an order."""
    if order_id == "99999":
        raise ToolException(f"order {order_id} does not exist")
    return "Order shipped, arriving Thursday."


TOOLS = [get_weather, lookup_capital, convert_currency, search_docs, list_files, set_alarm, toggle_light,
         get_stock_price, translate, send_email, get_time, roll_dice, get_population, book_table, define_word,
         count_words, get_news, create_user, reverse_string, set_volume, get_directions, check_order_status]
for _tool in TOOLS:
    _tool.handle_tool_error = True  # an error becomes the ToolMessage's text, as in an agent
BY_NAME = {t.name: t for t in TOOLS}

# question, the calls it should make (name, arguments), and a piece of the tool's result the answer must use
CASES: list[tuple[str, list[tuple[str, dict[str, Any]]], str]] = [
    ("What's the weather in Paris in fahrenheit?", [("get_weather", {"city": "Paris", "unit": "fahrenheit"})],
     "18 degrees fahrenheit"),
    ("What is the weather like in Oslo?", [("get_weather", {"city": "Oslo", "unit": "celsius"})], "sunny"),
    ("What is the capital of Japan?", [("lookup_capital", {"country": "Japan"})], "Tokyo"),
    ("Convert 100 USD to EUR", [("convert_currency", {"amount": 100, "from_currency": "USD",
                                                      "to_currency": "EUR"})], "92"),
    ("Search the docs for streaming callbacks", [("search_docs", {"query": "streaming callbacks"})],
     "Streaming guide"),
    ("List the files in my project", [("list_files", {})], "pyproject.toml"),
    ("Set an alarm for 07:30 on Monday and Friday", [("set_alarm", {"time": "07:30", "days": ["Monday", "Friday"]})],
     "Alarm set"),
    ("Please turn the light off", [("toggle_light", {"on": False})], "now off"),
    ("Switch the light on", [("toggle_light", {"on": True})], "now on"),
    ("What is the stock price of AAPL?", [("get_stock_price", {"symbol": "AAPL"})], "187.25"),
    ("Translate 'good morning' into French", [("translate", {"text": "good morning", "target_language": "French"})],
     "bonjour"),
    ("Send an email to alice@example.com with the subject 'Lunch'",
     [("send_email", {"to": "alice@example.com", "subject": "Lunch"})], "queued"),
    ("What time is it in Tokyo?", [("get_time", {"timezone": "Tokyo"})], "09:41"),
    ("Roll a die with 20 sides", [("roll_dice", {"sides": 20, "count": 1})], "19"),
    ("Roll a die", [("roll_dice", {"sides": 6, "count": 1})], "5"),
    ("How many people live in Berlin?", [("get_population", {"city": "Berlin"})], "3850809"),
    ("Book a table at Luigi's for 4 people at 19:00",
     [("book_table", {"restaurant": "Luigi's", "people": 4, "time": "19:00"})], "ABC123"),
    ("Define the word 'serendipity'", [("define_word", {"word": "serendipity"})], "happy way"),
    ("How many words are in 'the quick brown fox'?", [("count_words", {"text": "the quick brown fox"})], "4"),
    ("Get the latest 3 news headlines about Python", [("get_news", {"topic": "Python", "limit": 3})],
     "Python headline 3"),
    ("Create a user named Alice who is 30", [("create_user", {"name": "Alice", "age": 30, "admin": False})], "42"),
    ("Reverse the string 'hello'", [("reverse_string", {"text": "hello"})], "olleh"),
    ("Set the volume to 7", [("set_volume", {"level": 7})], "Volume set to 7"),
    ("How do I get from London to Paris?", [("get_directions", {"origin": "London", "destination": "Paris"})],
     "Eurostar"),
    ("What is the status of order 12345?", [("check_order_status", {"order_id": "12345"})], "Thursday"),
    ("What is the status of order 99999?", [("check_order_status", {"order_id": "99999"})], "does not exist"),
    ("How hot is it in Cairo?", [("get_weather", {"city": "Cairo", "unit": "celsius"})], "sunny in Cairo"),
    ("What does 'ephemeral' mean?", [("define_word", {"word": "ephemeral"})], "happy way"),
    ("Create an admin user named Bob aged 41", [("create_user", {"name": "Bob", "age": 41, "admin": True})],
     "admin: true"),
    # currency names become ISO codes for a parameter that is a currency (issue 11 follow-up)
    ("What's 100 euros in dollars?", [("convert_currency", {"amount": 100, "from_currency": "EUR",
                                                           "to_currency": "USD"})], "92"),
    ("How many dollars is 50 pounds?", [("convert_currency", {"amount": 50, "from_currency": "GBP",
                                                             "to_currency": "USD"})], "46"),
    ("Convert €20 into Japanese yen", [("convert_currency", {"amount": 20, "from_currency": "EUR",
                                                            "to_currency": "JPY"})], "18.4"),
    # free text without quotes: what the clause says besides the tool's verb and the other arguments
    ("Translate hello into Spanish", [("translate", {"text": "hello", "target_language": "Spanish"})], "hello"),
    ("Reverse the word stressed", [("reverse_string", {"text": "stressed"})], "desserts"),
    ("Look up streaming callbacks in the docs", [("search_docs", {"query": "streaming callbacks"})],
     "Streaming guide"),
    ("What does ephemeral mean?", [("define_word", {"word": "ephemeral"})], "happy way"),
    # numbers written as words
    ("Roll two dice with twenty sides", [("roll_dice", {"sides": 20, "count": 2})], "37"),
    ("Set the volume to seven", [("set_volume", {"level": 7})], "Volume set to 7"),
    ("Get the latest three news headlines about Python", [("get_news", {"topic": "Python", "limit": 3})],
     "Python headline 3"),
    # independent calls in one question go out together
    ("What is the weather in Paris, London and Rome?",
     [("get_weather", {"city": city, "unit": "celsius"}) for city in ("Paris", "London", "Rome")], "London"),
    ("What's the weather in Paris and in Oslo?",
     [("get_weather", {"city": "Paris", "unit": "celsius"}), ("get_weather", {"city": "Oslo", "unit": "celsius"})],
     "Oslo"),
    ("What is the capital of Kenya and the weather in Oslo?",
     [("lookup_capital", {"country": "Kenya"}), ("get_weather", {"city": "Oslo", "unit": "celsius"})], "Nairobi"),
]


def run_tools(message: AIMessage) -> list[ToolMessage]:
    return [BY_NAME[call["name"]].invoke(call) for call in message.tool_calls]


@pytest.mark.parametrize(("question", "calls", "used"), CASES, ids=[case[0] for case in CASES])
def test_the_right_tool_with_the_right_arguments_then_an_answer_that_uses_the_result(make_llm, question, calls,
                                                                                      used):
    llm = make_llm().bind_tools(TOOLS)
    first = llm.invoke([HumanMessage(question)])
    assert [(call["name"], call["args"]) for call in first.tool_calls] == calls, first.content
    for call in first.tool_calls:
        BY_NAME[call["name"]].args_schema.model_validate(call["args"])  # schema-valid
    results = run_tools(first)
    second = llm.invoke([HumanMessage(question), first, *results])
    assert not second.tool_calls, second.tool_calls
    assert used in second.text, second.text


def test_the_table_is_large_enough():
    assert len(TOOLS) >= 20 and len(CASES) >= 20


def test_one_call_at_a_time_when_parallel_calls_are_off(make_llm):
    llm = make_llm().bind_tools(TOOLS, parallel_tool_calls=False)
    messages: list[Any] = [HumanMessage("What's the weather in Paris and in Oslo?")]
    cities = []
    for _ in range(3):
        reply = llm.invoke(messages)
        if not reply.tool_calls:
            break
        assert len(reply.tool_calls) == 1
        cities.append(reply.tool_calls[0]["args"]["city"])
        messages += [reply, *run_tools(reply)]
    assert cities == ["Paris", "Oslo"]
    assert "Paris" in reply.text and "Oslo" in reply.text


def test_a_missing_required_argument_is_asked_for_not_invented(make_llm):
    reply = make_llm().bind_tools([lookup_capital]).invoke("What is the capital?")
    assert not reply.tool_calls
    assert "country" in reply.text


def test_a_question_no_tool_fits_is_answered_in_text(make_llm):
    reply = make_llm().bind_tools(TOOLS).invoke("What is NLP?")
    assert not reply.tool_calls and "natural language processing" in reply.text.lower()


@pytest.mark.parametrize(
    "result",
    ["20", "The add tool returned 20", '{"result": 20}', "The sum of 12 and 8 is 20.", "20.0"],
)
def test_arithmetic_reads_its_results_in_any_shape(make_llm, result):
    from helpers.tools import TOOLS as COURSE_TOOLS

    llm = make_llm().bind_tools(COURSE_TOOLS, tool_choice="any")
    first = llm.invoke("What is 12 + 8?")
    assert first.tool_calls[0]["name"] == "add"
    second = llm.invoke([HumanMessage("What is 12 + 8?"), first,
                         ToolMessage(result, tool_call_id=first.tool_calls[0]["id"])])
    assert second.tool_calls[0]["name"] == "final_answer", second.tool_calls
    assert second.tool_calls[0]["args"]["answer"] == "12 + 8 is 20."


@pytest.mark.parametrize(
    ("question", "expected"),
    [("Multiply 12 by 12 and then subtract 4", 140), ("Take 3 to the power of 4, subtract 5, then multiply by 2", 152),
     ("Add 2 and 3, then multiply the result by 4", 20)],
)
def test_arithmetic_chains(make_llm, question, expected):
    from helpers.agent_executor import AgentExecutor
    from helpers.tools import TOOLS as COURSE_TOOLS

    result = AgentExecutor(make_llm(), COURSE_TOOLS, max_iterations=8).invoke(question)
    assert result.finished and result.answer.endswith(f" is {expected}."), result.answer


# --- the course's own executors, with a learner's tools ------------------------------------------


def test_the_course_executor_runs_a_learners_tool_and_ends_with_final_answer(make_llm):
    from helpers.agent_executor import AgentExecutor
    from helpers.tools import final_answer_tool

    result = AgentExecutor(make_llm(), [get_weather, lookup_capital, final_answer_tool]).invoke(
        "What's the weather in Paris and in Oslo?")
    assert result.finished
    assert "18 degrees celsius and sunny in Paris" in result.answer and "in Oslo" in result.answer
    assert result.tools_used == ["get_weather"]


async def test_the_streaming_executor_runs_a_learners_tool(make_llm):
    from helpers.streaming_executor import StreamingAgentExecutor
    from helpers.tools import final_answer_tool

    result = await StreamingAgentExecutor(make_llm(), [lookup_capital, final_answer_tool]).ainvoke(
        "What is the capital of Japan?")
    assert result.finished and "Tokyo" in result.answer and result.tools_used == ["lookup_capital"]


def test_the_course_executor_asks_for_a_missing_argument_through_final_answer(make_llm):
    from helpers.agent_executor import AgentExecutor
    from helpers.tools import final_answer_tool

    result = AgentExecutor(make_llm(), [lookup_capital, final_answer_tool]).invoke("What is the capital?")
    assert result.finished and "country" in result.answer and result.tools_used == []


# --- currencies in a schema that says codes, or names ----------------------------------------


@tool
def exchange_rate(base: Literal["USD", "EUR", "GBP", "JPY"], quote: Literal["USD", "EUR", "GBP", "JPY"]) -> float:
    """Get the exchange rate between two currencies."""
    return 0.86


@tool
def price_in(amount: float, currency: Literal["dollar", "euro", "pound"]) -> str:
    """Say a price in a currency, spelled out."""
    return f"{amount} {currency}s"


@pytest.mark.parametrize(("question", "tools", "call"), [
    ("What is the exchange rate from euros to pounds?", [exchange_rate, lookup_capital],
     ("exchange_rate", {"base": "EUR", "quote": "GBP"})),
    ("Say 12 GBP as a price in words", [price_in, lookup_capital], ("price_in", {"amount": 12, "currency": "pound"})),
])
def test_currency_names_follow_what_the_schema_asks_for(make_llm, question, tools, call):
    first = make_llm().bind_tools(tools).invoke(question)
    assert [(c["name"], c["args"]) for c in first.tool_calls] == [call]


def test_a_currency_table_never_touches_a_parameter_that_is_not_a_currency(make_llm):
    first = make_llm().bind_tools([lookup_capital]).invoke("What is the capital of the country that uses the euro?")
    # The question names no country, only a currency: the model asks which country (as a careful model would)
    # rather than calling the tool with the currency's code "EUR" as the country.
    assert first.tool_calls == [], first.tool_calls
    assert "country" in first.text and first.text.rstrip().endswith("?"), first.text


@pytest.mark.parametrize(("question", "country"), [
    ("What is the capital of France, a country that uses the euro?", "France"),
    ("Which capital does Japan, the country of the yen, have?", "Japan"),
])
def test_beside_a_currency_the_country_named_is_the_argument(make_llm, question, country):
    first = make_llm().bind_tools([lookup_capital]).invoke(question)
    assert [(c["name"], c["args"]) for c in first.tool_calls] == [("lookup_capital", {"country": country})]


# --- a learner's tool named like a type is still a tool ----------------------------------------


@tool
def GetWeather(city: str) -> str:  # noqa: N802 - a learner's naming, on purpose
    """Get the current weather in a city."""
    return f"Cloudy in {city}."


@tool
def GetCapital(country: str) -> str:  # noqa: N802
    """Get the capital city of a country."""
    return "Lisbon"


class WeatherTool(BaseModel):
    """Look up the current weather in a city."""

    city: str


@pytest.mark.parametrize("weather", [GetWeather, WeatherTool], ids=["GetWeather", "WeatherTool"])
@pytest.mark.parametrize("choice", ["auto", "any"])
def test_a_learners_tool_named_like_a_type_is_called_for_its_job(make_llm, weather, choice):
    from helpers.tools import final_answer_tool

    tools = [lookup_capital, weather, get_stock_price, *([final_answer_tool] if choice == "any" else [])]
    first = make_llm().bind_tools(tools, tool_choice=choice).invoke("What is the weather in Lisbon?")
    name = weather.name if hasattr(weather, "name") else weather.__name__
    assert [(c["name"], c["args"]) for c in first.tool_calls] == [(name, {"city": "Lisbon"})]


class Forecast(BaseModel):
    """The weather, as the agent reports it."""

    city: str
    summary: str


def test_tool_strategy_beside_a_learners_type_named_tool_does_the_work_first(make_llm):
    from langchain.agents import create_agent
    from langchain.agents.structured_output import ToolStrategy

    agent = create_agent(make_llm(), tools=[GetCapital, get_stock_price, GetWeather],
                         response_format=ToolStrategy(Forecast))
    state = agent.invoke({"messages": [HumanMessage("What is the weather in Lisbon?")]}, {"recursion_limit": 12})
    calls = [(c["name"], c["args"]) for m in state["messages"] for c in getattr(m, "tool_calls", [])]
    assert calls[0] == ("GetWeather", {"city": "Lisbon"}) and calls[-1][0] == "Forecast", calls
    assert state["structured_response"].city == "Lisbon"
