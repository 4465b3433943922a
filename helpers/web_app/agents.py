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

With a store (`store.py`, chapter 08) a conversation is also kept outside the
process: the executor writes each whole turn to the store's turns table, and the
`create_agent` graph runs on the store's LangGraph checkpointer with the session id
as its thread id. `load()` reads the history back (after a restart, or when another
app process has added turns).
"""

from __future__ import annotations

import asyncio
import json
from contextlib import aclosing, asynccontextmanager
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Protocol

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, RemoveMessage, ToolMessage
from langgraph.errors import GraphRecursionError

from ..langchain_agent import build_langchain_agent
from ..queue_handler import FINAL_ANSWER_TOOL
from ..streaming_executor import DEFAULT_TIMEOUT, AgentTimeout, StreamingAgentExecutor
from . import events
from .events import Event, EventTranslator, GraphTranslator

if TYPE_CHECKING:
    from .store import ConversationStore

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

    async def load(self) -> None:
        """Read the history back from the store, if there is one (a no-op without)."""


def conversation_factory(agent: str, llm: BaseChatModel, store: ConversationStore | None = None,
                         max_turns: int = 20) -> Callable[[str], Conversation]:
    """What makes the `Conversation` of a session (given its id) for `agent`, on the app's model.

    With a `store`, the conversation is kept there too (see the module's docstring).
    """
    if agent == "executor":
        return lambda session_id: ExecutorConversation(llm, session_id=session_id, store=store, max_turns=max_turns)
    if agent == "langchain":
        # Built once (a graph keeps no state of its own: with a checkpointer, each thread's is kept there);
        # it follows chapter 03's tool rules itself: a tool's error and a refused `final_answer` go back to
        # the model (see `build_langchain_agent`).
        graph = build_langchain_agent(llm, checkpointer=store.checkpointer if store is not None else None)
        return lambda session_id: LangChainConversation(graph, thread_id=session_id if store is not None else None,
                                                        max_turns=max_turns)
    raise ValueError(f"agent must be {' or '.join(map(repr, AGENTS))}, got {agent!r}")


class ExecutorConversation:
    """Chapter 03's executor: its `chat_history` is the session's, `astream_events` its stream.

    With a `store`, each whole turn is written there as one row once its answer is in.
    """

    def __init__(self, llm: BaseChatModel, *, session_id: str | None = None, store: ConversationStore | None = None,
                 max_turns: int = 20) -> None:
        self.executor = StreamingAgentExecutor(llm, max_iterations=MAX_STEPS)
        self.session_id, self.store, self.max_turns = session_id, store, max_turns

    @property
    def chat_history(self) -> list[BaseMessage]:
        return self.executor.chat_history

    async def load(self) -> None:
        if self.store is not None and self.session_id is not None:
            turns = await self.store.load_turns(self.session_id)
            self.executor.chat_history = [message for question, answer in turns
                                          for message in (HumanMessage(question), AIMessage(answer))]

    async def events(self, question: str, *, detail: bool = False) -> AsyncIterator[Event]:
        # If this generator is closed (the client left), `aclosing` closes the event stream,
        # which cancels the run; the executor records no half-finished turn.
        # Built with no arguments unless asked for detail: chapter 05's exercise swaps in a subclass that takes none.
        translator = EventTranslator(detail=True) if detail else EventTranslator()
        recorded = len(self.chat_history)
        agent_events = self.executor.as_runnable().astream_events({"input": question}, version="v2")
        async with aclosing(agent_events):
            async for event in agent_events:
                for item in translator.feed(event):
                    if item.type == "answer":
                        recorded = await self._keep_new_turn(recorded)  # stored before the client reads it
                    yield item
        await self._keep_new_turn(recorded)

    async def _keep_new_turn(self, recorded: int) -> int:
        """Write the turn the executor has just remembered (if any) to the store; return the history's length."""
        history = self.chat_history
        if self.store is not None and self.session_id is not None and len(history) >= recorded + 2:
            question, answer = history[-2], history[-1]
            await self.store.add_turn(self.session_id, question.text, answer.text, self.max_turns)
        return len(history)


class LangChainConversation:
    """Chapter 06's `create_agent` graph, with the same history, step limit and timeout as the executor.

    Without a `thread_id` the graph keeps nothing between runs, so each run gets the
    conversation so far as its `messages`, and the turn is recorded here once the
    answer is in, exactly as the executor records it.

    With a `thread_id` (the graph has a checkpointer) the thread keeps the whole
    conversation, tool calls included, and a run sends only the new question. A
    checkpoint is written after every graph step, so a run that failed, was
    cancelled or died with its process leaves a half-finished turn as the thread's
    latest state. The next run starts from the last checkpoint where a run had
    *finished* (LangGraph forks from a `checkpoint_id`): only whole turns carry on.
    Turns beyond `max_turns` are removed in the same input (`RemoveMessage`).
    `chat_history` is then the thread's turns, read as question-and-answer pairs.
    """

    def __init__(self, graph: Any, *, max_steps: int = MAX_STEPS, timeout: float = DEFAULT_TIMEOUT,
                 thread_id: str | None = None, max_turns: int = 20) -> None:
        self.graph, self.max_steps, self.timeout = graph, max_steps, timeout
        self.thread_id, self.max_turns = thread_id, max_turns
        self.chat_history: list[BaseMessage] = []

    def _config(self) -> dict[str, Any]:
        return {"configurable": {"thread_id": self.thread_id}}

    async def _last_whole_turn(self) -> Any:
        """The thread's latest snapshot in which a run had finished, or None (no whole turn yet)."""
        latest = await self.graph.aget_state(self._config())
        if not latest.next:  # the usual case: the last run finished
            return latest if latest.values.get("messages") else None
        async for snapshot in self.graph.aget_state_history(self._config()):  # newest first
            if not snapshot.next and snapshot.values.get("messages"):
                return snapshot
        return None

    async def load(self) -> None:
        if self.thread_id is not None:
            snapshot = await self._last_whole_turn()
            turns = turns_in(snapshot.values["messages"] if snapshot else [])[-self.max_turns:]
            self.chat_history = [message for question, answer in turns
                                 for message in (HumanMessage(question), AIMessage(answer))]

    async def _checkpointed_start(self, question: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The input and config of a run on the thread: from its last whole turn, older turns removed."""
        base = await self._last_whole_turn()
        if base is None:
            # No whole turn: drop whatever a failed first run left, and start the thread afresh.
            await self.graph.checkpointer.adelete_thread(self.thread_id)
            return {"messages": [HumanMessage(question)]}, self._config()
        messages = base.values["messages"]
        questions = [index for index, message in enumerate(messages) if isinstance(message, HumanMessage)]
        # The model reads the last `max_turns` turns, as the executor's trimmed history gives it.
        keep_from = questions[-self.max_turns] if len(questions) > self.max_turns else 0
        removed = [RemoveMessage(id=message.id) for message in messages[:keep_from]]
        return {"messages": [*removed, HumanMessage(question)]}, base.config

    async def events(self, question: str, *, detail: bool = False) -> AsyncIterator[Event]:
        translator = GraphTranslator(detail=detail)
        # A step of chapter 03's executor is two graph steps here: the model, then the tools.
        if self.thread_id is None:
            inputs, config = {"messages": [*self.chat_history, HumanMessage(question)]}, {}
        else:
            inputs, config = await self._checkpointed_start(question)
        config = {**config, "recursion_limit": 2 * self.max_steps}
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
        if not finished and self.thread_id is not None:
            # The graph stopped mid-loop: end the turn in the thread with the answer given, as the
            # model's reply (no tool call, so the graph's next step is its end): a whole turn.
            await self.graph.aupdate_state(self._config(), {"messages": [AIMessage(result["answer"])]},
                                           as_node="model")
        self.chat_history.extend([HumanMessage(question), AIMessage(result["answer"])])
        yield events.answer(result["answer"], result["tools_used"], finished)


def turns_in(messages: list[BaseMessage]) -> list[tuple[str, str]]:
    """A `create_agent` thread's whole turns as (question, answer): the answer is the accepted
    `final_answer`'s, or a reply with no tool call (as `GraphTranslator` reads them)."""
    turns: list[tuple[str, str]] = []
    question: str | None = None
    for message in messages:
        if isinstance(message, HumanMessage):
            question = message.text
        elif question is None:
            continue
        elif isinstance(message, ToolMessage) and message.name == FINAL_ANSWER_TOOL and message.status != "error":
            try:
                answer = json.loads(message.text)["answer"]
            except (ValueError, KeyError, TypeError):
                continue
            turns.append((question, answer))
            question = None
        elif isinstance(message, AIMessage) and not message.tool_calls and message.text.strip():
            turns.append((question, message.text))
            question = None
    return turns


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
