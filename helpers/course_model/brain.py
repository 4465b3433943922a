"""The course model's brain: given a chat request, decide what the model says.

`respond` is a pure function of the request, so the same conversation always
gets the same reply, and every turn of a tool loop can be recomputed from the
messages alone (the server keeps no state). Each turn it:

1. reads the question (the last user message);
2. if it is arithmetic, plans it as tool steps, finds which steps the
   conversation has already done, and asks for the next ones, or, once all
   are done, gives the answer (through `final_answer` when offered);
3. otherwise answers in text from `answers.py`.

Impossible arithmetic (division by zero, a result too large for the tools,
a non-real power) still goes through the tools: the step that must fail is
requested, the tool's error comes back, and the model then answers honestly
("10 / 0 is undefined: you can't divide by zero."), which is what a learner
should see an agent do. An error from a step that *should* work is ignored and
the step is asked for again; the client bounds the iterations.

Deliberate simplifications:

- With `tool_choice="required"` and no `final_answer` tool, the finished
  answer is text, although the API would demand a tool call.
- A named `tool_choice` for a math tool is honoured only when the plan's next
  step uses that tool; otherwise the answer is text.
- `tool_choice` naming `final_answer` answers at once with our own arithmetic.
- Tools that are neither math operations nor `final_answer` are never called.
"""

from __future__ import annotations

from typing import Any

from . import answers
from .arithmetic import parse_question
from .conversation import (
    content_text,
    delivered_final_answer,
    last_user_index,
    previous_answer,
    tool_exchanges,
)
from .expression import ArithmeticProblem, Expr, evaluate, format_number, render, substitute_previous, uses_previous
from .planning import NoToolFor, plan, progress
from .reply import Reply, ToolCall
from .toolbox import FINAL_ANSWER, Toolbox, ToolChoice, read_toolbox

# Tool results travel as floats, so a tool plan must stay well within float range;
# the course's own tools (helpers/tools.py) refuse results beyond 300 digits.
_FLOAT_DIGITS = 300


def respond(
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]] | None = None,
    tool_choice: str | dict[str, Any] | None = None,
    parallel_tool_calls: bool = True,
) -> Reply:
    """What the course model says next, given an already-validated Chat Completions request."""
    question_at = last_user_index(messages)
    if question_at is None:
        return Reply(text=answers.NO_QUESTION)
    after_question = messages[question_at + 1 :]
    already_answered = delivered_final_answer(after_question)
    if already_answered is not None:
        return Reply(text=already_answered)

    toolbox = read_toolbox(tools)
    choice = ToolChoice.from_request(tool_choice, has_tools=bool(toolbox.math) or toolbox.has_final_answer)
    question = content_text(messages[question_at].get("content"))

    expr = parse_question(question)
    if expr is None:
        return _answer(answers.answer_for(question), toolbox, choice, calculated=False)
    if uses_previous(expr):
        previous = previous_answer(messages[:question_at])
        if previous is None:
            return _answer(answers.NO_PREVIOUS_ANSWER, toolbox, choice, calculated=False)
        expr = substitute_previous(expr, previous)
    return _calculate(expr, toolbox, choice, after_question, parallel_tool_calls)


def _calculate(
    expr: Expr,
    toolbox: Toolbox,
    choice: ToolChoice,
    after_question: list[dict[str, Any]],
    parallel: bool,
) -> Reply:
    """Answer an arithmetic question: directly, or one turn of the tool loop."""
    honest, tools_can_do_it = _own_answer(expr)
    if choice.mode == "none" or choice.forces(FINAL_ANSWER):
        return _answer(honest, toolbox, choice, calculated=True)
    try:
        steps = plan(expr, toolbox)
    except NoToolFor:
        return _answer(honest, toolbox, choice, calculated=True)  # beyond the tools: answer it ourselves

    done = progress(steps, tool_exchanges(after_question))
    if done.finished:
        return _answer(_sentence(expr, done.answer), toolbox, choice, calculated=True, used=done.tools_used)
    if done.failed and not tools_can_do_it:
        return _answer(honest, toolbox, choice, calculated=True, used=done.tools_used)  # the failure we expected
    ready = done.ready()
    if choice.mode == "function":
        ready = [(step, arguments) for step, arguments in ready if step.tool.name == choice.name]
        if not ready:
            return Reply(text=honest)
    if not parallel:
        ready = ready[:1]
    return Reply(tool_calls=tuple(ToolCall(step.tool.name, arguments) for step, arguments in ready))


def _own_answer(expr: Expr) -> tuple[str, bool]:
    """Our own answer sentence, and whether float tools can reach it without an error.

    Evaluation is guarded (see `expression.evaluate`), so `10 ** 10 ** 10` is
    refused here, never computed.
    """
    try:
        value = evaluate(expr)
    except ArithmeticProblem as problem:
        return f"{render(expr)} {problem.explanation}", False
    try:
        evaluate(expr, max_digits=_FLOAT_DIGITS)
    except ArithmeticProblem:
        return _sentence(expr, value), False
    return _sentence(expr, value), True


def _sentence(expr: Expr, value: float | int) -> str:
    """The answer sentence: the expression and its value, as in `10 + 10 is 20.`"""
    return f"{render(expr)} is {format_number(value)}."


def _answer(
    text: str,
    toolbox: Toolbox,
    choice: ToolChoice,
    *,
    calculated: bool,
    used: list[str] | None = None,
) -> Reply:
    """Give the finished answer: through `final_answer` when the request calls for it, else as text.

    `final_answer` is used when it is offered and forced (by name or by
    "required"), and also under "auto" for calculations, which is how the
    course's agents end their tool loop. Other answers under "auto" are text.
    """
    wants_tool = choice.forces(FINAL_ANSWER) or choice.mode == "required" or (calculated and choice.mode == "auto")
    if toolbox.has_final_answer and wants_tool:
        arguments = toolbox.final_answer_arguments(text, used or [])
        return Reply(tool_calls=(ToolCall(FINAL_ANSWER, arguments),))
    return Reply(text=text)
