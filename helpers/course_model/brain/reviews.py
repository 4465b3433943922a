"""Read what a person in the loop did to a tool call: declined it, or changed it before it ran.

LangChain's `HumanInTheLoopMiddleware` (chapter 06) lets a person approve, edit
or reject each call before it runs, and tells the model what happened only
through the tool message's text (OpenAI's wire has no `status`):

- a **rejection** arrives as "User rejected the tool call for `multiply` with
  id call_…. The tool was not executed. Do not retry this tool call unless the
  user explicitly requests it.", or "User rejected the tool call for
  `multiply` with reason: …" when the person gave one;
- an **edit** keeps the model's own call in the conversation, and the result
  of the call that really ran starts with a notice ending "Executed instead:
  multiply with arguments {"x": 5, "y": 10}." and, if the tool said anything,
  "\\n\\nTool response:\\n" and its result.

A careful model never asks again for a call a person declined, and it uses an
edited call's result while saying it comes from the person's change. Other
agents word a refusal their own way ("The user declined this action"), so a
result that starts by saying a person rejected, declined or denied the call
(or action, request, step) counts too; "The reviewer rejected the pull
request", a tool's own news, does not. Used by the course model behind chapter 06 (a person in the loop).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_LANGCHAIN_REASON = re.compile(r"User rejected the tool call for `[^`\n]*` with reason: (?P<reason>.*)", re.DOTALL)
_REFUSAL = re.compile(  # "User rejected the tool call for …", "The user declined this action."
    r"(?:the\s+)?(?:user|human|person|reviewer|operator)\s+(?:has\s+)?(?:rejected|declined|denied|refused|did\s+not"
    r"\s+approve)\s+(?:the|this|your)\s+(?:tool\s+call|call|action|request|step|operation)\b",
    re.IGNORECASE,
)
_EXECUTED = re.compile(r"Executed instead: (?P<name>[^\s]+) with arguments ")
_RESPONSE = re.compile(r"\.?\s*(?:Tool response:\s*)?", re.DOTALL)
MAX_NOTICE_CHARS = 4_000  # where an edit notice can start; a longer result is a tool's own text


@dataclass(frozen=True)
class Review:
    """What a person did to one call: `declined` it (with an optional `reason`), or ran `ran_as` instead."""

    declined: bool = False
    reason: str = ""
    ran_as: tuple[str, dict[str, Any]] | None = None  # (tool name, arguments) of the call that really ran


def read_review(result: str) -> tuple[Review | None, str]:
    """The review a tool message reports, if any, and the tool's own result (for an edit: after the notice)."""
    text = result.strip()
    if _REFUSAL.match(text):
        reason = _LANGCHAIN_REASON.match(text)
        return Review(declined=True, reason=reason.group("reason").strip() if reason else ""), result
    executed = _EXECUTED.search(text[:MAX_NOTICE_CHARS])
    if executed is None:
        return None, result
    try:
        arguments, end = json.JSONDecoder().raw_decode(text, executed.end())
    except (json.JSONDecodeError, RecursionError):
        return None, result
    if not isinstance(arguments, dict):
        return None, result
    rest = text[end:]
    response = rest[_RESPONSE.match(rest).end():]  # type: ignore[union-attr]  # the pattern matches ""
    return Review(ran_as=(executed.group("name"), arguments)), response
