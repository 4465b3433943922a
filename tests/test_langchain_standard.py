"""LangChain's own standard chat-model integration tests, run through `ChatOpenAI` against the course model.

`langchain-tests` is the suite every LangChain chat-model integration must pass:
invoke, stream, batch, usage, stop sequences, tool calling, tool_choice,
structured output, JSON mode, an agent loop. Passing it is what lets the course
say the course model is a real stand-in for an OpenAI model. The suite runs twice,
through Chat Completions and through the Responses API (`use_responses_api=True`,
how `ChatOpenAI` talks to reasoning models). Only the media inputs (images, audio,
PDF, video) are switched off: the course model reads text.

Two settings need a word:

- the course model serves one model, so the "model override" tests override the
  model with its own name: they check that the `model=` keyword reaches the
  request and comes back in the response metadata;
- `test_stream_time`, the one VCR test, is switched off (it shows as skipped): it
  records a stream, then times replays of it with pytest-benchmark and asserts
  nothing, and timing is `make bench`'s job. What it relies on is checked by a
  test of ours, `test_a_recorded_stream_replays_as_it_streamed`: VCR (recording
  afresh in a temporary folder; nothing is committed) captures the whole stream,
  and replaying the recording gives the chunks the live model gave.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from langchain_openai import ChatOpenAI
from langchain_tests.conftest import base_vcr_config
from langchain_tests.integration_tests import ChatModelIntegrationTests

from helpers.course_model import MODEL_NAME

_server_url: dict[str, str] = {}


@pytest.fixture(autouse=True)
def _point_at_the_course_model(server) -> None:
    """The session's in-process course model (delay 0), from tests/conftest.py."""
    _server_url["base_url"] = server.base_url


@pytest.fixture(scope="module")
def vcr_config(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Record cassettes in a temporary folder: each run records anew and nothing is committed."""
    config = base_vcr_config()
    config["cassette_library_dir"] = str(tmp_path_factory.mktemp("cassettes"))
    config["match_on"] = ["method", "path", "body"]  # the server's port changes between runs
    return config


class TestCourseModelStandard(ChatModelIntegrationTests):
    last_event = b"data: [DONE]"  # how a Chat Completions stream ends
    @property
    def chat_model_class(self) -> type[ChatOpenAI]:
        return ChatOpenAI

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {
            "model": MODEL_NAME,
            "base_url": _server_url["base_url"],
            "api_key": "any-key",
            "max_retries": 0,
            "timeout": 30,
            "stream_usage": True,
        }

    # Text only: the course model reads no media.
    @property
    def supports_image_inputs(self) -> bool:
        return False

    @property
    def supports_image_urls(self) -> bool:
        return False

    @property
    def supports_image_tool_message(self) -> bool:
        return False

    @property
    def supports_pdf_inputs(self) -> bool:
        return False

    @property
    def supports_pdf_tool_message(self) -> bool:
        return False

    @property
    def supports_audio_inputs(self) -> bool:
        return False

    @property
    def supports_video_inputs(self) -> bool:
        return False

    # Everything else is on (but VCR's timing test, below).
    @property
    def has_tool_calling(self) -> bool:
        return True

    @property
    def has_tool_choice(self) -> bool:
        return True

    @property
    def has_structured_output(self) -> bool:
        return True

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def supports_anthropic_inputs(self) -> bool:
        return True  # tool_use / tool_result content blocks: ChatOpenAI converts them to OpenAI messages

    @property
    def returns_usage_metadata(self) -> bool:
        return True

    @property
    def supports_model_override(self) -> bool:
        return True

    @property
    def model_override_value(self) -> str:
        return MODEL_NAME  # the only model it serves

    @property
    def enable_vcr_tests(self) -> bool:
        return False  # its one test, test_stream_time, times replays (a benchmark); see the module docstring


    @pytest.mark.vcr
    def test_a_recorded_stream_replays_as_it_streamed(self, model: ChatOpenAI, vcr: Any) -> None:
        """What LangChain's `test_stream_time` relies on, checked: VCR captures the whole Server-Sent Events
        stream, and a client fed that recording alone (no server) streams the chunks the live model streamed."""
        live = list(model.stream("Write a story about a cat."))
        assert len([chunk for chunk in live if chunk.text]) > 20, "the answer arrived in many chunks"
        assert (vcr.play_count, len(vcr.responses)) == (0, 1), "one response, recorded rather than replayed"
        recorded = vcr.responses[0]
        assert recorded["headers"]["content-type"][0].startswith("text/event-stream")
        body = recorded["body"]["string"]
        assert self.last_event in body.rstrip().splitlines()[-1], "the recording holds the stream to its end"

        replay = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(
            200, headers={"content-type": "text/event-stream"}, content=body)))
        with replay:
            replayed = list(ChatOpenAI(**self.chat_model_params, http_client=replay).stream("anything"))
        assert [chunk.text for chunk in replayed] == [chunk.text for chunk in live]
        assert "".join(chunk.text for chunk in live).startswith("I'm the offline course model")


class TestCourseModelStandardResponses(TestCourseModelStandard):
    """The same suite through the Responses API (`use_responses_api=True`), as reasoning models are used."""

    last_event = b'"type":"response.completed"'  # a Responses stream ends with its completed response

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {**super().chat_model_params, "use_responses_api": True}
