"""An OpenAI chat endpoint in memory, answering what a check scripts (used by chapters 01 and 07's checks).

Chapter 07's exercises hand the learner a `ChatOpenAI` (or an agent built on one),
and what they teach depends on `ChatOpenAI` itself: which structured-output
method `with_structured_output` picks, what it sends, which parser reads the
answer, whether a Pydantic class streams at all. `ScriptedChatModel` is another
class, so a check would test a different path. Here the model is a real
`ChatOpenAI`; only its HTTP client is scripted (an `httpx.MockTransport`), so
every method, parser and agent middleware runs as it would against OpenAI.

The check decides each answer from the request (`reply(body) -> Reply`): JSON
text when the request carries `response_format`, a tool call when it forces one,
and so on. Every streamed answer is recorded as `Handouts` (see
`helpers.checks.streams`), one per server-sent event, with the probe read when
the SDK asked for that event; `carried` keeps the text or argument fragment each
event held, so a check can tell what had streamed by any handout.

It serves `/chat/completions` and, for `ChatOpenAI(use_responses_api=True)`,
`/responses` (events written by `scripted_responses`): the only door through which
`ChatOpenAI` reads a reasoning model's reasoning, which a `Reply` can carry.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from langchain_openai import ChatOpenAI

from .scripted_responses import response_events, whole_response
from .streams import Handout, Handouts, Probe


@dataclass
class Reply:
    """One answer: text pieces, or tool calls whose arguments stream in pieces (one call after another).

    `reasoning` (summary pieces, streamed before the rest) is served on the Responses API only:
    on Chat Completions `ChatOpenAI` would ignore it, as it ignores a server's `reasoning_content`.
    """

    text: Sequence[str] = ()
    calls: Sequence[tuple[str, Sequence[str]]] = ()  # (tool name, argument fragments)
    reasoning: Sequence[str] = ()


@dataclass
class ScriptedOpenAI:
    """Serve `/chat/completions` and `/responses` from memory; `chat_model()` is a `ChatOpenAI` that talks to it."""

    reply: Callable[[dict], Reply]
    probe: Probe | None = None
    requests: list[dict] = field(default_factory=list)  # every request body, in order
    streams: list[Handouts] = field(default_factory=list)  # one per streamed answer
    carried: list[list[str]] = field(default_factory=list)  # per streamed answer, each event's fragment
    waited: int = 0  # answers asked for whole (`"stream": false`, as `ainvoke` does)
    sync_calls: int = 0  # calls from `invoke`/`stream`, refused: the exercises are async

    _clients: list[httpx.AsyncClient | httpx.Client] = field(default_factory=list)

    def chat_model(self, **settings: Any) -> ChatOpenAI:
        """A `ChatOpenAI` served by this script (close it with `aclose()` when the check is done)."""
        async_client = httpx.AsyncClient(transport=httpx.MockTransport(self._handle))
        sync_client = httpx.Client(transport=httpx.MockTransport(self._refuse))
        self._clients += [async_client, sync_client]
        return ChatOpenAI(model="scripted-model", base_url="http://scripted.invalid/v1", api_key="not-used",
                          http_async_client=async_client, http_client=sync_client, max_retries=0,
                          stream_usage=True, **settings)

    async def aclose(self) -> None:
        for client in self._clients:
            await client.aclose() if isinstance(client, httpx.AsyncClient) else client.close()
        self._clients.clear()

    def _refuse(self, request: httpx.Request) -> httpx.Response:
        """A synchronous call would block the event loop the async code runs on: count it and refuse it."""
        self.sync_calls += 1
        return httpx.Response(400, json={"error": {"message": "this model answers async calls only (astream, "
                                                              "ainvoke)", "type": "invalid_request_error"}})

    async def _handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.requests.append(body)
        reply = self.reply(body)
        responses_api = request.url.path.endswith("/responses")
        if not body.get("stream"):
            self.waited += 1
            return httpx.Response(200, json=whole_response(reply) if responses_api else _completion(reply))
        if responses_api:  # no `[DONE]` there: the answer is over when the SDK asks past `response.completed`
            events: list[tuple[dict | str, str]] = [*response_events(reply), ("", "")]
        else:
            events = _events(reply, usage=bool((body.get("stream_options") or {}).get("include_usage")))
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=self._play(events))

    async def _play(self, events: list[tuple[dict | str, str]]) -> AsyncIterator[bytes]:
        handouts, carried = Handouts(), []
        self.streams.append(handouts)
        self.carried.append(carried)
        for index, (event, fragment) in enumerate(events):
            seen = self.probe() if self.probe else None
            handouts.started = handouts.started or time.perf_counter()
            if isinstance(event, str):
                # The answer is over when the SDK asks for `[DONE]` (it stops reading there, so the
                # body may never be read to its end): what the code had produced by now is `seen_at_end`.
                handouts.ended, handouts.seen_at_end = time.perf_counter(), seen
                if not event:  # the Responses API's stream simply ends
                    return
            else:
                handouts.append(Handout(index, time.perf_counter(), seen))
                carried.append(fragment)
            data = event if isinstance(event, str) else json.dumps(event)
            yield f"data: {data}\n\n".encode()


def _chunk(delta: dict, finish_reason: str | None = None) -> dict:
    return {"id": "chatcmpl-scripted", "object": "chat.completion.chunk", "created": 0, "model": "scripted-model",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}]}


def _events(reply: Reply, *, usage: bool) -> list[tuple[dict | str, str]]:
    """The server-sent events of `reply` as OpenAI streams them, each with the fragment it carries."""
    events: list[tuple[dict | str, str]] = [(_chunk({"role": "assistant", "content": ""}), "")]
    events += [(_chunk({"content": piece}), piece) for piece in reply.text]
    for index, (name, pieces) in enumerate(reply.calls):
        events.append((_chunk({"tool_calls": [{"index": index, "id": f"call_{index}_{name}", "type": "function",
                                               "function": {"name": name, "arguments": ""}}]}), ""))
        events += [(_chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}), piece)
                   for piece in pieces]
    events.append((_chunk({}, "tool_calls" if reply.calls else "stop"), ""))
    if usage:
        tokens = len(reply.text) + sum(len(pieces) for _, pieces in reply.calls)
        events.append(({**_chunk({}), "choices": [], "usage": {
            "prompt_tokens": 20, "completion_tokens": tokens, "total_tokens": 20 + tokens}}, ""))
    events.append(("[DONE]", ""))
    return events


def _completion(reply: Reply) -> dict:
    """The whole answer at once, as OpenAI returns it without streaming."""
    message: dict[str, Any] = {"role": "assistant", "content": "".join(reply.text) if reply.text else None}
    if reply.calls:
        message["tool_calls"] = [{"id": f"call_{index}_{name}", "type": "function",
                                  "function": {"name": name, "arguments": "".join(pieces)}}
                                 for index, (name, pieces) in enumerate(reply.calls)]
    tokens = len(reply.text) + sum(len(pieces) for _, pieces in reply.calls)
    return {"id": "chatcmpl-scripted", "object": "chat.completion", "created": 0, "model": "scripted-model",
            "choices": [{"index": 0, "message": message, "logprobs": None,
                         "finish_reason": "tool_calls" if reply.calls else "stop"}],
            "usage": {"prompt_tokens": 20, "completion_tokens": tokens, "total_tokens": 20 + tokens}}
