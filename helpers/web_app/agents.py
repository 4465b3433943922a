"""The agents the web app can serve, each behind the same small interface. Taught in chapter 05.

The app serves either of the course's agents with the same events, sessions and limits:

- `"executor"`: chapter 03's `StreamingAgentExecutor`, streamed through `astream_events`
  (chapter 04) and read by `events.EventTranslator`;
- `"langchain"`: chapter 06's `create_agent` agent (`helpers.langchain_agent`), streamed
  with `stream_mode=["messages", "updates"]` and read by `events.GraphTranslator`.

Each session holds one `Conversation`: its chat history (one `HumanMessage` and one
`AIMessage` per turn, the same for both agents) and `events(question)`, which streams
one run as the app's events and records the turn once the answer is in. A run that
fails or is cancelled records nothing. The app itself (`app.py`) never needs to know
which agent answers.
"""

from __future__ import annotations

import asyncio
from contextlib import aclosing, asynccontextmanager
from typing import Any, AsyncIterator, Callable, Protocol

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langgraph.errors import GraphRecursionError

from ..langchain_agent import build_langchain_agent
from ..streaming_executor import DEFAULT_TIMEOUT, AgentTimeout, StreamingAgentExecutor
from . import events
from .events import Event, EventTranslator, GraphTranslator

AGENTS = {  # the name `create_app(agent=...)` and `--agent` take -> what the page says answers
    "executor": "chapter 03's StreamingAgentExecutor",
    "langchain": "chapter 06's create_agent agent",
}
MAX_STEPS = 5  # model calls per question, as chapter 03's executor allows (`max_iterations`)
WIND_DOWN_SECONDS = 5.0  # how long a cancelled run may take to finish its clean-up


class Conversation(Protocol):
    """One session's side of an agent: its history, and a way to stream a question."""

    chat_history: list[BaseMessage]

    def events(self, question: str, *, detail: bool = False) -> AsyncIterator[Event]:
        """The run's events as they happen, ending with `answer`; raises if the run fails.

        `detail=True` adds the model calls' steps and reasoning (see `events.DETAIL_EVENT_TYPES`).
        """


def conversation_factory(agent: str, llm: BaseChatModel) -> Callable[[], Conversation]:
    """What makes a new session's `Conversation` for `agent`, on the app's model."""
    if agent == "executor":
        return lambda: ExecutorConversation(llm)
    if agent == "langchain":
        # Built once (a graph keeps no state between runs); it follows chapter 03's tool rules itself:
        # a tool's error and a refused `final_answer` go back to the model (see `build_langchain_agent`).
        graph = build_langchain_agent(llm)
        return lambda: LangChainConversation(graph)
    raise ValueError(f"agent must be {' or '.join(map(repr, AGENTS))}, got {agent!r}")


class ExecutorConversation:
    """Chapter 03's executor: its `chat_history` is the session's, `astream_events` its stream."""

    def __init__(self, llm: BaseChatModel) -> None:
        self.executor = StreamingAgentExecutor(llm, max_iterations=MAX_STEPS)

    @property
    def chat_history(self) -> list[BaseMessage]:
        return self.executor.chat_history

    async def events(self, question: str, *, detail: bool = False) -> AsyncIterator[Event]:
        # If this generator is closed (the client left), `aclosing` closes the event stream,
        # which cancels the run; the executor records no half-finished turn.
        # Built with no arguments unless asked for detail: chapter 05's exercise swaps in a subclass that takes none.
        translator = EventTranslator(detail=True) if detail else EventTranslator()
        agent_events = self.executor.as_runnable().astream_events({"input": question}, version="v2")
        async with aclosing(agent_events):
            async for event in agent_events:
                for item in translator.feed(event):
                    yield item


class LangChainConversation:
    """Chapter 06's `create_agent` graph, with the same history, step limit and timeout as the executor.

    The graph keeps nothing between runs (no checkpointer), so each run gets the
    conversation so far as its `messages`, and the turn is recorded here once the
    answer is in, exactly as the executor records it.
    """

    def __init__(self, graph: Any, *, max_steps: int = MAX_STEPS, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.graph, self.max_steps, self.timeout = graph, max_steps, timeout
        self.chat_history: list[BaseMessage] = []

    async def events(self, question: str, *, detail: bool = False) -> AsyncIterator[Event]:
        translator = GraphTranslator(detail=detail)
        inputs = {"messages": [*self.chat_history, HumanMessage(question)]}
        # A step of chapter 03's executor is two graph steps here: the model, then the tools.
        config = {"recursion_limit": 2 * self.max_steps}
        parts = self.graph.astream(inputs, config, stream_mode=["messages", "updates"], version="v2")
        finished = True
        try:
            async with read_in_a_task(parts, self.timeout) as stream:
                async for part in stream:
                    for item in translator.feed(part):
                        yield item
        except GraphRecursionError:  # out of steps: say so, as the executor does
            finished = False
        if not finished:
            steps = f"{self.max_steps} step{'s' if self.max_steps != 1 else ''}"
            result = {"answer": f"I could not reach a final answer within {steps}.", "tools_used": translator.tools_used}
        elif translator.result is None:
            raise RuntimeError("the agent's run ended without an answer")
        else:
            result = translator.result
        self.chat_history.extend([HumanMessage(question), AIMessage(result["answer"])])
        yield events.answer(result["answer"], result["tools_used"], finished)


_END = object()


@asynccontextmanager
async def read_in_a_task(parts: AsyncIterator[Any], timeout: float) -> AsyncIterator[AsyncIterator[Any]]:
    """Read `parts` in a task of its own; stopping early cancels that task, and so the run.

    Closing a LangGraph stream while it waits at a `yield` (the client left while the
    app was sending an event) does not cancel the nodes it is running: the model call
    in progress would go on, for nobody. Cancelling the task that reads the stream
    raises `CancelledError` where the graph awaits its nodes, and it cancels them.
    The task also bounds the whole run by `timeout` (an `AgentTimeout`, as the executor's).
    """
    queue: asyncio.Queue = asyncio.Queue()

    async def pump() -> None:
        try:
            async with aclosing(parts):
                async for part in parts:
                    queue.put_nowait(part)
            queue.put_nowait(_END)
        except Exception as error:  # the run failed: the reader raises it
            queue.put_nowait(error)

    async def read() -> AsyncIterator[Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            try:
                # The deadline bounds only the wait for the next part, never our caller's
                # work between two parts (a timeout around a `yield` would cancel the caller).
                async with asyncio.timeout_at(deadline):
                    item = await queue.get()
            except TimeoutError:
                raise AgentTimeout(f"the agent run took longer than {timeout} s and was stopped") from None
            if item is _END:
                return
            if isinstance(item, Exception):
                raise item
            yield item

    task = asyncio.create_task(pump())
    reader = read()
    try:
        yield reader
    finally:
        task.cancel()  # a no-op if the run is over; else it stops the graph and its nodes
        await reader.aclose()
        await asyncio.wait({task}, timeout=WIND_DOWN_SECONDS)  # bounded; raises nothing


__all__ = ["AGENTS", "Conversation", "ExecutorConversation", "LangChainConversation", "conversation_factory"]
