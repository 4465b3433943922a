"""Read what the brain needs out of an OpenAI `messages` list.

The question is the last user message. Before it lies the history a follow-up
question refers to ("Now multiply that by 3"); after it lie the tool calls the
model already made for this question, with their results. Everything here is
lenient: content may be a string, None or a list of parts, and tool arguments
may be malformed JSON (a test can inject that), which simply reads as `{}`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ..reading.arithmetic import MAX_INPUT_DIGITS, TooComplex
from ..reading.expression import Value
from .reviews import Review, read_review
from .toolbox import FINAL_ANSWER

# A number as text shows it: "-3", "1,234.5", "20", "1e+20".
_NUMBER = re.compile(r"-?\d+(?:,\d{3})*(?:\.\d+)?(?:[eE][-+]?\d+)?")


@dataclass(frozen=True)
class ToolExchange:
    """One tool call the model made, and the result the client sent back (None if none came).

    `review` says what a person in the loop did to the call (`reviews.py`): declined it, or ran
    another call in its place, whose result `result` then is.
    """

    name: str
    arguments: dict[str, Any]
    result: str | None
    review: Review | None = None

    @property
    def declined(self) -> bool:
        return self.review is not None and self.review.declined

    @property
    def ran_as(self) -> tuple[str, dict[str, Any]] | None:
        """The call a reviewer ran instead of this one, when it differs from it."""
        ran_as = self.review.ran_as if self.review is not None else None
        return ran_as if ran_as is not None and ran_as != (self.name, self.arguments) else None


def content_text(content: Any) -> str:
    """The text of a message's content: a string, None, or a list of `{"type": "text", "text": ...}` parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [part.get("text") for part in content if isinstance(part, dict)]
        return "\n".join(text for text in texts if isinstance(text, str))
    return ""


def last_user_index(messages: list[dict[str, Any]]) -> int | None:
    """Where the question is: the index of the last user message, or None if there is none."""
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].get("role") == "user":
            return index
    return None


def previous_answer(history: list[dict[str, Any]]) -> Value | None:
    """The number a follow-up question's "that" refers to, read from the messages before the question.

    It is the last number of the most recent assistant message that *said*
    something: its text, or the `answer` of its `final_answer` call. Assistant
    messages that only call math tools are scratch work and are skipped; a
    spoken answer without a number (a greeting) means there is no previous answer.
    """
    for message in reversed(history):
        if message.get("role") != "assistant":
            continue
        said = _final_answer_text(message) or content_text(message.get("content")).strip()
        if said:
            return last_number(said)
    return None


def last_number(text: str) -> Value | None:
    """The last number written in `text`, as an int when written as one; `TooComplex` when it is too long."""
    numbers = _NUMBER.findall(text)
    if not numbers:
        return None
    digits = numbers[-1].replace(",", "")
    length = len(digits.lstrip("-").replace(".", ""))
    if length > MAX_INPUT_DIGITS:  # 5,000 digits: too long for int() to read, and for the tools' floats
        raise TooComplex(f"My earlier answer has {length:,} digits; I work with numbers of up to "
                         f"{MAX_INPUT_DIGITS} digits, because the tools compute with floating-point numbers.")
    return int(digits) if re.fullmatch(r"-?\d+", digits) else float(digits)


def tool_exchanges(after_question: list[dict[str, Any]]) -> list[ToolExchange]:
    """The tool calls made since the question, in order, each with its result matched by `tool_call_id`."""
    results = {
        message.get("tool_call_id"): content_text(message.get("content"))
        for message in after_question
        if message.get("role") == "tool"
    }
    exchanges: list[ToolExchange] = []
    for message in after_question:
        if message.get("role") != "assistant":
            continue
        for call in message.get("tool_calls") or []:
            function = call.get("function") if isinstance(call, dict) else None
            if not isinstance(function, dict):
                continue
            result = results.get(call.get("id"))
            review, result = read_review(result) if result is not None else (None, None)
            exchanges.append(ToolExchange(str(function.get("name", "")), _arguments(function.get("arguments")),
                                          result, review))
    return exchanges


def delivered_final_answer(after_question: list[dict[str, Any]]) -> str | None:
    """The answer already given, when the conversation ends with `final_answer`'s (non-error) result.

    A client that keeps asking after `final_answer` has run should get that
    answer in text, not another `final_answer` call (which would loop).
    """
    if not after_question or after_question[-1].get("role") != "tool":
        return None
    result = content_text(after_question[-1].get("content")).strip()
    if result.lower().startswith("error"):
        return None
    call_id = after_question[-1].get("tool_call_id")
    for message in reversed(after_question):
        for call in message.get("tool_calls") or []:
            if isinstance(call, dict) and call.get("id") == call_id:
                return _answer_of(call) or None
    return None


def _final_answer_text(message: dict[str, Any]) -> str:
    """The `answer` of the message's `final_answer` call, or "" if it makes none."""
    for call in message.get("tool_calls") or []:
        answer = _answer_of(call)
        if answer:
            return answer
    return ""


def _answer_of(call: Any) -> str:
    """The `answer` argument when `call` is a `final_answer` call, else ""."""
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(function, dict) or function.get("name") != FINAL_ANSWER:
        return ""
    answer = _arguments(function.get("arguments")).get("answer")
    return answer.strip() if isinstance(answer, str) else ""


def _arguments(raw: Any) -> dict[str, Any]:
    """Tool-call arguments: a JSON object string (or, leniently, a dict); anything else reads as `{}`."""
    if isinstance(raw, dict):
        return raw
    try:
        parsed = json.loads(raw) if isinstance(raw, str) else None
    except json.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}
