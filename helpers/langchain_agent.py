"""The course's agent built with LangChain's `create_agent`, and its stream made readable. Taught in chapter 06.

Chapter 03 streams a hand-built executor through a callback handler and a queue.
`langchain.agents.create_agent` builds the same agent as a LangGraph graph (a
`model` node and a `tools` node in a loop) that streams by itself with
`agent.astream(..., stream_mode=...)`. This module keeps the two pieces chapter 06
writes in front of the learner, so later code (the benchmark, the web app) can
reuse them:

- `build_langchain_agent`: the same model, tools and system prompt as chapters 02-03.
  `final_answer` is a copy marked `return_direct=True`, so the graph stops right after
  it runs, as chapter 03's executor does, instead of asking the model once more; and
  `ToolCallRequired` binds the tools with `tool_choice="any"` as chapter 02's agent does
  (`create_agent` leaves the choice to the model, which may then answer in plain text).
  Two more middleware give it chapter 03's tool rules: a tool that raises goes back to
  the model as an error message in the executor's words (LangChain's
  `ToolErrorMiddleware`; `create_agent`'s tool node alone returns only argument errors
  and lets any other exception end the run), and a refused `final_answer` (a blank
  answer) goes back to the model too (`RetryRefusedAnswer`; `return_direct` alone
  would end the run on the refusal). Chapter 05's web app serves this same agent.
- `MessagesRenderer`: feeds the `stream_mode="messages"` stream to chapter 03's
  `StreamRenderer`, with a `STEP_END` between two model calls, so both agents print
  exactly the same text for the same question.
"""

from __future__ import annotations

from contextlib import aclosing
from typing import Any, AsyncIterator, Sequence

from langchain.agents import create_agent
from langchain.agents.middleware import AgentMiddleware, ToolErrorMiddleware
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessageChunk, BaseMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from langgraph.types import Command

from .agent import SYSTEM_PROMPT
from .queue_handler import STEP_END
from .render import StreamRenderer
from .tool_calls import failure_message
from .tools import MATH_TOOLS, final_answer_tool

MODEL_NODE = "model"  # the node `create_agent` runs the model in


def final_answer_returning_directly() -> BaseTool:
    """`final_answer` as a tool whose result ends the run (`return_direct=True`).

    Without it, `create_agent` hands the tool's result back to the model and asks
    for one more reply, a model call that chapter 03's executor never makes.
    """
    return final_answer_tool.model_copy(update={"return_direct": True})


class ToolCallRequired(AgentMiddleware):
    """Every model call must call a tool: `tool_choice="any"` (sent to OpenAI as "required").

    Chapter 02's agent binds its tools that way, so its only way to finish is
    `final_answer`. Both hooks are defined, so the agent works with `invoke` and `ainvoke`.
    """

    def wrap_model_call(self, request: Any, handler: Any) -> Any:
        return handler(request.override(tool_choice="any"))

    async def awrap_model_call(self, request: Any, handler: Any) -> Any:
        return await handler(request.override(tool_choice="any"))


class RetryRefusedAnswer(AgentMiddleware):
    """A `final_answer` that failed (a blank answer) sends the run back to the model instead of ending it.

    `return_direct` ends the run after `final_answer` whatever its result, so without
    this the refusal would be the last word. Chapter 03's executor hands the error
    back and lets the model try again; so does this. It must wrap the tool call
    outside `ToolErrorMiddleware`, which turns the exception into the error message it reads.
    """

    async def awrap_tool_call(self, request: Any, handler: Any) -> Any:
        return self._back_to_the_model_if_refused(request, await handler(request))

    def wrap_tool_call(self, request: Any, handler: Any) -> Any:  # the same, for `invoke`
        return self._back_to_the_model_if_refused(request, handler(request))

    @staticmethod
    def _back_to_the_model_if_refused(request: Any, result: Any) -> Any:
        refused = (request.tool_call["name"] == final_answer_tool.name and isinstance(result, ToolMessage)
                   and result.status == "error")
        # The error goes into the conversation, and `goto` runs the model again: it reads why, and answers anew.
        return Command(update={"messages": [result]}, goto=MODEL_NODE) if refused else result


def tool_errors_to_the_model() -> ToolErrorMiddleware:
    """Any exception a tool raises becomes an error `ToolMessage` in chapter 03's words; the run goes on.

    The text starts with "Error:", as the executor's does: on OpenAI's wire a tool
    message has no status, so its text is all the model has to tell a failure from
    a result. LangGraph's own signals (an `interrupt()` inside a tool) still pass through.
    """

    def readable(error: Exception, request: Any) -> str:
        return failure_message(request.tool_call, error).content

    return ToolErrorMiddleware(readable)


def build_langchain_agent(
    llm: BaseChatModel,
    tools: Sequence[BaseTool] = MATH_TOOLS,
    *,
    system_prompt: str = SYSTEM_PROMPT,
    middleware: Sequence[AgentMiddleware] = (),
    **create_agent_kwargs: Any,
):
    """Chapter 03's agent (its tools, its prompt, `tool_choice="any"`, its tool rules) as a `create_agent` graph.

    `tools` are the working tools; `final_answer` is always added, returning directly.
    `middleware` comes after the agent's own (`ToolCallRequired`, `RetryRefusedAnswer`,
    `tool_errors_to_the_model()`), so it sees a tool's error as a message; other keyword
    arguments (`checkpointer=`, ...) go to `create_agent`.
    """
    tools = [tool for tool in tools if tool.name != final_answer_tool.name]
    own = [ToolCallRequired(), RetryRefusedAnswer(), tool_errors_to_the_model()]
    return create_agent(llm, [*tools, final_answer_returning_directly()], system_prompt=system_prompt,
                        middleware=[*own, *middleware], **create_agent_kwargs)


def user_input(question: str) -> dict[str, list[dict[str, str]]]:
    """The graph's input for one question: a one-message conversation."""
    return {"messages": [{"role": "user", "content": question}]}


class MessagesRenderer:
    """`StreamRenderer` for `stream_mode="messages"` items: `(message chunk, metadata)` pairs.

    Only the model's chunks are rendered (tool results arrive whole, from the `tools`
    node). A new message id means a new model call, where chapter 03's handler would
    have put `STEP_END`; the renderer feeds one in, so the text matches chapter 03's.
    Only chunks that carry something count: through the Responses API a call's first,
    empty chunk has the response's id and the rest LangChain's run id.
    """

    def __init__(self) -> None:
        self.renderer = StreamRenderer()
        self._message_id: str | None = None

    @property
    def text(self) -> str:
        return self.renderer.text

    def feed(self, message: BaseMessage, metadata: dict[str, Any]) -> str:
        """The text to show for one streamed pair (possibly empty)."""
        if not isinstance(message, AIMessageChunk) or metadata.get("langgraph_node") != MODEL_NODE:
            return ""
        piece = ""
        if message.id != self._message_id and (message.content or message.tool_call_chunks):
            if self._message_id is not None:
                piece += self.renderer.feed(STEP_END)
            self._message_id = message.id
        return piece + self.renderer.feed(message)


async def stream_rendered(agent: Any, question: str, config: RunnableConfig | None = None) -> AsyncIterator[str]:
    """Stream `question` through a `create_agent` graph; yield each non-empty piece of readable text."""
    renderer = MessagesRenderer()
    # `aclosing`: if our reader stops early, the graph's stream (and the run) stop at once too.
    async with aclosing(agent.astream(user_input(question), config, stream_mode="messages")) as stream:
        async for message, metadata in stream:
            if piece := renderer.feed(message, metadata):
                yield piece
