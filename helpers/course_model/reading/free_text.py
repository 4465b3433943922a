"""Free text without quotes: "Translate hello into Spanish" → `text="hello"`.

A `query`, `text` or `word` parameter takes a quoted text first ("Translate
'good morning' …"), then the words after "about" or "for" ("Search the docs
for streaming callbacks"). When the question has neither, the value is **what
the clause says besides the call itself**: the clause without

1. the values the other arguments took, each with the cue word before it
   ("into Spanish"),
2. the words of the tool's name, synonyms included ("translate"; "mean" for
   `define_word`),
3. the opening of a request ("please", "can you", "what does", "look up",
   "the word") and the small words left dangling at either end ("in the").

"Reverse the word stressed" → "stressed"; "Look up streaming callbacks in the
docs" → "streaming callbacks"; "What does ephemeral mean?" → "ephemeral".
Nothing left means nothing given: the model asks for it. The rule applies to
tool calls only; structured answers keep their made-up values.

`gist` is the same reading for a whole question: its longest clause without
the request's opening words (a label before a colon loses a tie), the stand-in a structured answer gives a field the
question names no value for ("Please file a ticket: the search page times out"
→ `title` "search page times out"), rather than the field's own name.

Used by the course model behind chapters 02 (tools) and 06-07 (structured output).
"""

from __future__ import annotations

import re

from .schemas import words_of
from .words import stem

# Parameters that take free text; a `word` takes the remainder too, but never "about …" text.
FREE_TEXT_WORDS = frozenset(
    {"query", "q", "text", "prompt", "message", "content", "topic", "question", "search", "keywords", "body",
     "subject", "input", "sentence", "phrase", "term", "description", "instructions", "summary", "note",
     "comment", "reason", "details"}
)
REMAINDER_WORDS = FREE_TEXT_WORDS | {"word"}
_CUE = re.compile(r"(?:\b(?:in|into|to|from|for|at|on|of|with|by|named|called|titled|as)\s+)?$", re.IGNORECASE)
_OPENING = frozenset(
    """please can could would will you i want wanted to like i'd id me the a an of in on for about into with look
    up find show tell give get what what's whats does do did is are how which word words text string phrase sentence term
    this that my some let's lets us quick say saying says ping message sms whatsapp""".split()
)
_QUOTING = frozenset({"say", "saying", "says", "that"})  # after these, a message's own words
_DANGLING = frozenset("the a an in on of for to into from with at by please mean means is are me".split())
_GIST_DANGLING = _DANGLING | {"and", "or", "plus"}  # "miso soup with tofu and ..." once the list took its items
_WORD = re.compile(r"[\w][\w'’-]*")
MAX_WORDS = 60  # of free text taken this way; a longer remainder is not one value
GIST_WORDS = 8  # of a question's gist: a title, not a paragraph
GIST_TEXT = 2_000  # characters of a question read for its gist
_CLAUSE = re.compile(r"(?:[^.!?;:\n]|(?<=\d)[.:](?=\d))+")  # "23.50" and "10:30" stay in their clause
_GIST_WORD = re.compile(r"\w[\w'’-]*(?:[.:]\d+)*")


def remainder(text: str, taken: list[tuple[int, int]], tool_name: str) -> str | None:
    """What `text` says besides the spans other arguments `taken` and the tool's own words (see the module)."""
    kept, at = [], 0
    for start, end in sorted(taken):
        if start < at:
            continue
        before = text[at:start]
        kept.append(before[: _CUE.search(before).start()])  # type: ignore[union-attr]  # "$" always matches
        at = end
    kept.append(text[at:])
    tool_words = {stem(word) for word in words_of(tool_name)}
    words = [word for word in _WORD.findall(" ".join(kept)) if stem(word.lower()) not in tool_words]
    while words and words[0].lower() in _OPENING:
        if words.pop(0).lower() in _QUOTING:
            break  # "saying the parcel is here": what follows is the message, word for word
    while words and words[-1].lower() in _DANGLING:
        words.pop()
    return " ".join(words[:MAX_WORDS]) or None


def gist(text: str, taken: list[tuple[int, int]] | tuple[()] = ()) -> str | None:
    """What a question is about, in at most `GIST_WORDS` words: its longest clause, without the opening
    of a request ("please", "can you", "the") and the small words left dangling at its end.

    The spans other fields `taken` (a list's items, an enum's word), with the cue word before each ("with
    tofu", "In Safari"), are not part of it: "A Japanese miso soup with tofu, seaweed and spring onions"
    is about a "miso soup" once `cuisine` and `ingredients` have their words, and "In Safari the login
    button does nothing: open the page, type a password" about the button, not the steps a list took."""
    text = _without(text[:GIST_TEXT], taken)
    best: list[str] = []
    best_weight = 0.0
    for clause in _CLAUSE.finditer(text):
        words = _GIST_WORD.findall(clause.group())
        while words and words[0].lower() in _OPENING:
            words.pop(0)
        while words and words[-1].lower() in _GIST_DANGLING:
            words.pop()
        label = text[clause.end() : clause.end() + 1] == ":"  # "Pack: stuff" is about the stuff
        weight = len(words) - (0.5 if label else 0)
        if clause.group().count(",") >= 2:  # "open it, switch to video, tap record": steps, not what it is about
            weight /= 3
        if weight > best_weight:
            best, best_weight = words, weight
    return " ".join(best[:GIST_WORDS]) or None


def _without(text: str, taken: list[tuple[int, int]] | tuple[()]) -> str:
    """`text` with the `taken` spans, and the cue word before each, blanked (offsets and punctuation kept)."""
    if not taken:
        return text
    chars = list(text)
    for start, end in taken:
        if start >= len(chars):
            continue
        cue = _CUE.search(text[max(0, start - 20) : start])
        low = max(0, start - 20) + cue.start() if cue else start  # type: ignore[union-attr]
        chars[low : min(end, len(chars))] = " " * (min(end, len(chars)) - low)
    return "".join(chars)
