"""Hostile questions get an honest answer quickly: time roughly linear in size, no deep recursion.

Before the limits, a 60 KB question took 17 s (a backtracking pattern in answers.py), 3,000 nested
parentheses raised RecursionError and a 5,000-digit number raised ValueError (both HTTP 500s).
The time bounds are generous: they prove "does not hang", not speed (see the report for figures).
"""

from __future__ import annotations

import time

import pytest

from helpers.course_model.brain import respond
from helpers.course_model.tokens import count_tokens, tokenize

# Seconds: a guard against runaway work, not a speed. The hostile questions take well under 0.1 s now, and
# took 17 s (or never ended) before the limits; a loaded machine can slow them tenfold and still pass.
RUNAWAY = 10.0

MATH = [
    {"type": "function", "function": {"name": name, "description": description, "parameters": {
        "type": "object", "properties": {"x": {"type": "number"}, "y": {"type": "number"}}, "required": ["x", "y"]}}}
    for name, description in [("add", "Add 'x' and 'y'."), ("multiply", "Multiply 'x' and 'y'.")]
]
WEATHER = {"type": "function", "function": {"name": "get_weather", "description": "Get the weather in a city.",
                                            "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                                           "required": ["city"]}}}

HOSTILE = {
    "60 KB of 'long'": ("long " * 12_000, None),
    "60 KB of names and numbers": (" ".join(f"Paris in {i} and the weather" for i in range(2_500))[:60_000], None),
    "3,000 nested parentheses": ("What is " + "(" * 3_000 + "1" + ")" * 3_000 + " + 1?", "nests parentheses"),
    "500-term sum": ("What is " + " + ".join(["1"] * 500) + "?", "operations"),
    "5,000-digit number": ("What is " + "9" * 5_000 + " + 1?", "5,000 digits"),
}


@pytest.mark.parametrize("tools", [None, MATH, [*MATH, WEATHER]], ids=["no tools", "math", "math+weather"])
@pytest.mark.parametrize(("question", "said"), HOSTILE.values(), ids=list(HOSTILE))
def test_hostile_questions_are_answered_quickly_and_honestly(question, said, tools):
    start = time.perf_counter()
    reply = respond([{"role": "user", "content": question}], tools, "auto")
    assert time.perf_counter() - start < RUNAWAY
    if said is not None:
        assert reply.text is not None and said in reply.text


def test_a_limit_answer_goes_through_final_answer_when_required():
    final_answer = {"type": "function", "function": {"name": "final_answer", "parameters": {
        "type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}}}
    reply = respond([{"role": "user", "content": HOSTILE["500-term sum"][0]}], [*MATH, final_answer], "required")
    assert reply.tool_calls[0].name == "final_answer" and "operations" in reply.tool_calls[0].arguments["answer"]


def test_within_the_limits_nothing_changes():
    reply = respond([{"role": "user", "content": "What is " + " + ".join(["1"] * 100) + "?"}])
    assert reply.text is not None and reply.text.endswith("is 100.")
    reply = respond([{"role": "user", "content": "What is " + "(" * 30 + "2" + ")" * 30 + " * 3?"}])
    assert reply.text == "2 × 3 is 6."


def test_counting_tokens_again_gives_the_same_count():
    text = "Streaming sends each token as soon as it exists. " * 50
    assert count_tokens(text) == count_tokens(text) == len(tokenize(text))
    long_text = text * 20  # beyond the cache's size limit: counted afresh, same rule
    assert count_tokens(long_text) == len(tokenize(long_text))


ABSURD_SCHEMAS = {
    "a billion items": {"type": "object", "properties": {"a": {"type": "array", "minItems": 10**9,
                                                               "items": {"type": "string"}}}, "required": ["a"]},
    "a 100 MB string": {"type": "object", "properties": {"s": {"type": "string", "minLength": 10**8}},
                        "required": ["s"]},
    "a reference to itself": {"type": "object", "properties": {"a": {"$ref": "#/$defs/Loop"}}, "required": ["a"],
                              "$defs": {"Loop": {"$ref": "#/$defs/Loop"}}},
    "a binary tree": {"type": "object", "properties": {"t": {"$ref": "#/$defs/T"}}, "required": ["t"],
                      "$defs": {"T": {"type": "object", "properties": {"l": {"$ref": "#/$defs/T"},
                                                                        "r": {"$ref": "#/$defs/T"}},
                                      "required": ["l", "r"]}}},
}


@pytest.mark.parametrize("schema", ABSURD_SCHEMAS.values(), ids=list(ABSURD_SCHEMAS))
def test_absurd_schemas_get_a_bounded_answer(schema):
    tool = {"type": "function", "function": {"name": "fill_in", "parameters": schema}}
    json_schema = {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}
    start = time.perf_counter()
    forced = respond([{"role": "user", "content": "Fill it in."}], [tool], "required")
    structured = respond([{"role": "user", "content": "Fill it in."}], response_format=json_schema)
    assert time.perf_counter() - start < RUNAWAY
    assert forced.tool_calls[0].name == "fill_in"
    assert structured.text is not None and len(structured.text) < 100_000
