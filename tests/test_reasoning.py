"""`helpers.reasoning.reasoning_text`: a chunk's reasoning from its content blocks, whichever provider sent it."""

from __future__ import annotations

from langchain_core.messages import AIMessage, AIMessageChunk, ToolMessage

from helpers.reasoning import reasoning_text


def test_a_responses_api_reasoning_chunk_gives_its_text_and_the_opening_block_none():
    piece = AIMessageChunk(content=[{"type": "reasoning", "index": 0,
                                     "summary": [{"index": 0, "type": "summary_text", "text": "I add first."}]}],
                           response_metadata={"model_provider": "openai"})
    opening = AIMessageChunk(content=[{"type": "reasoning", "id": "rs_1", "summary": [], "index": 0}],
                             response_metadata={"model_provider": "openai"})
    assert reasoning_text(piece) == "I add first."
    assert reasoning_text(opening) == ""


def test_reasoning_a_provider_puts_in_additional_kwargs_is_read_too():
    chunk = AIMessageChunk(content="", additional_kwargs={"reasoning_content": "Hmm, 2 + 2."},
                           response_metadata={"model_provider": "deepseek"})
    assert reasoning_text(chunk) == "Hmm, 2 + 2."


def test_text_tool_results_and_whole_messages():
    assert reasoning_text(AIMessageChunk(content=" token", response_metadata={"model_provider": "openai"})) == ""
    assert reasoning_text(ToolMessage("20.0", tool_call_id="call_1")) == ""
    whole = AIMessage(content=[{"type": "reasoning", "summary": [{"type": "summary_text", "text": "Plan."}]},
                               {"type": "text", "text": "20."}], response_metadata={"model_provider": "openai"})
    assert reasoning_text(whole) == "Plan."
