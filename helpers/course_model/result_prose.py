"""Tool results as sentences for a reader: the free text of a structured answer after tools ran.

The course model's text answer names each call ("get_weather for Lisbon
returned: It is 21 degrees and sunny in Lisbon."), which shows a learner what
happened. A structured answer's `summary` is for the end reader, so a real
model writes the result itself as a sentence: a result that already is one
stays as it is ("It is 21 degrees and sunny in Lisbon."); anything else is
introduced by what the tool looks up ("The capital for Japan: Tokyo.", "The
files: README.md, chapters."). A declined call or an error is reported as the
text answer reports it.

Used by the course model behind chapters 06-07 (agents with structured output).
"""

from __future__ import annotations

import re

from . import setbacks
from .conversation import ToolExchange
from .schemas import words_of
from .tool_results import is_error, result_phrase

# Leading words of a tool's name that say what it does, not what it gives back.
_VERBS = frozenset("get fetch lookup look up find search check read query retrieve list show load compute "
                   "calculate convert do run".split())


def result_sentences(exchanges: list[ToolExchange], quoted: str) -> str:
    """The results of `exchanges` as reader sentences; `quoted` (the text answer) when one failed."""
    sentences = []
    for exchange in exchanges:
        if exchange.declined:
            sentences.append(setbacks.declined_call(exchange))
            continue
        phrase = result_phrase(exchange.result or "").strip()
        if not phrase or is_error(phrase) or exchange.ran_as is not None:
            return quoted  # an error or an edited call: say exactly what happened
        if not _is_sentence(phrase):
            name, arguments = exchange.name, exchange.arguments
            phrase = f"{_what(name, setbacks.label(arguments))}: {phrase}"
        sentences.append(phrase if phrase[-1] in ".!?…" else phrase + ".")
    return " ".join(sentences)


def _is_sentence(phrase: str) -> bool:
    """Whether a result reads as a sentence already: a capital first, and at least three words."""
    return phrase[0].isupper() and len(re.findall(r"[^\W\d_]+", phrase)) >= 3


def _what(tool_name: str, label: str) -> str:
    """What a tool gives, as a phrase: `lookup_capital` for Japan → "The capital for Japan"."""
    words = words_of(tool_name)
    rest = words
    while rest and rest[0] in _VERBS:
        rest = rest[1:]
    thing = " ".join(rest or words) or "result"
    return f"The {thing} for {label}" if label else f"The {thing}"
