"""A person in the loop: LangChain's `HumanInTheLoopMiddleware` declines or edits a call, and the course model
behaves like a careful model: it never asks again for a declined call, it answers honestly (through
`final_answer` when offered), and it uses the result of the call a reviewer edited, saying so.

Also the general rule for failures (see `helpers/course_model/brain.py`): a step that should have worked is
asked again once; a second failure ends in an honest answer, not in a loop until the recursion limit.
"""

from __future__ import annotations

import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import HumanInTheLoopMiddleware
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from helpers.langchain_agent import build_langchain_agent

LIMIT = {"recursion_limit": 14}  # far more than any of these runs needs; a retry loop hits it


@tool
def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"18 degrees and sunny in {city}"


def model_calls(state) -> list[tuple[str, dict]]:
    return [(call["name"], call["args"]) for message in state["messages"] if isinstance(message, AIMessage)
            for call in message.tool_calls]


def final_answer_of(state) -> str:
    calls = [c for m in state["messages"] if isinstance(m, AIMessage) for c in m.tool_calls
             if c["name"] == "final_answer"]
    assert calls, f"no final_answer call: {model_calls(state)}"
    return calls[-1]["args"]["answer"]


def paused_math_agent(make_llm, mode: str, thread: str):
    """Chapter 06's careful agent: `multiply` needs a person's approval; paused before it."""
    agent = build_langchain_agent(
        make_llm(),
        middleware=[HumanInTheLoopMiddleware(interrupt_on={"multiply": True}, interrupt_mode=mode)],
        checkpointer=InMemorySaver(),
    )
    config = {"configurable": {"thread_id": thread}, **LIMIT}
    state = agent.invoke({"messages": [HumanMessage("What is (2 + 3) * (4 + 5)?")]}, config)
    assert "__interrupt__" in state, model_calls(state)
    return agent, config


def decide(agent, config, mode: str, decision: dict):
    resume = decision if mode == "per_call" else {"decisions": [decision]}
    state = agent.invoke(Command(resume=resume), config)
    assert "__interrupt__" not in state, "paused again: the model asked for the declined call again"
    return state


MODES = ["batched", "per_call"]


@pytest.mark.parametrize("mode", MODES)
def test_a_declined_step_ends_the_run_with_an_honest_answer(make_llm, mode):
    agent, config = paused_math_agent(make_llm, mode, f"reject-{mode}")
    state = decide(agent, config, mode, {"type": "reject"})
    rejection = [m for m in state["messages"] if isinstance(m, ToolMessage) and m.name == "multiply"]
    assert rejection and rejection[0].content.startswith("User rejected the tool call for `multiply`")
    assert [name for name, _ in model_calls(state)].count("multiply") == 1
    answer = final_answer_of(state)
    assert answer.startswith("You declined the multiply step"), answer
    assert "45" not in answer  # it did not finish the sum another way


@pytest.mark.parametrize("mode", MODES)
def test_a_declined_step_with_a_reason_quotes_the_reason(make_llm, mode):
    agent, config = paused_math_agent(make_llm, mode, f"reason-{mode}")
    state = decide(agent, config, mode, {"type": "reject", "message": "no multiplying on Sundays"})
    answer = final_answer_of(state)
    assert answer.startswith("You declined the multiply step") and "no multiplying on Sundays" in answer, answer


@pytest.mark.parametrize("mode", MODES)
def test_an_edited_step_uses_the_edited_calls_result(make_llm, mode):
    agent, config = paused_math_agent(make_llm, mode, f"edit-{mode}")
    edited = {"type": "edit", "edited_action": {"name": "multiply", "args": {"x": 5, "y": 10}}}
    state = decide(agent, config, mode, edited)
    assert [name for name, _ in model_calls(state)].count("multiply") == 1  # not re-issued
    answer = final_answer_of(state)
    assert "50" in answer and "45" not in answer, answer
    assert "edit" in answer, answer  # says the result comes from the person's change


def weather_agent(make_llm, thread: str):
    agent = create_agent(make_llm(), [get_weather], checkpointer=InMemorySaver(),
                         middleware=[HumanInTheLoopMiddleware(interrupt_on={"get_weather": True})])
    config = {"configurable": {"thread_id": thread}, **LIMIT}
    state = agent.invoke({"messages": [HumanMessage("What is the weather in Paris?")]}, config)
    assert "__interrupt__" in state
    return agent, config


def test_a_declined_call_to_a_learners_tool_is_reported_not_quoted_as_a_result(make_llm):
    agent, config = weather_agent(make_llm, "weather-reject")
    state = decide(agent, config, "batched", {"type": "reject"})
    assert model_calls(state) == [("get_weather", {"city": "Paris"})]
    answer = state["messages"][-1]
    assert isinstance(answer, AIMessage) and not answer.tool_calls
    assert answer.text.startswith("You declined the get_weather call for Paris"), answer.text
    assert "returned" not in answer.text


def test_an_edited_call_to_a_learners_tool_answers_with_the_edited_result(make_llm):
    agent, config = weather_agent(make_llm, "weather-edit")
    edited = {"type": "edit", "edited_action": {"name": "get_weather", "args": {"city": "Oslo"}}}
    state = decide(agent, config, "batched", edited)
    assert model_calls(state) == [("get_weather", {"city": "Paris"})]
    answer = state["messages"][-1].text
    assert "18 degrees and sunny in Oslo" in answer and "Oslo" in answer, answer
    assert "edit" in answer, answer


# --- failures that retrying cannot fix ------------------------------------------------------


def test_a_tool_that_keeps_failing_is_retried_once_then_the_model_answers_honestly(make_llm):
    from helpers.agent_executor import AgentExecutor
    from helpers.tools import MATH_TOOLS, final_answer_tool

    @tool("add")
    def broken_add(x: float, y: float) -> float:
        """Add 'x' and 'y'."""
        raise RuntimeError("the adder is broken")

    broken_add.handle_tool_error = lambda error: f"Error: {error}"
    result = AgentExecutor(make_llm(), [broken_add, *MATH_TOOLS[1:], final_answer_tool], max_iterations=8).invoke(
        "What is 10 + 10?")
    assert result.finished, result.answer
    assert result.answer.startswith("The add step failed twice"), result.answer
    assert "the adder is broken" in result.answer


# --- the brain alone: other agents' refusals, and a tool's own news --------------------------


def _exchange(question: str, call: dict, result: str, tools: list[dict]) -> list[dict]:
    return [{"role": "user", "content": question},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": call["name"], "arguments": call["args"]}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": result}]


def _function(name: str, description: str, properties: dict) -> dict:
    return {"type": "function", "function": {"name": name, "description": description, "parameters": {
        "type": "object", "properties": properties, "required": list(properties)}}}


ADD = _function("add", "Add 'x' and 'y'.", {"x": {"type": "number"}, "y": {"type": "number"}})
FINAL = _function("final_answer", "Give the final answer.", {"answer": {"type": "string"},
                                                              "tools_used": {"type": "array"}})
TICKET = _function("get_ticket", "Get the status of a ticket.", {"ticket_id": {"type": "string"}})


def test_another_agents_refusal_is_obeyed_too():
    from helpers.course_model.brain.brain import respond

    messages = _exchange("What is 2 + 3?", {"name": "add", "args": '{"x": 2, "y": 3}'},
                         "The user declined this action.", [ADD, FINAL])
    reply = respond(messages, [ADD, FINAL], "required")
    assert [call.name for call in reply.tool_calls] == ["final_answer"], reply
    assert reply.tool_calls[0].arguments["answer"] == (
        "You declined the add step (2 + 3), so I stopped: I have no answer to 2 + 3.")


def test_a_tools_own_news_about_a_rejection_is_a_result_not_a_refusal():
    from helpers.course_model.brain.brain import respond

    messages = _exchange("What is the status of ticket 'T-7'?", {"name": "get_ticket", "args": '{"ticket_id": "T-7"}'},
                         "The reviewer rejected the pull request.", [TICKET])
    reply = respond(messages, [TICKET], "auto")
    assert reply.text == "get_ticket for T-7 returned: The reviewer rejected the pull request."
