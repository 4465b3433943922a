"""Tool results as sentences for a reader: the free text of a structured answer after tools ran.

The course model's text answer names each call ("get_weather for Lisbon
returned: It is 21 degrees and sunny in Lisbon."), which shows a learner what
happened. A structured answer's `summary` is for the end reader, so a real
model writes what was found as a sentence of its own: the thing the tool looks
up, where the question puts it, and the result ("It is 21 degrees and sunny in
Lisbon." from `get_weather` → "The weather in Lisbon is 21 degrees and sunny.";
"Tokyo" from `lookup_capital` → "The capital of Japan is Tokyo."). A result
that is a sentence of another shape stays as it is. A declined call, an edited
call or an error is reported as the text answer reports it.

Used by the course model behind chapters 06-07 (agents with structured output).
"""

from __future__ import annotations

import re

from . import setbacks
from .conversation import ToolExchange
from ..reading.schemas import words_of
from .tool_results import is_error, result_phrase

# Leading words of a tool's name that say what it does, not what it gives back.
_VERBS = frozenset("get fetch lookup look up find search check read query retrieve list show load compute "
                   "calculate convert do run".split())


def result_sentences(exchanges: list[ToolExchange], quoted: str, question: str) -> str:
    """The results of `exchanges` as reader sentences; `quoted` (the text answer) when one failed."""
    sentences = []
    for exchange in exchanges:
        if exchange.declined:
            sentences.append(setbacks.declined_call(exchange))
            continue
        phrase = result_phrase(exchange.result or "").strip()
        if not phrase or is_error(phrase) or exchange.ran_as is not None:
            return quoted  # an error or an edited call: say exactly what happened
        sentences.append(_sentence(exchange.name, setbacks.label(exchange.arguments), phrase, question))
    return " ".join(sentences)


def _sentence(tool_name: str, label: str, phrase: str, question: str) -> str:
    """One result as a sentence: "The weather in Lisbon is 21 degrees and sunny." (see the module)."""
    core = phrase.rstrip(".!?… ")
    if label:  # "... sunny in Lisbon": the subject will say where
        core = re.sub(rf"\s+(?:in|for|of|at|on)\s+{re.escape(label)}$", "", core)
    it_is = re.match(r"(?:it is|it's|it’s)\s+(.+)", core, re.IGNORECASE)
    if it_is:
        core = it_is.group(1)
    elif _is_sentence(phrase) or not core:
        return phrase if phrase[-1] in ".!?…" else phrase + "."
    subject = _what(tool_name, label, question)
    if ":" in core:
        return f"{subject}: {core}."
    plural = subject.endswith("s") and not subject.endswith("ss") and not label
    return f"{subject} {'are' if plural else 'is'} {core}."


def _is_sentence(phrase: str) -> bool:
    """Whether a result reads as a sentence already: a capital first, and at least three words."""
    return phrase[0].isupper() and len(re.findall(r"[^\W\d_]+", phrase)) >= 3


def _what(tool_name: str, label: str, question: str) -> str:
    """What a tool gives, as the question puts it: `lookup_capital`, Japan → "The capital of Japan"."""
    words = words_of(tool_name)
    rest = words
    while rest and rest[0] in _VERBS:
        rest = rest[1:]
    thing = " ".join(rest or words) or "result"
    if not label:
        return f"The {thing}"
    asked = re.search(rf"\b(in|of|for|at|on)\s+(?:the\s+)?{re.escape(label)}\b", question, re.IGNORECASE)
    return f"The {thing} {asked.group(1).lower() if asked else 'for'} {label}"
