"""Find the values a question states: quoted text, e-mail addresses, times, dates, numbers, names.

"Book a table at Luigi's for 4 people at 19:00" states a name (Luigi's), a
number (4) and a time (19:00). A real model reads them without thinking; the
course model finds them with a few regular expressions, once per question, in
one left-to-right pass (time linear in the question's length). `arguments.py`
then hands them to the parameters of a tool or the fields of a schema.

A *name* is a run of capitalised words ("San Francisco, CA", "Alice", "USD"),
minus the capitalised words that only start a sentence ("What", "Please"), and
minus a sentence's first word when a determiner or pronoun follows it: that is
a command's verb ("Ship it", "Log this", "Route the call"), not a name.
A *phone* number starts with "+" ("+47 555 0100") or reads "(555) 123-4567" or
"555-123-4567"; it is one value, not three numbers.
A *number* is written in digits ("20", "1,234.5") or in words ("two",
"twenty-one", "three hundred"), read as `arithmetic.py` reads them; "one" as a
pronoun ("the one in Oslo", "one of them") is not a number.
Used by the course model behind chapters 02 (tools) and 06-07 (structured output).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .arithmetic import NUMBER_WORDS, read_number_words

QUOTED, EMAIL, URL, TIME, DATE, NUMBER, WEEKDAY, NAME = "quoted", "email", "url", "time", "date", "number", "weekday", "name"
PHONE = "phone"
MAX_NUMBER_DIGITS = 300  # a longer run of digits is not a value anyone means

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# Words before "one" that make it a pronoun ("the one in Oslo"), not a number.
_PRONOUN_ONE_BEFORE = frozenset("the which this that each every any another no some".split())

# Capitalised words that start sentences and commands, not names.
_NOT_NAMES = frozenset(
    """a an the i i'm i'd what what's whats how who where when why which whose is are was were do does did can
    could would will shall should may might please tell give get set find show list search look convert translate
    send book create make define roll switch turn reverse take add subtract multiply divide check use using call
    run compute calculate hello hi hey dear my your our their this that these those it there then and or but so
    now also write let lets let's return answer say ok okay yes no thanks thank in on at for of to from with by
    about into be have has had mr mrs ms dr order open buy pay put note
    ring dial phone meet wake remind reserve invite text message email ping schedule plan arrange ask visit
    you'll you're you've we'll we're we've i'll i've it's that's there's here's don't can't won't
    he she we they you him her them his its""".split()
)

NOT_NAMES = _NOT_NAMES  # for other readers: the words of commands and small talk

# Words after a sentence's first word that make it a verb: "Ship it", "Log this", "Route the call".
_OBJECTS = frozenset("it this that these those the a an my our your his her their me us them all some every each".split())

_PATTERNS = re.compile(
    r"""
      (?P<quoted>"[^"\n]{1,500}"|“[^”\n]{1,500}”|(?<![\w'])'[^'\n]{1,500}'(?![\w']))
    | (?P<email>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)
    | (?P<url>https?://[^\s'"<>]+)
    | (?P<phone>(?<![\w+])\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,5}(?![\w])
        |(?<!\w)\(\d{3}\)\s?\d{3}[ .-]\d{4}(?!\w)|(?<![\w-])\d{3}-\d{3}-\d{4}(?![\w-])
        |(?<![\w+.,-])0\d{2,4}(?:[ -]\d{3,6}){1,2}(?![\w.,-]\d)(?!\w)|(?<![\w+.,-])0\d{9,10}(?![\w.,]))
    | (?P<date>\b\d{4}-\d{2}-\d{2}\b)
    | (?P<time>\b\d{1,2}:\d{2}(?:\s?[ap]\.?m\.?)?(?!\w)|\b\d{1,2}\s?[ap]\.?m\.?(?!\w))
    | (?P<number>(?<![\w.])-?\d+(?:,\d{3})*(?:\.\d+)?(?![\d\w]))
    | (?P<word>[^\W\d_][\w'’.-]*)
    """,
    re.VERBOSE | re.IGNORECASE,
)


@dataclass(frozen=True)
class Mention:
    """One value the question states, where it stands, and what kind of value it is."""

    kind: str
    value: str | int | float
    start: int
    end: int


def find_mentions(text: str) -> list[Mention]:
    """Every value stated in `text`, in order of appearance."""
    found: list[Mention] = []
    name: list[tuple[str, int, int]] = []  # the capitalised words of the name being read
    spelled: list[tuple[str, int, int]] = []  # the number words being read ("twenty", "one")
    previous = ""  # the word before the current one, lower-case
    before_number = ""  # the word before the number words being read

    def end_name() -> None:
        while name and name[0][0].lower() in _NOT_NAMES:
            name.pop(0)
        if name:
            found.append(Mention(NAME, text[name[0][1] : name[-1][2]].rstrip(".").strip(), name[0][1], name[-1][2]))
        name.clear()

    def end_number(following: str) -> None:
        words = [word for word, _, _ in spelled]
        if words == ["one"] and (following == "of" or before_number in _PRONOUN_ONE_BEFORE):
            words = []  # "the one in Oslo", "one of them"
        at = 0
        while at < len(words):
            value, end = read_number_words(words, at)
            found.append(Mention(NUMBER, value, spelled[at][1], spelled[end - 1][2]))
            at = end
        spelled.clear()

    for match in _PATTERNS.finditer(text):
        kind, piece = match.lastgroup, match.group()
        lower = piece.lower().rstrip(".")
        if kind == "word" and all(part in NUMBER_WORDS for part in lower.split("-")):
            end_name()
            if not spelled:
                before_number = previous
            spelled.extend((part, match.start(), match.end()) for part in lower.split("-"))
            previous = lower
            continue
        end_number(lower)
        previous = lower
        if kind == "word":
            if piece.lower() in WEEKDAYS:
                end_name()
                found.append(Mention(WEEKDAY, piece.capitalize(), match.start(), match.end()))
            elif piece[0].isupper():
                if not _joins(text, name, match.start(), piece):
                    end_name()  # "Paris, London": two names
                name.append((piece, match.start(), match.end()))
            else:
                if len(name) == 1 and lower in _OBJECTS and _starts_sentence(text, name[0][1]):
                    name.clear()  # "Ship it": a command, not a name
                end_name()
            continue
        end_name()
        if kind == "quoted":
            found.append(Mention(QUOTED, piece[1:-1], match.start(), match.end()))
        elif kind == "number":
            digits = piece.replace(",", "")
            if len(digits) <= MAX_NUMBER_DIGITS:
                value: int | float = float(digits) if "." in digits else int(digits)
                found.append(Mention(NUMBER, value, match.start(), match.end()))
        else:
            found.append(Mention(kind or "", piece, match.start(), match.end()))
    end_name()
    end_number("")
    return found


def _starts_sentence(text: str, start: int) -> bool:
    """Whether the word at `start` opens the text, a sentence or a line."""
    before = text[max(0, start - 3) : start].rstrip(" \t\"'“(")
    return start == 0 or before == "" or before[-1] in ".!?:\n"


def _joins(text: str, name: list[tuple[str, int, int]], start: int, piece: str) -> bool:
    """Whether a capitalised word continues the name being read: "San Francisco", or "…, CA" for a state."""
    if not name:
        return True
    gap = text[name[-1][2] : start]
    if gap == " ":
        return True
    return gap == ", " and piece.isupper() and len(piece) == 2  # "San Francisco, CA"


def subject(text: str) -> str | None:
    """What a request is about: the words after "for", "about", "on" or "regarding", up to the end of the clause.

    "Search the docs for streaming callbacks" → "streaming callbacks".
    """
    match = re.search(r"\b(?:about|regarding|for|on)\s+([^?.!,;]+)", text, re.IGNORECASE)
    if not match:
        return None
    words = match.group(1).split()
    while words and words[0].lower() in ("the", "a", "an", "some", "any"):
        words.pop(0)
    return " ".join(words) or None
