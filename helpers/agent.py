"""The course's tool-calling agent: a prompt and a model with tools bound. Taught in chapter 02.

One definition serves both executors (chapter 02's simple loop and chapter 03's
streaming one). The prompt has four parts: the system instructions, the chat
history of earlier turns, the user's input, and the scratchpad where the
executor keeps this turn's tool calls and their results. Tools are bound with
`tool_choice="any"` (sent to OpenAI as `"required"`), so every step is a tool
call and the run always ends with `final_answer`.
"""

from __future__ import annotations

from typing import Sequence

from langchain_core.language_models import BaseChatModel
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.runnables import Runnable, RunnableSequence
from langchain_core.tools import BaseTool

SYSTEM_PROMPT = (
    "You're a helpful assistant. When answering a user's question you should first use one of the "
    "tools provided. After using a tool the tool output will be provided back to you. When you have "
    "all the information you need, you MUST use the final_answer tool to provide a final answer to "
    "the user. Use tools to answer the user's CURRENT question, not previous questions."
)


def build_prompt(system_prompt: str = SYSTEM_PROMPT) -> ChatPromptTemplate:
    """System, chat history, input and scratchpad, in that order."""
    return ChatPromptTemplate.from_messages(
        [
            ("system", system_prompt),
            MessagesPlaceholder(variable_name="chat_history"),
            ("human", "{input}"),
            MessagesPlaceholder(variable_name="agent_scratchpad"),
        ]
    )


def build_agent(llm: BaseChatModel, tools: Sequence[BaseTool], system_prompt: str = SYSTEM_PROMPT) -> Runnable:
    """The agent as an LCEL runnable: `{input, chat_history, agent_scratchpad}` → an `AIMessage`.

    It is named "agent", so its runs are easy to pick out in traces and events (chapter 04).
    """
    return RunnableSequence(
        build_prompt(system_prompt), llm.bind_tools(list(tools), tool_choice="any"), name="agent"
    )
