"""The course model's brain, driven the way an agent drives it: call, run the tools, call again.

No HTTP here: `play` below is the client. It calls `respond`, runs the requested
tools with Python versions of the course's tools, appends the assistant and tool
messages in OpenAI's format, and repeats until the model answers.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from test_arithmetic import ARITHMETIC_CASES

from helpers.course_model.brain import answers
from helpers.course_model.brain.brain import respond
from helpers.course_model.brain.conversation import last_number
from helpers.course_model.brain.reply import Reply, ToolCall
from helpers.course_model.brain.toolbox import read_toolbox


def function_tool(name: str, description: str, parameters: tuple[str, ...] = ("x", "y")) -> dict[str, Any]:
    """An OpenAI function tool with number parameters, as LangChain sends a `@tool`."""
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": {parameter: {"type": "number"} for parameter in parameters},
                "required": list(parameters),
            },
        },
    }


FINAL_ANSWER_TOOL = {
    "type": "function",
    "function": {
        "name": "final_answer",
        "description": (
            "Use this tool to provide a final answer to the user. The answer should be in natural language as "
            "this will be provided to the user directly. The tools_used must include a list of tool names that "
            "were used within the `scratchpad`."
        ),
        "parameters": {
            "type": "object",
            "properties": {
                "answer": {"type": "string"},
                "tools_used": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["answer", "tools_used"],
        },
    },
}
ADD = function_tool("add", "Add 'x' and 'y'.")
SUBTRACT = function_tool("subtract", "Subtract 'x' from 'y'.")
MULTIPLY = function_tool("multiply", "Multiply 'x' and 'y'.")
EXPONENTIATE = function_tool("exponentiate", "Raise 'x' to the power of 'y'.")
COURSE_TOOLS = [ADD, SUBTRACT, MULTIPLY, EXPONENTIATE, FINAL_ANSWER_TOOL]

# The course's tools, as LangChain runs them: float arguments, the result sent back as str(float).
PYTHON_TOOLS: dict[str, Callable[[float, float], float]] = {
    "add": lambda x, y: x + y,
    "subtract": lambda x, y: y - x,
    "multiply": lambda x, y: x * y,
    "exponentiate": lambda x, y: x**y,
    "divide": lambda x, y: x / y,
}


@dataclass
class Run:
    """What happened in one played-out agent loop."""

    messages: list[dict[str, Any]]
    replies: list[Reply] = field(default_factory=list)
    final_answer: dict[str, Any] | None = None
    text: str | None = None

    @property
    def answer(self) -> str:
        return self.final_answer["answer"] if self.final_answer is not None else (self.text or "")

    @property
    def calls(self) -> list[list[ToolCall]]:
        """The tool calls of each turn, one list per model reply."""
        return [list(reply.tool_calls) for reply in self.replies if reply.tool_calls]


def play(
    messages: list[dict[str, Any]] | str,
    tools: list[dict[str, Any]] | None = COURSE_TOOLS,
    tool_choice: str | dict[str, Any] | None = "required",
    parallel: bool = True,
    python_tools: dict[str, Callable[[float, float], float]] = PYTHON_TOOLS,
    max_turns: int = 20,
) -> Run:
    """Play the client until the model answers with `final_answer` or text."""
    if isinstance(messages, str):
        messages = [{"role": "user", "content": messages}]
    run = Run(messages=list(messages))
    for turn in range(max_turns):
        reply = respond(run.messages, tools, tool_choice, parallel)
        run.replies.append(reply)
        if reply.text is not None:
            run.text = reply.text
            return run
        call_ids = [f"call_{turn}_{i}" for i in range(len(reply.tool_calls))]
        run.messages.append(assistant_calls(list(zip(call_ids, reply.tool_calls))))
        for call_id, call in zip(call_ids, reply.tool_calls):
            if call.name == "final_answer":
                run.final_answer = call.arguments
                return run
            run.messages.append(tool_result(call_id, run_tool(python_tools[call.name], call.arguments)))
    raise AssertionError(f"no answer after {max_turns} turns: {run.replies}")


def run_tool(tool: Callable[[float, float], float], arguments: dict[str, Any]) -> str:
    """The tool message's content: the result, or the error text an executor sends back."""
    x, y = (float(value) for value in arguments.values())
    try:
        result = tool(x, y)
    except ArithmeticError as error:
        return f"Error: {error!r}"
    return str(result) if isinstance(result, float) else f"Error: {result!r} is not a real number"


def assistant_calls(calls: list[tuple[str, ToolCall]]) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": call_id,
                "type": "function",
                "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
            }
            for call_id, call in calls
        ],
    }


def tool_result(call_id: str, content: str) -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": call_id, "content": content}


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def number_in(answer: str) -> float:
    number = last_number(answer)
    assert number is not None, answer
    return number


TOKEN = re.compile(r"\w+|[^\w\s]")


# -- the full tool loop -----------------------------------------------------------------------


@pytest.mark.parametrize(("question", "expected"), ARITHMETIC_CASES)
def test_tool_loop_answers_like_python(question: str, expected: float) -> None:
    run = play(question)
    assert run.final_answer is not None, run.replies
    assert math.isclose(number_in(run.answer), expected, rel_tol=1e-8, abs_tol=1e-9)
    used = [call.name for turn in run.calls for call in turn if call.name != "final_answer"]
    assert run.final_answer["tools_used"] == list(dict.fromkeys(used))


@pytest.mark.parametrize(("question", "expected"), ARITHMETIC_CASES)
def test_text_only_answers_like_python(question: str, expected: float) -> None:
    reply = respond([user(question)])
    assert reply.text is not None and reply.text.endswith(".")
    assert math.isclose(number_in(reply.text), expected, rel_tol=1e-8, abs_tol=1e-9)


def test_parallel_steps_come_together() -> None:
    run = play("What is (2 + 3) × (4 + 5)?")
    assert run.calls[0] == [ToolCall("add", {"x": 2, "y": 3}), ToolCall("add", {"x": 4, "y": 5})]
    assert run.calls[1] == [ToolCall("multiply", {"x": 5.0, "y": 9.0})]
    assert run.final_answer == {"answer": "(2 + 3) × (4 + 5) is 45.", "tools_used": ["add", "multiply"]}


def test_one_step_at_a_time_without_parallel_calls() -> None:
    run = play("What is (2 + 3) × (4 + 5)?", parallel=False)
    assert all(len(turn) == 1 for turn in run.calls)
    assert [turn[0].name for turn in run.calls] == ["add", "add", "multiply", "final_answer"]
    assert run.answer == "(2 + 3) × (4 + 5) is 45."


def test_steps_follow_precedence_left_to_right() -> None:
    run = play("What is 2 * 3 + 4 ^ 2 - 1?")
    assert run.calls[0] == [ToolCall("multiply", {"x": 2, "y": 3}), ToolCall("exponentiate", {"x": 4, "y": 2})]
    assert run.calls[1] == [ToolCall("add", {"x": 6.0, "y": 16.0})]
    assert run.calls[2] == [ToolCall("subtract", {"x": 1, "y": 22.0})]
    assert run.answer == "2 × 3 + 4 ^ 2 - 1 is 21."


def test_subtract_respects_the_documented_order() -> None:
    reply = respond([user("What is 10 minus 3?")], COURSE_TOOLS, "required")
    assert reply.tool_calls == (ToolCall("subtract", {"x": 3, "y": 10}),)
    assert all(isinstance(value, int) for value in reply.tool_calls[0].arguments.values())


@pytest.mark.parametrize("description", ["Return y - x.", "Computes y − x", "Subtracts a from b."])
def test_subtract_order_read_from_other_descriptions(description: str) -> None:
    parameters = ("a", "b") if " a " in description else ("x", "y")
    tool = function_tool("subtract", description, parameters)
    reply = respond([user("What is 10 - 3?")], [tool], "auto")
    assert reply.tool_calls == (ToolCall("subtract", {parameters[0]: 3, parameters[1]: 10}),)


def test_undocumented_subtract_is_first_minus_second() -> None:
    tool = function_tool("minus", "Subtract two numbers.", ("a", "b"))
    reply = respond([user("What is 10 - 3?")], [tool], "auto")
    assert reply.tool_calls == (ToolCall("minus", {"a": 10, "b": 3}),)


def test_tools_found_by_description_when_names_say_nothing() -> None:
    tools = [function_tool("tool_one", "Returns the product of a and b.", ("a", "b")),
             function_tool("tool_two", "Returns the sum of a and b.", ("a", "b"))]
    assert {op: tool.name for op, tool in read_toolbox(tools).math.items()} == {"*": "tool_one", "+": "tool_two"}
    reply = respond([user("What is 6 times 7?")], tools, "auto")
    assert reply.tool_calls == (ToolCall("tool_one", {"a": 6, "b": 7}),)


def test_division_without_a_divide_tool_uses_a_reciprocal() -> None:
    run = play("What is 84 / 4?")
    assert run.calls[0] == [ToolCall("exponentiate", {"x": 4, "y": -1})]
    assert run.calls[1] == [ToolCall("multiply", {"x": 84, "y": 0.25})]
    assert run.answer == "84 / 4 is 21."


def test_division_with_a_divide_tool() -> None:
    tools = [*COURSE_TOOLS, function_tool("divide", "Divide 'x' by 'y'.")]
    run = play("What is 84 / 4?", tools=tools)
    assert run.calls[0] == [ToolCall("divide", {"x": 84, "y": 4})]
    assert run.final_answer == {"answer": "84 / 4 is 21.", "tools_used": ["divide"]}


def test_missing_tool_means_the_model_answers_itself() -> None:
    run = play("What is 6 * 7?", tools=[ADD, FINAL_ANSWER_TOOL])
    assert len(run.replies) == 1
    assert run.final_answer == {"answer": "6 × 7 is 42.", "tools_used": []}


def test_later_steps_use_the_tool_results_not_our_arithmetic() -> None:
    off_by_one = {**PYTHON_TOOLS, "add": lambda x, y: x + y + 1}
    run = play("What is (2 + 3) * 10?", python_tools=off_by_one)
    assert run.calls[1] == [ToolCall("multiply", {"x": 6.0, "y": 10})]
    assert run.answer == "(2 + 3) × 10 is 60."


# -- follow-up questions ----------------------------------------------------------------------


def first_turn_with_final_answer() -> list[dict[str, Any]]:
    run = play("What is 10 + 10?")
    return [*run.messages, tool_result(run.messages[-1]["tool_calls"][0]["id"], "10 + 10 is 20.")]


def test_follow_up_uses_the_final_answer_in_history() -> None:
    history = first_turn_with_final_answer()
    run = play([*history, user("Now multiply that by 3")])
    assert run.calls[0] == [ToolCall("multiply", {"x": 20, "y": 3})]
    assert run.final_answer == {"answer": "20 × 3 is 60.", "tools_used": ["multiply"]}


@pytest.mark.parametrize(
    ("follow_up", "answer"),
    [
        ("And what is that divided by 4?", "20 / 4 is 5."),
        ("times 2", "20 × 2 is 40."),
        ("add 10 to it", "20 + 10 is 30."),
    ],
)
def test_follow_up_uses_the_text_answer_in_history(follow_up: str, answer: str) -> None:
    history = [user("What is 10 + 10?"), {"role": "assistant", "content": "10 + 10 is 20."}]
    assert play([*history, user(follow_up)], tool_choice="auto").answer == answer


def test_follow_up_without_a_previous_answer_is_honest() -> None:
    question = [user("Now multiply that by 3")]
    assert respond(question, COURSE_TOOLS, "auto") == Reply(text=answers.NO_PREVIOUS_ANSWER)
    required = respond(question, COURSE_TOOLS, "required")
    assert required.tool_calls == (ToolCall("final_answer", {"answer": answers.NO_PREVIOUS_ANSWER, "tools_used": []}),)


def test_a_greeting_in_between_leaves_no_previous_answer() -> None:
    history = [user("What is 10 + 10?"), {"role": "assistant", "content": "10 + 10 is 20."},
               user("Hello"), {"role": "assistant", "content": answers.GREETING}]
    assert respond([*history, user("times 3")]) == Reply(text=answers.NO_PREVIOUS_ANSWER)


# -- history the model did not ask for --------------------------------------------------------


def test_an_injected_unknown_tool_call_is_ignored() -> None:
    messages = [
        user("What is 2 + 3?"),
        assistant_calls([("call_1", ToolCall("no_such_tool", {"x": 2, "y": 3}))]),
        tool_result("call_1", "Error: no_such_tool is not a valid tool, try one of [add, subtract]."),
    ]
    assert respond(messages, COURSE_TOOLS, "required").tool_calls == (ToolCall("add", {"x": 2, "y": 3}),)


def test_an_error_result_means_the_step_is_asked_again() -> None:
    messages = [
        user("What is 2 + 3?"),
        assistant_calls([("call_1", ToolCall("add", {"x": 2, "y": 3}))]),
        tool_result("call_1", "Error: ValueError('boom')"),
    ]
    assert respond(messages, COURSE_TOOLS, "required").tool_calls == (ToolCall("add", {"x": 2, "y": 3}),)


def test_malformed_arguments_in_history_are_ignored() -> None:
    call = {"id": "call_1", "type": "function", "function": {"name": "add", "arguments": '{"x": 2,'}}
    messages = [user("What is 2 + 3?"), {"role": "assistant", "content": None, "tool_calls": [call]},
                tool_result("call_1", "5.0")]
    assert respond(messages, COURSE_TOOLS, "required").tool_calls == (ToolCall("add", {"x": 2, "y": 3}),)


def test_a_failed_final_answer_is_repeated() -> None:
    run = play("What is 10 + 10?")
    failed = [*run.messages, tool_result(run.messages[-1]["tool_calls"][0]["id"], "Error: invalid arguments")]
    assert respond(failed, COURSE_TOOLS, "required") == run.replies[-1]


def test_after_final_answer_has_run_the_answer_comes_as_text() -> None:
    history = first_turn_with_final_answer()
    assert respond(history, COURSE_TOOLS, "required") == Reply(text="10 + 10 is 20.")


# -- tool_choice ------------------------------------------------------------------------------

# The course model's answer to "What is NLP?", written out here rather than asked of answers.py, so a question
# routed to the wrong answer (another topic, the fallback) fails.
NLP_ANSWER = (
    "Natural language processing, or NLP, is the field of computer science that teaches computers to understand "
    "and produce human language. It covers tasks such as translation, summarisation, sentiment analysis and "
    "question answering. Modern NLP is dominated by large language models, which learn language patterns from "
    "vast amounts of text. Chat models like the ones in this course are NLP systems you can talk to."
)


def test_tool_choice_none_answers_in_text() -> None:
    assert respond([user("What is 10 + 10?")], COURSE_TOOLS, "none") == Reply(text="10 + 10 is 20.")


def test_no_tools_answers_in_text() -> None:
    assert respond([user("What is 10 + 10?")]) == Reply(text="10 + 10 is 20.")


@pytest.mark.parametrize("tool_choice", ["auto", None])
def test_auto_uses_tools_for_arithmetic_and_text_otherwise(tool_choice: str | None) -> None:
    run = play("What is 10 + 10?", tool_choice=tool_choice)
    assert run.final_answer == {"answer": "10 + 10 is 20.", "tools_used": ["add"]}
    assert respond([user("What is NLP?")], COURSE_TOOLS, tool_choice).text == NLP_ANSWER


def test_required_non_arithmetic_goes_through_final_answer() -> None:
    reply = respond([user("What is NLP?")], COURSE_TOOLS, "required")
    assert reply.tool_calls == (
        ToolCall("final_answer", {"answer": NLP_ANSWER, "tools_used": []}),
    )


def test_required_without_final_answer_keeps_calling_tools() -> None:
    """OpenAI's "required" means a tool call every turn; with no `final_answer` the client must stop the loop."""
    first = respond([user("What is 10 + 10?")], [ADD, SUBTRACT], "required")
    assert first.tool_calls == (ToolCall("add", {"x": 10, "y": 10}),)
    messages = [user("What is 10 + 10?"), assistant_calls([("call_1", first.tool_calls[0])]), tool_result("call_1", "20.0")]
    again = respond(messages, [ADD, SUBTRACT], "required")
    assert again.tool_calls and again.text is None
    assert respond(messages, [ADD, SUBTRACT], "auto") == Reply(text="10 + 10 is 20.")


def test_named_final_answer_answers_directly() -> None:
    choice = {"type": "function", "function": {"name": "final_answer"}}
    reply = respond([user("What is 10 + 10?")], COURSE_TOOLS, choice)
    assert reply.tool_calls == (ToolCall("final_answer", {"answer": "10 + 10 is 20.", "tools_used": []}),)


def test_named_math_tool_is_called_when_the_next_step_uses_it() -> None:
    choice = {"type": "function", "function": {"name": "add"}}
    assert respond([user("What is 2 + 3?")], COURSE_TOOLS, choice).tool_calls == (ToolCall("add", {"x": 2, "y": 3}),)


def test_named_math_tool_that_does_not_fit_is_still_called() -> None:
    """A named function is always called, with schema-valid arguments from the question."""
    choice = {"type": "function", "function": {"name": "multiply"}}
    assert respond([user("What is 2 + 3?")], COURSE_TOOLS, choice).tool_calls == (
        ToolCall("multiply", {"x": 2, "y": 3}),
    )


# -- impossible arithmetic --------------------------------------------------------------------


def test_division_by_zero_fails_in_the_tool_then_gets_an_honest_answer() -> None:
    run = play("What is 10 / 0?")
    assert run.calls[0] == [ToolCall("exponentiate", {"x": 0, "y": -1})]  # 0 ** -1 raises ZeroDivisionError
    assert run.final_answer == {"answer": "10 / 0 is undefined: you can't divide by zero.",
                                "tools_used": ["exponentiate"]}
    assert respond([user("What is 10 / 0?")]).text == "10 / 0 is undefined: you can't divide by zero."


def test_huge_powers_are_refused_not_computed() -> None:
    run = play("What is 10 ** 10 ** 10?")
    assert run.calls[1] == [ToolCall("exponentiate", {"x": 10, "y": 1e10})]  # the tool overflows
    assert run.final_answer is not None and "too large" in run.final_answer["answer"]
    assert "too large" in (respond([user("What is 10 ** 10 ** 10?")]).text or "")


def test_beyond_float_range_the_model_gives_the_exact_value_after_the_tool_fails() -> None:
    run = play("What is 2 ** 1100?")
    assert run.final_answer == {"answer": f"2 ^ 1100 is {2**1100}.", "tools_used": ["exponentiate"]}


def test_a_non_real_power_is_answered_honestly() -> None:
    run = play("What is the square root of -4?")
    assert run.final_answer is not None
    assert run.final_answer["answer"] == "√(-4) is not a real number, so I can't give it as a single value."


# -- odd but valid input ----------------------------------------------------------------------


def test_content_parts_and_none_content() -> None:
    messages = [
        {"role": "system", "content": [{"type": "text", "text": "You are a calculator."}]},
        {"role": "user", "content": [{"type": "text", "text": "What is"}, {"type": "text", "text": "2 + 2?"}]},
    ]
    assert respond(messages) == Reply(text="2 + 2 is 4.")
    assert respond([{"role": "assistant", "content": None}, user("")]).text == answers.FALLBACK


def test_no_user_message() -> None:
    assert respond([{"role": "system", "content": "Be brief."}]) == Reply(text=answers.NO_QUESTION)


@pytest.mark.parametrize(
    ("messages", "tool_choice", "parallel"),
    [
        ([user("What is (2 + 3) × (4 + 5)?")], "required", True),
        ([user("What is (2 + 3) × (4 + 5)?")], "auto", False),
        ([user("What is NLP?")], "required", True),
        ([user("Hello!")], None, True),
    ],
)
def test_deterministic(messages: list[dict[str, Any]], tool_choice: str | None, parallel: bool) -> None:
    first, second = (respond(messages, COURSE_TOOLS, tool_choice, parallel) for _ in range(2))
    assert first == second
    first_run, second_run = (play(messages, tool_choice=tool_choice, parallel=parallel) for _ in range(2))
    assert first_run.replies == second_run.replies


# -- text answers -----------------------------------------------------------------------------


@pytest.mark.parametrize("greeting", ["hi", "Hello!", "hey there", "Good morning!", "Hello, how are you?"])
def test_greetings(greeting: str) -> None:
    text = respond([user(greeting)]).text
    assert text == answers.GREETING
    assert "course model" in text


@pytest.mark.parametrize(
    ("question", "keyword"),
    [
        ("What is NLP?", "natural language processing"),
        ("what's natural language processing", "natural language processing"),
        ("What is streaming?", "server-sent events"),
        ("What is LangChain?", "open-source framework"),
        ("What is a token?", "unit a language model"),
        ("What is an LLM?", "large language model"),
        ("What is an agent?", "model in a loop"),
        ("What is a tool call?", "run a function"),
        ("What is a callback?", "on_llm_new_token"),
        ("What is asyncio?", "event loop"),
        ("Tell me a joke", "punchline"),
        ("Who are you?", "course model"),
    ],
)
def test_course_questions(question: str, keyword: str) -> None:
    text = respond([user(question)]).text
    assert text is not None and keyword.lower() in text.lower()
    assert len(re.findall(r"[.!?](?:\s|$)", text)) >= 2


def test_anything_else_gets_the_honest_fallback() -> None:
    text = respond([user("What is the capital of France?")]).text
    assert text == answers.FALLBACK
    assert "OPENAI_API_KEY" in text and "OPENAI_BASE_URL" in text and "start it again: the notebook's kernel, or the web app" in text


@pytest.mark.parametrize("question", ["Tell me a long story", "Write a long essay about streaming"])
def test_long_answer_is_long_and_fixed(question: str) -> None:
    text = respond([user(question)]).text
    assert text is not None and len(TOKEN.findall(text)) >= 1000
    assert text == respond([user("Write a long essay about streaming")]).text


@pytest.mark.parametrize(
    "question",
    ["hi", "What is NLP?", "Who are you?", "Tell me a long story", "What is the capital of France?",
     "Now multiply that by 3", "What is 10 / 0?", "What is 10 ** 10 ** 10?", "What is 2 + 2?"],
)
def test_every_text_answer_ends_with_punctuation(question: str) -> None:
    text = respond([user(question)]).text
    assert text is not None and text.rstrip().rstrip('"')[-1] in ".!?"


def test_canned_answers_hold_no_digits() -> None:
    """A follow-up's "that" is the last number of the previous answer; canned text must not offer one."""
    canned = [answers.GREETING, answers.FALLBACK, answers.NO_QUESTION, answers.NO_PREVIOUS_ANSWER,
              answers.answer_for("Tell me a long story"), *(topic.answer for topic in answers.TOPICS)]
    assert [text for text in canned if re.search(r"\d", text)] == []
