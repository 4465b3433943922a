"""`StreamRenderer` turns a raw agent stream into the readable text chapter 03 shows."""

from __future__ import annotations

from langchain_core.messages import AIMessageChunk

from helpers.queue_handler import STEP_END
from helpers.render import StreamRenderer
from helpers.streaming_executor import StreamingAgentExecutor


def fragment(index: int, args: str, name: str | None = None) -> AIMessageChunk:
    call = {"name": name, "args": args, "id": f"call_{index}" if name else None, "index": index,
            "type": "tool_call_chunk"}
    return AIMessageChunk(content="", tool_call_chunks=[call])


def render(items) -> str:
    renderer = StreamRenderer()
    pieces = [renderer.feed(item) for item in items]
    assert "".join(pieces) == renderer.text
    return renderer.text


def test_a_tool_step_then_the_answer():
    items = [
        fragment(0, "", "add"), fragment(0, '{"x":'), fragment(0, '10,"y":10}'), STEP_END,
        fragment(0, "", "final_answer"), fragment(0, '{"answer":"10 + '), fragment(0, '10 is 20."'),
        fragment(0, ',"tools_used":["add"]}'),
    ]
    assert render(items) == 'Calling add... {"x":10,"y":10}\nAnswer: 10 + 10 is 20.'


def test_parallel_calls_get_a_line_each():
    items = [fragment(0, "", "add"), fragment(0, '{"x":2,"y":3}'), fragment(1, "", "add"),
             fragment(1, '{"x":4,"y":5}'), STEP_END]
    assert render(items) == 'Calling add... {"x":2,"y":3}\nCalling add... {"x":4,"y":5}\n'


def test_the_answer_streams_out_of_partial_json_piece_by_piece():
    renderer = StreamRenderer()
    renderer.feed(fragment(0, "", "final_answer"))
    shown = [renderer.feed(fragment(0, piece)) for piece in ['{"ans', 'wer":"Hel', "lo", ' there."}']]
    assert shown == ["", "Hel", "lo", " there."]


def test_arguments_that_are_not_json_do_not_break_the_renderer():
    assert render([fragment(0, "", "final_answer"), fragment(0, "not json at all")]) == "Answer: "


def test_text_tokens_are_shown_as_they_are():
    assert render([AIMessageChunk(content="Hello"), AIMessageChunk(content=" there")]) == "Hello there"


async def test_rendering_a_real_run(make_llm):
    executor = StreamingAgentExecutor(make_llm())
    renderer = StreamRenderer()
    async with executor.stream("What is (2 + 3) * (4 + 5)?") as run:
        async for item in run:
            renderer.feed(item)
    assert renderer.text == (
        'Calling add... {"x":2,"y":3}\nCalling add... {"x":4,"y":5}\n'
        'Calling multiply... {"x":5.0,"y":9.0}\n'
        "Answer: (2 + 3) × (4 + 5) is 45."
    )
    assert run.result.answer == "(2 + 3) × (4 + 5) is 45."
