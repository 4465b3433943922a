"""The course model's brain: given a chat request, decide what the model says.

`respond` is a pure function of the request, so the same conversation always
gets the same reply, and every turn of a tool loop can be recomputed from the
messages alone (the server keeps no state). Each turn it:

1. reads the question (the last user message);
2. if it is arithmetic, plans it as steps for the offered math tools, finds
   which steps the conversation has already done, and asks for the next ones,
   or, once all are done, gives the answer (`planning.py`);
3. otherwise, when tools are offered, picks the tool the question asks for and
   fills its arguments (`tool_choosing.py`, `arguments.py`), then answers with
   the results (`tool_use.py`);
4. otherwise answers in text from `answers.py`.

How the answer is given follows the request, exactly as OpenAI defines it:

- `tool_choice="none"` (or no tools): text, or JSON when `response_format` asks
  for it (`structured.py`);
- `"auto"`: calls when a tool fits, then the answer; through `final_answer`
  when that tool is offered and tools were used, which is how the course's
  agents end their loop;
- `"required"`: always at least one call: the work's calls, then
  `final_answer` when offered, else the answer form LangChain's `ToolStrategy`
  appended (`tool_choosing.answer_forms`), else the best-fitting tool again;
- a named function: always a call to that function, with schema-valid
  arguments taken from the question (plausible values for what it lacks).

Impossible arithmetic (division by zero, a result too large for the tools,
a non-real power) still goes through the tools: the step that must fail is
requested, the tool's error comes back, and the model then answers honestly
("10 / 0 is undefined: you can't divide by zero."), which is what a learner
should see an agent do. A step that *should* work and fails is asked for once
more (a tool can fail once by chance); if it fails again, the model stops and
says so, quoting the error, instead of asking until the client's step limit.

A person in the loop (LangChain's `HumanInTheLoopMiddleware`, `reviews.py`)
is obeyed: a declined call is never asked for again, and the model stops with
an honest answer ("You declined the multiply step ..."); an edited call's
result is used, and the answer says it comes from the edit (`setbacks.py`).
An error from a learner's own tool is quoted in the answer, not retried: it is
that tool's answer for those arguments.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

from .. import workload
from . import answers, setbacks
from ..reading.arithmetic import TooComplex, parse_question
from .conversation import (
    ToolExchange,
    content_text,
    delivered_final_answer,
    last_user_index,
    previous_answer,
    tool_exchanges,
)
from ..reading.expression import ArithmeticProblem, Expr, evaluate, format_number, render, substitute_previous, uses_previous
from ..reading.outcome import Outcome
from .planning import NoToolFor, Operand, Step, StepResult, plan, progress
from .reply import Reply, Thought, ToolCall
from .result_prose import result_sentences
from .structured import JsonFormat, json_answer, json_format
from .tool_choosing import AUTO_THRESHOLD, OfferedTool, answer_forms, best_tool, offered_tools
from .tool_use import (
    answer_from_results,
    answered,
    forced_call,
    missing_argument_question,
    pending,
    plan_tool_calls,
    tool_named,
)
from .toolbox import FINAL_ANSWER, Toolbox, ToolChoice, read_toolbox

# Tool results travel as floats, so a tool plan must stay well within float range;
# the course's own tools (helpers/tools.py) refuse results beyond 300 digits.
_FLOAT_DIGITS = 300
MAX_QUESTION_CHARS = 20_000  # read of a question; the rest is not looked at (answers stay linear in size)


def respond(
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]] | None = None,
    tool_choice: str | dict[str, Any] | None = None,
    parallel_tool_calls: bool = True,
    response_format: Any = None,
) -> Reply:
    """What the course model says next, given an already-validated Chat Completions request.

    `response_format` is the request's parsed `ResponseFormat` (or the raw dict); None means text.
    The work is bounded (`workload.py`): inside the server's budget for the request, else a fresh one.
    """
    with workload.bounded():
        return _respond(messages, tools, tool_choice, parallel_tool_calls, response_format)


def _respond(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, tool_choice: str | dict[str, Any] | None,
             parallel_tool_calls: bool, response_format: Any) -> Reply:
    question_at = last_user_index(messages)
    if question_at is None:
        return Reply(text=answers.NO_QUESTION)
    after_question = messages[question_at + 1 :]
    already_answered = delivered_final_answer(after_question)
    if already_answered is not None:
        return Reply(text=already_answered)

    offered = offered_tools(tools)
    turn = _Turn(
        question=content_text(messages[question_at].get("content"))[:MAX_QUESTION_CHARS],
        offered=offered,
        toolbox=read_toolbox(tools),
        choice=ToolChoice.from_request(tool_choice, has_tools=bool(offered)),
        parallel=parallel_tool_calls,
        json=json_format(response_format),
        exchanges=tool_exchanges(after_question),
        context=[content_text(m.get("content"))[:MAX_QUESTION_CHARS] for m in messages
                 if m.get("role") in ("system", "developer", "user")],
    )
    try:
        expr = parse_question(turn.question)
    except TooComplex as limit:
        return turn.finish(limit.explanation, calculated=True)  # an arithmetic answer, like any other
    if expr is None:
        return _use_tools(turn)
    if uses_previous(expr):
        try:
            previous = previous_answer(messages[:question_at])
        except TooComplex as limit:
            return turn.finish(limit.explanation, calculated=True)
        if previous is None:
            return turn.finish(answers.NO_PREVIOUS_ANSWER)
        expr = substitute_previous(expr, previous)
    return _calculate(expr, turn)


@dataclass
class _Turn:
    """Everything one turn needs: the question, what is offered, what has happened, and how to answer."""

    question: str
    offered: list[OfferedTool]
    toolbox: Toolbox
    choice: ToolChoice
    parallel: bool
    json: JsonFormat | None  # the JSON `response_format` asks for; None: text
    exchanges: list[ToolExchange]
    context: list[str] = field(default_factory=list)
    outcome: Outcome | None = None  # a calculation's value and expression, for a structured answer's fields
    thought: Thought | None = None  # what was planned, kept on the reply for a reasoning summary

    @property
    def forms(self) -> list[OfferedTool]:
        """The tools to fill with the answer (LangChain's `ToolStrategy`), see `tool_choosing.answer_forms`."""
        return answer_forms(self.offered, self.choice.mode)

    @property
    def actions(self) -> list[OfferedTool]:
        """The offered tools that do work: all but `final_answer` and the answer forms."""
        forms = {tool.name for tool in self.forms}
        return [tool for tool in self.offered if tool.name != FINAL_ANSWER and tool.name not in forms]

    def calls(self, calls: list[ToolCall]) -> Reply:
        """Ask for `calls`: all at once when parallel calls are allowed, else the first."""
        return Reply(tool_calls=tuple(calls if self.parallel else calls[:1]), thought=self.thought)

    def finish(self, text: str, *, calculated: bool = False, used: list[str] | None = None, facts: str = "",
               prose: str | None = None) -> Reply:
        """Give the finished answer `text` the way the request asks for it (see the module docstring).

        `facts` (the tool results) join the question as the source of a forced
        call's or a JSON answer's values; `prose` (default: `text`) gives their
        free-text fields, sentence by sentence.
        """
        reply = self._finish(text, calculated=calculated, used=used or [], facts=facts, prose=prose)
        return dataclasses.replace(reply, thought=self.thought) if self.thought is not None else reply

    def _finish(self, text: str, *, calculated: bool, used: list[str], facts: str, prose: str | None) -> Reply:
        source = f"{self.question}\n{facts}" if facts else self.question
        sentences = text if prose is None else prose
        if self.choice.mode == "function":
            if self.choice.name == FINAL_ANSWER and self.toolbox.has_final_answer:
                return self._final_answer(text, used)
            tool = tool_named(self.offered, self.choice.name)
            if tool is not None:
                return Reply(tool_calls=(forced_call(tool, source, _prose(sentences), self.outcome),))
        if self.choice.mode == "required":
            if self.toolbox.has_final_answer:
                return self._final_answer(text, used)
            return Reply(tool_calls=(forced_call(self._answer_tool(), source, _prose(sentences), self.outcome),))
        if self.choice.mode == "auto" and self.toolbox.has_final_answer and (calculated or used):
            return self._final_answer(text, used)
        if self.json is not None:
            return Reply(text=json_answer(self.json, source, list(_prose(sentences)), self.context, self.outcome))
        return Reply(text=text)

    def _final_answer(self, text: str, used: list[str]) -> Reply:
        return Reply(tool_calls=(ToolCall(FINAL_ANSWER, self.toolbox.final_answer_arguments(text, used)),))

    def _answer_tool(self) -> OfferedTool:
        """The tool a forced call goes to once the work is done: an answer form not yet filled, else the best fit."""
        called = {exchange.name for exchange in self.exchanges}
        forms = [tool for tool in self.forms if tool.name not in called]
        if forms:
            return forms[0]
        declined = {exchange.name for exchange in self.exchanges if exchange.declined}
        candidates = [tool for tool in self.actions if tool.name not in declined] or self.actions or self.offered
        return best_tool(self.question, candidates, threshold=0) or candidates[0]


def _prose(text: str) -> Iterator[str]:
    """The sentences of an answer, to fill free-text fields; none from the fallback answer (it is about the course model, not the question)."""
    if text == answers.FALLBACK:
        return iter(())
    return iter(sentence for sentence in re.split(r"(?<=[.!?])\s+", text.strip()) if sentence)


# -- any tool ---------------------------------------------------------------------------------


def _use_tools(turn: _Turn) -> Reply:
    """Answer a question that is not arithmetic: with the tool it asks for, or in text."""
    text = answers.answer_for(turn.question)
    if not turn.actions or turn.choice.mode == "none" or turn.choice.mode == "function":
        earlier = [exchange for exchange in turn.exchanges if exchange.result is not None]
        if text == answers.FALLBACK and earlier and turn.choice.mode == "none":
            return _answer_with_results(turn, earlier)  # no tools now, but their results are in the conversation
        return turn.finish(text)  # a named function is always called, by `finish`
    tool_plan = plan_tool_calls(turn.question, turn.actions, threshold=AUTO_THRESHOLD)
    if tool_plan.missing is not None:
        turn.thought = Thought(missing=tool_plan.missing)
        return turn.finish(missing_argument_question(*tool_plan.missing))
    if not tool_plan.calls:
        return turn.finish(text)
    todo = pending(tool_plan, turn.exchanges)
    if todo:
        return turn.calls(todo)
    return _answer_with_results(turn, answered(tool_plan, turn.exchanges))


def _answer_with_results(turn: _Turn, done: list[ToolExchange]) -> Reply:
    """The answer once the tools have answered: their results quoted, and as sentences for structured fields."""
    facts = "\n".join(exchange.result or "" for exchange in done if not exchange.declined)
    ran = [e.ran_as[0] if e.ran_as else e.name for e in done if not e.declined]
    text = answer_from_results(done)
    return turn.finish(text, used=list(dict.fromkeys(ran)), facts=facts,
                       prose=result_sentences(done, text, turn.question))


# -- arithmetic -------------------------------------------------------------------------------


def _calculate(expr: Expr, turn: _Turn) -> Reply:
    """Answer an arithmetic question: directly, or one turn of the tool loop."""
    honest, tools_can_do_it = _own_answer(expr)
    turn.outcome = Outcome(_value_of(expr), render(expr))
    turn.thought = Thought(render(expr))
    if turn.choice.mode == "none" or turn.choice.forces(FINAL_ANSWER):
        return turn.finish(honest, calculated=True)
    try:
        steps = plan(expr, turn.toolbox)
    except NoToolFor:
        return turn.finish(honest, calculated=True)  # beyond the tools: answer it ourselves

    done = progress(steps, turn.exchanges)
    turn.thought = Thought(render(expr), tuple(_step_text(step) for step in steps), len(done.results))
    if done.declined:  # a person said no: never ask again (setbacks.py)
        step, exchange = steps[done.declined_steps[0]], done.declined[0]
        reason = exchange.review.reason if exchange.review else ""
        text = setbacks.declined_step(step.tool.name, step.tool.operation, done.operands(step), expr, reason)
        return turn.finish(text, calculated=True, used=done.tools_used)
    if done.finished:
        turn.outcome = Outcome(done.answer, render(expr))  # the tools' results, as the answer says
        if done.edited:
            text = setbacks.edited_result(done.edited, format_number(done.answer))
            return turn.finish(text, calculated=True, used=done.tools_used)
        return turn.finish(_sentence(expr, done.answer), calculated=True, used=done.tools_used)
    if done.failed and not tools_can_do_it:
        return turn.finish(honest, calculated=True, used=done.tools_used)  # the failure we expected
    given_up = done.given_up()
    if given_up is not None:  # it should have worked, and was asked for again: stop now
        step, error = given_up
        text = setbacks.failed_step(step.tool.name, error, expr, len(done.errors[step.index]))
        return turn.finish(text, calculated=True, used=done.tools_used)
    ready = done.ready()
    if turn.choice.mode == "function":
        ready = [(step, arguments) for step, arguments in ready if step.tool.name == turn.choice.name]
        if not ready:
            return turn.finish(honest, calculated=True)  # still a call to the named function
    return turn.calls([ToolCall(step.tool.name, arguments) for step, arguments in ready])


def _step_text(step: Step) -> str:
    """A plan step as a call, `multiply(3, <step 1>)`: operands in the expression's order, earlier results by number."""
    def operand(value: Operand) -> str:
        return f"<step {value.step + 1}>" if isinstance(value, StepResult) else format_number(value)
    return f"{step.tool.name}({operand(step.left)}, {operand(step.right)})"


def _value_of(expr: Expr) -> float | int | None:
    try:
        return evaluate(expr)
    except ArithmeticProblem:
        return None


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
