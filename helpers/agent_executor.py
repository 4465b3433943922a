"""The simple agent executor: call the model, run its tools, repeat. Taught in chapter 02.

An executor owns the loop that turns a tool-calling model into an agent: it asks
the agent for a step, runs the tool calls in it, adds both to the scratchpad,
and repeats until the model calls `final_answer` or `max_iterations` runs out.
It also keeps the chat history, one `HumanMessage` and one `AIMessage` per turn,
so follow-up questions ("and times 3?") work.

`AgentExecutorBase` holds what both executors share; chapter 03's streaming
executor (`helpers.streaming_executor`) only changes how a step is run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.tools import BaseTool

from .agent import build_agent
from .queue_handler import FINAL_ANSWER_TOOL
from .tool_calls import invalid_call_message, run_tool_call
from .tools import TOOLS


@dataclass(frozen=True)
class AgentResult:
    """How a run ended.

    `finished` is False when the agent ran out of `max_iterations` before giving
    a final answer; `answer` then says so in words, and `tools_used` lists the
    tools that did run.
    """

    answer: str
    tools_used: list[str]
    finished: bool = True
    steps: int = 0
    scratchpad: list[BaseMessage] = field(default_factory=list, repr=False)


class AgentExecutorBase:
    """The agent, its tools, the chat history and the rules for reading a step."""

    def __init__(
        self, llm: BaseChatModel, tools: Sequence[BaseTool] = TOOLS, *, max_iterations: int = 5
    ) -> None:
        if isinstance(max_iterations, bool) or not isinstance(max_iterations, int) or max_iterations < 1:
            raise ValueError(f"max_iterations must be a whole number of at least 1, got {max_iterations!r}")
        self.tools: dict[str, BaseTool] = {tool.name: tool for tool in tools}
        if FINAL_ANSWER_TOOL not in self.tools:
            raise ValueError(f"the agent needs a {FINAL_ANSWER_TOOL!r} tool to end a run")
        self.agent = build_agent(llm, list(self.tools.values()))
        self.max_iterations = max_iterations
        self.chat_history: list[BaseMessage] = []

    def _inputs(self, question: str, scratchpad: list[BaseMessage]) -> dict:
        return {"input": question, "chat_history": self.chat_history, "agent_scratchpad": scratchpad}

    @staticmethod
    def _check_question(question: str) -> str:
        if not isinstance(question, str) or not question.strip():
            raise ValueError("the question must be a non-empty string")
        return question

    @staticmethod
    def _invalid_call_messages(message: AIMessage) -> list[ToolMessage]:
        return [invalid_call_message(call) for call in message.invalid_tool_calls]

    def _answer_in(self, message: AIMessage, results: list[ToolMessage], steps: int, scratchpad) -> AgentResult | None:
        """The result if this step ended the run: a successful `final_answer`, or a plain-text reply."""
        for call, result in zip(message.tool_calls, results):
            if call["name"] == FINAL_ANSWER_TOOL and result.status == "success":
                output = result.artifact
                return AgentResult(output["answer"], list(output["tools_used"]), True, steps, scratchpad)
        if not message.tool_calls and not message.invalid_tool_calls and message.text.strip():
            # Some OpenAI-compatible servers ignore tool_choice and just answer: take the text.
            return AgentResult(message.text, _tools_used(scratchpad), True, steps, scratchpad)
        return None

    def _out_of_steps(self, scratchpad: list[BaseMessage]) -> AgentResult:
        return AgentResult(
            answer=f"I could not reach a final answer within {self.max_iterations} "
            f"step{'s' if self.max_iterations != 1 else ''}.",
            tools_used=_tools_used(scratchpad),
            finished=False,
            steps=self.max_iterations,
            scratchpad=scratchpad,
        )

    def _remember(self, question: str, result: AgentResult) -> AgentResult:
        self.chat_history.extend([HumanMessage(content=question), AIMessage(content=result.answer)])
        return result


def _tools_used(scratchpad: list[BaseMessage]) -> list[str]:
    names: list[str] = []
    for message in scratchpad:
        if isinstance(message, ToolMessage) and message.status == "success" and message.name not in names:
            if message.name != FINAL_ANSWER_TOOL:
                names.append(message.name)
    return names


def as_ai_message(message: BaseMessage) -> AIMessage:
    """A plain `AIMessage` for the scratchpad (a merged stream gives an `AIMessageChunk`)."""
    if not isinstance(message, AIMessage):
        raise TypeError(f"the agent must return an AIMessage, got {type(message).__name__}")
    return AIMessage(
        content=message.content,
        tool_calls=message.tool_calls,
        invalid_tool_calls=message.invalid_tool_calls,
        id=message.id,
    )


class AgentExecutor(AgentExecutorBase):
    """Chapter 02's executor: one blocking call per step, tools run one after another."""

    def invoke(self, question: str) -> AgentResult:
        self._check_question(question)
        scratchpad: list[BaseMessage] = []
        for step in range(1, self.max_iterations + 1):
            message = as_ai_message(self.agent.invoke(self._inputs(question, scratchpad)))
            results = [run_tool_call(call, self.tools) for call in message.tool_calls]
            scratchpad += [message, *results, *self._invalid_call_messages(message)]
            if (result := self._answer_in(message, results, step, scratchpad)) is not None:
                return self._remember(question, result)
        return self._remember(question, self._out_of_steps(scratchpad))
