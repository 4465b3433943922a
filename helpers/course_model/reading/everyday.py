"""Everyday words for common kinds of tool: "wake me" asks for an alarm, "remind me" for a reminder.

People ask for a tool by what they want done, not by its name: "Wake me at 6:45"
is a job for `set_alarm`, "Don't let me forget the dentist" for `add_reminder`,
"Team sync on Friday" for `calendar_event`, "Reserve the rooftop" for
`make_booking`. A real model knows these at once. The course model keeps a small
table of meaning: each everyday phrase adds the words tools of that kind are
usually named and described with, as if the question had said them (stemmed as
`words.stem` stems a tool's words, so "booking" and "book" meet). It is a table
of kinds, not of sentences, and it only adds words: a tool still has to use one
of them to score.

Used by the course model's tool choice (`brain/tool_choosing.py`) behind chapters
02 (tools) and 03 (agents).
"""

from __future__ import annotations

import re

MAX_TEXT = 20_000  # characters of a question read for everyday phrases

# An everyday phrase, and the words a tool of that kind goes by.
_KINDS: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = tuple(
    (re.compile(pattern), frozenset(words.split())) for pattern, words in (
        (r"\bwak(?:e|es|ing|en)\b|\bget (?:me|us|him|her|them) up\b|\bwake-?up\b",
         "alarm wake wakeup clock"),
        (r"\bremind(?:s|ed|ing)?\b|\bdon'?t let (?:me|us) forget\b|\bremember to\b|\bnudge me\b",
         "reminder remind"),
        (r"\b(?:book|reserv)(?:e|es|ed|ing|ation|ations)?\b|\bhold (?:a|the|me a) (?:table|room|seat|spot)\b",
         "book reserve reservation"),
        (r"\b(?:sync|standup|stand-up|meeting|meetup|catch-up|catchup|get-together|one-on-one|huddle)s?\b"
         r"|\bmeet(?:s|ing)?\b",
         "event meeting calendar diary agenda appointment"),
        (r"\b(?:cab|taxi|uber|lyft)s?\b|\bpick me up\b|\ba lift to\b",
         "taxi cab ride"),
        (r"\b(?:ring|dial|phone)\b|\bgive \w+ a (?:call|ring)\b",
         "call phone contact"),
        (r"^\W*(?:please\s+)?(?:text|message|ping|sms|whatsapp)\b|\bsend (?:a |an )?(?:text|message|sms)\b"
         r"|\bdrop \w+ a (?:line|message|text)\b",
         "message text sms send"),
        (r"\b(?:trading|traded|shares|stocks?|share price|ticker|nasdaq|nyse|dow jones|ftse)\b",
         "stock share price ticker market quote symbol"),
    )
)


def kind_words(text: str) -> set[str]:
    """The words of the kinds of tool the question asks for in everyday words ("wake me" → alarm, clock ...)."""
    found: set[str] = set()
    lower = text[:MAX_TEXT].lower()
    for pattern, words in _KINDS:
        if pattern.search(lower):
            found |= words
    return found
