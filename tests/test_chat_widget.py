"""The chat widget, driven through its buttons' callbacks, with no browser and no kernel.

Clicking a button in a test calls the same `on_click` callbacks the browser
triggers, here inside the test's event loop, as ipykernel would. Each case runs
the real streaming executor against the course model (faults injected with the
test-only header) and watches the transcript widget's HTML as it changes.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import nbformat
import pytest

from helpers.chat_widget import ChatWidget
from helpers.render import StreamRenderer
from helpers.streaming_executor import StreamingAgentExecutor

CHAPTER_03 = Path(__file__).resolve().parent.parent / "chapters" / "03-queue-streamed-agent.ipynb"
SIMPLE_WIDGET_TAG = "simple-chat-widget"  # chapter 03's dozen-line widget, before `ChatWidget`

HARD_TIMEOUT = 20  # seconds; every turn ends long before this or the test fails


def ask(chat: ChatWidget, question: str) -> None:
    chat.question_box.value = question
    chat.send_button.click()


async def until(condition, what: str) -> None:
    """Wait (bounded) until `condition()` holds, letting the event loop run the widget's task."""
    for _ in range(HARD_TIMEOUT * 100):
        if condition():
            return
        await asyncio.sleep(0.01)
    pytest.fail(f"timed out waiting for {what}")


async def finished(chat: ChatWidget) -> None:
    await until(lambda: not chat.running and chat.task is not None and chat.task.done(), "the turn to end")


def watch(chat: ChatWidget) -> list[str]:
    """Every value the transcript takes from now on."""
    values: list[str] = []
    chat.transcript.observe(lambda change: values.append(change["new"]), names="value")
    return values


def answers(chat: ChatWidget) -> list[str]:
    return re.findall(r'<p class="chat-answer"><b>Agent:</b> (.*?)</p>', chat.transcript.value)


async def test_send_streams_tool_steps_then_the_answer_into_the_transcript(make_llm):
    chat = ChatWidget(StreamingAgentExecutor(make_llm()))
    values = watch(chat)
    ask(chat, "What is (2 + 3) * (4 + 5)?")
    assert chat.running and chat.send_button.disabled and not chat.stop_button.disabled
    assert chat.question_box.value == "", "the box is cleared for the next question"
    await finished(chat)

    assert answers(chat) == ["(2 + 3) × (4 + 5) is 45."]
    assert chat.transcript.value.count('class="chat-step"') == 3  # add, add, multiply
    assert "3 model calls · tools used: add, multiply" in chat.transcript.value
    # It grew in place: tool steps first, then the answer word by word.
    assert len(values) > 20
    first_step = next(i for i, v in enumerate(values) if "chat-step" in v)
    first_answer = next(i for i, v in enumerate(values) if "chat-answer" in v)
    assert first_step < first_answer
    partial_answers = {m for v in values for m in re.findall(r"<b>Agent:</b> (.*?)</p>", v)}
    assert len(partial_answers) >= 3, "the answer streamed in pieces"
    assert not chat.send_button.disabled and chat.stop_button.disabled


async def test_one_conversation_keeps_its_history(make_llm):
    executor = StreamingAgentExecutor(make_llm())
    chat = ChatWidget(executor)
    ask(chat, "What is 10 + 10?")
    await finished(chat)
    ask(chat, "Now multiply that by 3")
    await finished(chat)
    assert answers(chat) == ["10 + 10 is 20.", "20 × 3 is 60."]  # "that" came from the history
    assert len(executor.chat_history) == 4
    assert chat.transcript.value.count("<b>You:</b>") == 2


async def test_stop_cancels_the_run_and_the_widget_stays_usable(make_llm):
    executor = StreamingAgentExecutor(make_llm("delay=0.05"))  # slow enough to stop mid-answer
    chat = ChatWidget(executor)
    ask(chat, "What is (2 + 3) * (4 + 5)?")
    await until(lambda: "chat-step" in chat.transcript.value, "the first tool step")
    chat.stop_button.click()
    await finished(chat)

    assert chat.task.cancelled()
    assert "Stopped." in chat.transcript.value and answers(chat) == []
    assert executor.chat_history == [], "a stopped turn is not part of the conversation"
    assert not chat.send_button.disabled and chat.stop_button.disabled
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
    if others:
        await asyncio.wait(others, timeout=5)
    assert all(t.done() for t in others), "the agent run was wound down, nothing left running"

    executor.agent = StreamingAgentExecutor(make_llm()).agent  # the model is fast again
    ask(chat, "What is 10 + 10?")
    await finished(chat)
    assert answers(chat) == ["10 + 10 is 20."]


async def test_a_failing_model_shows_an_error_and_the_widget_stays_usable(make_llm):
    executor = StreamingAgentExecutor(make_llm("status=500@1"))  # the second model call fails
    chat = ChatWidget(executor)
    ask(chat, "What is 10 + 10?")
    await finished(chat)
    assert not chat.task.cancelled() and chat.task.exception() is None, "the error is shown, not raised"
    errors = re.findall(r'class="chat-error"[^>]*><b>Error:</b> (.*?)</p>', chat.transcript.value)
    assert len(errors) == 1 and "500" in errors[0]
    assert 'class="chat-step"' in chat.transcript.value  # what streamed before the failure stays
    assert not chat.send_button.disabled

    executor.agent = StreamingAgentExecutor(make_llm()).agent
    ask(chat, "What is 10 + 10?")
    await finished(chat)
    assert answers(chat) == ["10 + 10 is 20."]
    assert len(executor.chat_history) == 2, "only the answered turn joined the history"


async def test_an_empty_question_sends_nothing(make_llm):
    chat = ChatWidget(StreamingAgentExecutor(make_llm()))
    before = chat.transcript.value
    ask(chat, "   ")
    assert chat.task is None and chat.transcript.value == before


async def test_the_transcript_escapes_what_it_shows(make_llm):
    chat = ChatWidget(StreamingAgentExecutor(make_llm()))
    ask(chat, "<script>alert(1)</script> What is 10 + 10?")
    await finished(chat)
    assert "<script>" not in chat.transcript.value
    assert "&lt;script&gt;" in chat.transcript.value


async def test_a_click_handled_on_another_thread_runs_the_turn_on_the_widgets_loop(make_llm):
    """ipykernel 7 may run a widget's callback on a subshell: another thread, with its own event loop."""
    chat = ChatWidget(StreamingAgentExecutor(make_llm()))
    ask(chat, "What is 10 + 10?")
    await finished(chat)  # the model's HTTP client now belongs to this loop

    async def click_on_a_subshell():
        ask(chat, "Now multiply that by 3")
        await asyncio.sleep(0.5)  # that loop lives on for a while, as a subshell's does

    await asyncio.to_thread(asyncio.run, click_on_a_subshell())
    await finished(chat)
    assert chat.task.get_loop() is asyncio.get_running_loop()
    assert answers(chat) == ["10 + 10 is 20.", "20 × 3 is 60."], chat.transcript.value


def simple_widget(executor: StreamingAgentExecutor) -> dict:
    """Chapter 03's own simple-widget cell, run with `executor`: its names (box, send, view, ...)."""
    cells = [cell for cell in nbformat.read(CHAPTER_03, as_version=4).cells
             if SIMPLE_WIDGET_TAG in cell.metadata.get("tags", [])]
    assert len(cells) == 1, f"expected one cell tagged {SIMPLE_WIDGET_TAG!r} in chapter 03, found {len(cells)}"
    names = {"executor": executor, "StreamRenderer": StreamRenderer, "asyncio": asyncio}
    exec(cells[0].source, names)  # the cell's last line (the widget) is an expression: exec just builds it
    return names


async def test_the_chapters_simple_widget_streams_an_answer(make_llm):
    widget = simple_widget(StreamingAgentExecutor(make_llm()))
    widget["box"].value = "What is 10 + 10?"
    widget["send"].click()
    await until(lambda: "Answer: 10 + 10 is 20." in widget["view"].value, "the answer in the simple widget")


async def test_the_chapters_simple_widget_shows_a_failure(make_llm):
    """The task runs behind `run_coroutine_threadsafe`, whose future keeps an error to itself: the cell shows it."""
    widget = simple_widget(StreamingAgentExecutor(make_llm("status=500@1")))  # the second model call fails
    widget["box"].value = "What is 10 + 10?"
    widget["send"].click()
    await until(lambda: "500" in widget["view"].value, "the error in the simple widget")
    assert "Calling add" in widget["view"].value, "what streamed before the failure stays"
    assert "InternalServerError" in widget["view"].value or "APIError" in widget["view"].value


async def test_stop_clicked_on_another_thread_right_after_send_stops_the_new_turn(make_llm):
    """Issue 25: after a finished turn, Send then Stop (Stop handled on another thread, as ipykernel 7 can)
    must stop the new turn, not cancel the old, finished task."""
    executor = StreamingAgentExecutor(make_llm())
    chat = ChatWidget(executor)
    ask(chat, "What is 10 + 10?")
    await finished(chat)
    old_task = chat.task
    executor.agent = StreamingAgentExecutor(make_llm("delay=0.05")).agent  # the next turn takes seconds

    def send_then_stop():  # on a thread with no event loop: both callbacks hand their work to the widget's loop
        ask(chat, "Now multiply that by 3")
        chat.stop_button.click()

    await asyncio.wait_for(asyncio.to_thread(send_then_stop), HARD_TIMEOUT)
    await finished(chat)
    assert chat.task is not old_task and chat.task.cancelled(), "Stop stopped the turn in progress"
    assert "Stopped." in chat.transcript.value and answers(chat) == ["10 + 10 is 20."]
    assert len(executor.chat_history) == 2, "the stopped turn is not part of the conversation"
    assert not chat.send_button.disabled and chat.stop_button.disabled


async def test_stop_on_another_thread_during_a_turn_stops_it(make_llm):
    executor = StreamingAgentExecutor(make_llm("delay=0.05"))
    chat = ChatWidget(executor)
    ask(chat, "What is (2 + 3) * (4 + 5)?")
    await until(lambda: "chat-step" in chat.transcript.value, "the first tool step")
    await asyncio.wait_for(asyncio.to_thread(chat.stop_button.click), HARD_TIMEOUT)
    await finished(chat)
    assert chat.task.cancelled() and "Stopped." in chat.transcript.value and answers(chat) == []


async def test_a_reasoning_models_plan_streams_dimmed_before_each_step_and_folds_away_when_answered():
    """A model that reasons (scripted Responses API stream): its reasoning shows live, apart from the answer."""
    from helpers.checks.scripted_openai import ScriptedOpenAI
    from test_web_app_reasoning import PLAN, REASONING, WRAP_UP, plan

    server = ScriptedOpenAI(plan)
    chat = ChatWidget(StreamingAgentExecutor(server.chat_model(use_responses_api=True, reasoning=REASONING)))
    values = watch(chat)
    ask(chat, "What is 10 + 10?")
    await finished(chat)
    await server.aclose()

    thoughts = re.findall(r'<details class="chat-reasoning"( open)?><summary>Reasoning</summary>'
                          r'<span style="[^"]*">(.*?)</span></details>', chat.transcript.value)
    assert [text for _, text in thoughts] == ["".join(PLAN), "".join(WRAP_UP)]
    assert not any(is_open for is_open, _ in thoughts), "folded away once answered"
    assert answers(chat) == ["10 + 10 is 20."], "the reasoning stays out of the answer"
    final = chat.transcript.value
    assert final.index("".join(PLAN)) < final.index('class="chat-step"') < final.index("".join(WRAP_UP)) < final.index(
        'class="chat-answer"'), "each model call's reasoning comes before what it did"
    # Live: the plan grew piece by piece, open, before the step it leads to was shown.
    partial = [value for value in values if '<details class="chat-reasoning" open>' in value and "chat-step" not in value]
    assert len({re.search(r"<span[^>]*>(.*?)</span>", value).group(1) for value in partial}) >= len(PLAN)
