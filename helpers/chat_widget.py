"""A chat with the streaming agent, inside the notebook (ipywidgets). Taught in chapter 03.

The widget is a text box, Send and Stop buttons, and a transcript. Send does not
run the agent: a button callback must return at once, or the kernel could not
receive the next click (Stop included). So the callback only *schedules* a task
on the kernel's own event loop; that task consumes `executor.stream(question)`
and redraws the transcript as each piece arrives, the same `StreamRenderer` text
as chapter 03's live view. Stop cancels that task: leaving `async with` cancels
the agent run and waits for it to wind down, so nothing keeps calling the model.

The task always runs on the loop the widget was made on, the kernel's main loop:
ipykernel 7 may call a widget's callback on another thread (a subshell) with a
loop of its own, and the model's HTTP client belongs to the main loop, so the
callback hands the work over with `call_soon_threadsafe`.

A model that reasons (chapter 01: OpenAI's reasoning models through the Responses
API) streams a summary of its plan before each step: the transcript shows it dimmed,
just before the step it leads to, open while the turn runs and folded away (a
click to open) once it has ended. It is read from the chunks' content blocks
(`helpers.reasoning`), never mixed into the answer.

A failure (the model is down, the run timed out) ends the turn with the error
shown in the transcript, and the widget is ready for the next question. One
widget is one conversation: it keeps one executor, whose `chat_history` carries
every finished turn into the next question ("Now multiply that by 3").

Only API that ipywidgets 7.7.1 (Colab) and 8 (JupyterLab 4, Binder) share is
used: `Text`, `Button.on_click`, `HTML`, `HBox`/`VBox`.
"""

from __future__ import annotations

import asyncio
import html
import re
from dataclasses import dataclass, field

import ipywidgets as widgets

from .reasoning import reasoning_text
from .render import StreamRenderer
from .streaming_executor import DEFAULT_TIMEOUT, StreamingAgentExecutor

_ANSWER = re.compile(r"^Answer: ", re.M)  # where StreamRenderer starts the final answer


@dataclass
class Turn:
    """One question and what the agent has streamed back for it so far."""

    question: str
    text: str = ""  # the renderer's text: tool calls, then "Answer: ..."
    status: str = "running"  # running, answered, stopped or failed
    note: str = ""  # the summary, or the error
    task: asyncio.Task | None = None  # the task answering it, once the widget's loop has started it
    # A reasoning model's reasoning, one entry per model call: [step lines before it, its text, len(text) then].
    reasoning: list[list] = field(default_factory=list)

    def add_reasoning(self, piece: str) -> None:
        """Add a piece of reasoning: to the current one, or as a new one when anything was shown since."""
        if self.reasoning and self.reasoning[-1][2] == len(self.text):
            self.reasoning[-1][1] += piece
            return
        steps = _split(self.text)[0]
        self.reasoning.append([sum(1 for line in steps.splitlines() if line.strip()), piece, len(self.text)])


class ChatWidget(widgets.VBox):
    """A chat with a `StreamingAgentExecutor`: `ChatWidget(StreamingAgentExecutor(llm))` as a cell's last line."""

    def __init__(self, executor: StreamingAgentExecutor, *, timeout: float | None = DEFAULT_TIMEOUT) -> None:
        self.executor = executor
        self.timeout = timeout
        self.turns: list[Turn] = []
        self.task: asyncio.Task | None = None  # the turn being answered, if any
        self._loop = _event_loop()  # the kernel's main loop: a cell makes the widget
        self.question_box = widgets.Text(placeholder="Ask the agent, e.g. What is (2 + 3) * (4 + 5)?")
        self.question_box.layout.width = "60%"  # ipywidgets 7 and 8 both accept layout attributes
        self.send_button = widgets.Button(description="Send", button_style="primary")
        self.stop_button = widgets.Button(description="Stop", disabled=True)
        self.transcript = widgets.HTML()
        self.send_button.on_click(self._on_send)
        self.stop_button.on_click(self._on_stop)
        super().__init__([self.transcript, widgets.HBox([self.question_box, self.send_button, self.stop_button])])
        self.add_class("course-chat")  # lets a browser test find the widget
        self._redraw()

    @property
    def running(self) -> bool:
        """A turn is being answered (or about to start: Send is disabled until it ends)."""
        return self.send_button.disabled

    def _on_send(self, _button: widgets.Button | None = None) -> None:
        """Send's callback: schedule the answer as a task and return at once."""
        question = self.question_box.value.strip()
        if not question or self.running:
            return  # nothing to ask, or a turn is still being answered (Send is disabled then anyway)
        self.question_box.value = ""
        self.turns.append(Turn(question))
        self._set_busy(True)
        self._on_loop(self._start, self.turns[-1])

    def _start(self, turn: Turn) -> None:
        turn.task = self.task = self._loop.create_task(self._answer(turn))
        turn.task.add_done_callback(lambda _task: self._ended(turn))

    def _ended(self, turn: Turn) -> None:
        """The turn's task is done: the widget is ready for the next question.

        A done callback rather than a `finally` in `_answer`: a task cancelled before its
        first step (Stop right after Send) never runs its coroutine at all.
        """
        if turn.status == "running":  # stopped before it began
            turn.status, turn.note = "stopped", "Stopped."
        self._set_busy(False)
        self._redraw()

    def _on_stop(self, _button: widgets.Button | None = None) -> None:
        """Stop's callback: cancel the task of the turn in progress; `_answer` records that it stopped.

        The turn is chosen now, its task found on the widget's loop: if Send was
        clicked an instant ago on another thread, that turn's task may not exist
        yet, but `_start` was handed to the loop first, so it does by the time
        `_stop` runs there. (Looking up `self.task` here would find the last turn's
        finished task, and cancelling it would stop nothing.)
        """
        if self.running and self.turns and self.turns[-1].status == "running":
            self.stop_button.disabled = True
            self._on_loop(self._stop, self.turns[-1])

    def _stop(self, turn: Turn) -> None:
        if turn.task is not None:
            turn.task.cancel()

    def _on_loop(self, function, *args) -> None:
        """Call `function` on the widget's loop: now if we are on it, else as soon as that loop can."""
        try:
            current = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        if current is self._loop:
            function(*args)
        else:
            self._loop.call_soon_threadsafe(function, *args)

    async def _answer(self, turn: Turn) -> None:
        """Consume the agent's stream and redraw the transcript as each piece arrives."""
        renderer = StreamRenderer()
        try:
            async with self.executor.stream(turn.question, timeout=self.timeout) as run:
                async for item in run:
                    if not isinstance(item, str) and (thought := reasoning_text(item)):
                        turn.add_reasoning(thought)
                        self._redraw()
                    if renderer.feed(item):  # something new to show
                        turn.text = renderer.text
                        self._redraw()
            result = run.result
            if not _ANSWER.search(turn.text):  # a plain-text reply streamed as text, not as `final_answer`
                calls = [line for line in turn.text.splitlines() if line.startswith("Calling ")]
                turn.text = "\n".join([*calls, f"Answer: {result.answer}"])
            turn.status = "answered"
            tools = ", ".join(result.tools_used) or "none"
            turn.note = f"{result.steps} model call{'s' if result.steps != 1 else ''} · tools used: {tools}"
        except asyncio.CancelledError:
            turn.status, turn.note = "stopped", "Stopped."
            raise  # the task ends cancelled, as asyncio expects
        except Exception as error:  # shown in the transcript, never lost in the kernel's log
            turn.status, turn.note = "failed", f"{type(error).__name__}: {error}"
        # `_ended` then leaves the widget ready for the next question.

    def _set_busy(self, busy: bool) -> None:
        self.send_button.disabled = busy
        self.stop_button.disabled = not busy

    def _redraw(self) -> None:
        self.transcript.value = "".join(_turn_html(turn) for turn in self.turns) or (
            "<p><i>Ask the agent a question: its tool calls and its answer stream in here.</i></p>"
        )


def _event_loop() -> asyncio.AbstractEventLoop:
    """The kernel's event loop: running while ipykernel handles a click, and in async tests."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:  # called outside any coroutine, e.g. from a plain script
        return asyncio.get_event_loop_policy().get_event_loop()


def _turn_html(turn: Turn) -> str:
    """One turn as HTML: the question, each tool call on its own line, the answer, and how it ended."""
    parts = [f'<div class="chat-turn chat-{turn.status}"><p><b>You:</b> {html.escape(turn.question)}</p>']
    steps, answer = _split(turn.text)
    lines = [line for line in steps.splitlines() if line.strip()]
    for number, line in enumerate(lines):
        parts += _reasoning_html(turn, number)
        parts.append(f'<div class="chat-step"><code>{html.escape(line)}</code></div>')
    parts += _reasoning_html(turn, len(lines))
    if answer is not None:
        answer_html = html.escape(answer.strip()).replace("\n", "<br>")
        parts.append(f'<p class="chat-answer"><b>Agent:</b> {answer_html}</p>')
    if turn.status == "running" and not turn.text and not turn.reasoning:
        parts.append("<p><i>Thinking...</i></p>")
    if turn.status == "failed":
        parts.append(f'<p class="chat-error" style="color:#b00020"><b>Error:</b> {html.escape(turn.note)}</p>')
    elif turn.note:
        parts.append(f'<p class="chat-note"><i>{html.escape(turn.note)}</i></p>')
    return "".join(parts) + "</div>"


def _split(text: str) -> tuple[str, str | None]:
    """The renderer's text as (tool-call lines, the answer or None when it has not begun)."""
    match = _ANSWER.search(text)
    return (text[: match.start()], text[match.end():]) if match else (text, None)


def _reasoning_html(turn: Turn, lines_before: int) -> list[str]:
    """The reasoning that came after `lines_before` step lines: dimmed, open while the turn runs."""
    opened = " open" if turn.status == "running" else ""
    return [f'<details class="chat-reasoning"{opened}><summary>Reasoning</summary>'
            f'<span style="color:#6a737d;font-style:italic">{html.escape(text)}</span></details>'
            for before, text, _ in turn.reasoning if before == lines_before]
