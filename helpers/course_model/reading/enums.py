"""Which enum value a question names: "What time is it in Tokyo?" → "Asia/Tokyo".

An enum lists the values a field may take, written the way a program wants them
("Asia/Tokyo", "in_progress", "HIGH", "EXPRESS_SHIPPING"); people say "Tokyo",
"in progress", "high" or "express". A real model bridges that without thinking.
The course model reads each value as words (split at "/", "_", "-", ".", spaces
and camelCase, compared without case or a plural ending) and finds, in the
question, the strongest of:

3. **the whole value**: "asia/tokyo", "in progress", "high", "miles" for "mile";
2. **a distinctive part**: one of its "/"-separated parts that no other value has
   ("New York" for "America/New_York", "Tokyo" for "Asia/Tokyo");
1. **a distinctive word** of four letters or more ("express" for
   "EXPRESS_SHIPPING" beside "STANDARD_SHIPPING", "transfer" for
   "bank_transfer"), or a common **synonym** of a value's word that no value
   uses itself ("urgent" for "high", "normal" for "medium", "big" for "large",
   "kilograms" for "kg", "Friday" for "fri", "Aug" for "August"). A language code is named by its language ("German"
   for "de", as strongly as a part).

A part or word that two values share ("America", "shipping", "card") names
neither. Work is linear in the question's length plus the enum's size: the
question's words are indexed once, and each value looks its words up there.

Used by the course model behind chapters 02 (tools) and 06-07 (structured output).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .words import STOP_WORDS

MAX_TEXT = 20_000  # characters of a question searched for enum values
MAX_VALUES = 1_000  # enum values looked at; a longer enum is not a list anyone reads to the end
MAX_PLACES = 64  # places one word is looked at; a question repeating a word names its value early enough
MAX_LOOKUPS = 20_000  # phrases one question is searched for, over all the enums it is asked about
MIN_WORD = 4  # letters of a distinctive word: "new" or "los" alone name no city
WHOLE, PART, WORD = 3, 2, 1

_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")  # "Alice's" is one word, not "Alice" and an "s"
_SPLIT_PARTS = re.compile(r"[/:.|,]+")
_CAMEL = re.compile(r"([a-z])([A-Z])")
_IRREGULAR = {"feet": "foot", "teeth": "tooth", "men": "man", "women": "woman", "children": "child",
              "people": "person", "mice": "mouse", "geese": "goose"}
# Words people use for the usual levels, sizes and units; each group means one thing.
_SYNONYM_GROUPS = (
    ("high", "urgent", "important", "critical", "severe", "asap"),
    ("low", "minor", "trivial"),
    ("medium", "normal", "moderate", "average", "regular", "m", "med"),
    ("large", "big", "huge", "l", "lg"),
    ("small", "little", "tiny", "s", "sm"),
    ("express", "fast", "quick", "rush", "expedited"),
    ("kilogram", "kg", "kilo"), ("gram", "g"), ("pound", "lb", "lbs"), ("ounce", "oz"),
    ("kilometer", "kilometre", "km"), ("meter", "metre", "m"), ("centimeter", "centimetre", "cm"),
    ("millimeter", "millimetre", "mm"), ("mile", "mi"), ("foot", "ft"), ("liter", "litre", "l"),
    ("milliliter", "millilitre", "ml"), ("celsius", "centigrade", "c"), ("fahrenheit", "f"),
    ("hour", "hr", "h"), ("minute", "min"),
    # Weekdays and months by their usual abbreviations ("Friday" names "fri", "Aug" names "August"). "sun",
    # "sat", "wed", "mar" and "may" are English words too: they name a day or month only as an enum's value.
    ("monday", "mon"), ("tuesday", "tue", "tues"), ("wednesday", "wed"), ("thursday", "thu", "thur", "thurs"),
    ("friday", "fri"), ("saturday", "sat"), ("sunday", "sun"),
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
    ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
    ("december", "dec"),
)
# Abbreviations that are everyday words: a question's "sun" or "sat" never names "Sunday" or "Saturday".
_WORDS_TOO = frozenset({"sun", "sat", "wed", "mar", "may"})
# Language codes (ISO 639-1) and the names people use for them: "German" names "de", never the reverse
# (so "it" in a question never names Italian).
_LANGUAGES: dict[str, tuple[str, ...]] = {
    "en": ("english",), "de": ("german", "deutsch"), "fr": ("french", "français"), "es": ("spanish", "español"),
    "it": ("italian",), "pt": ("portuguese",), "nl": ("dutch",), "ja": ("japanese",), "zh": ("chinese", "mandarin"),
    "ko": ("korean",), "ru": ("russian",), "ar": ("arabic",), "hi": ("hindi",), "sv": ("swedish",),
    "nb": ("norwegian",), "no": ("norwegian",), "da": ("danish",), "fi": ("finnish",), "pl": ("polish",),
    "tr": ("turkish",), "el": ("greek",), "uk": ("ukrainian",), "cs": ("czech",), "he": ("hebrew",),
}
_SYNONYMS: dict[str, set[str]] = {}
for _group in _SYNONYM_GROUPS:
    for _word in _group:
        _SYNONYMS.setdefault(_word, set()).update(_group)


@dataclass(frozen=True)
class EnumMatch:
    """One enum value the question names, where, and how strongly (WHOLE, PART or WORD)."""

    value: Any
    start: int
    end: int
    strength: int


def key(word: str) -> str:
    """A word without case or plural ending: "Miles" → "mile", "inches" → "inch", "cities" → "city"."""
    word = word.lower()
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _words(text: str) -> list[str]:
    return [key(word) for word in _TOKEN.findall(_CAMEL.sub(r"\1 \2", text))]


class _Question:
    """The question's words, each with its place, indexed by key for lookups in constant time."""

    def __init__(self, text: str) -> None:
        self.spans: list[tuple[int, int]] = []
        self.keys: list[str] = []
        self.places: dict[str, list[int]] = {}
        self.found: dict[tuple[str, ...], list[tuple[int, int]]] = {}
        for match in _TOKEN.finditer(text[:MAX_TEXT]):
            word = key(match.group())
            self.places.setdefault(word, [])
            if len(self.places[word]) < MAX_PLACES:
                self.places[word].append(len(self.keys))
            self.spans.append(match.span())
            self.keys.append(word)

    def find(self, phrase: tuple[str, ...]) -> list[tuple[int, int]]:
        """Where the words of `phrase` stand together, as character spans (each phrase looked for once)."""
        if phrase in self.found:
            return self.found[phrase]
        spans = []
        for at in self.places.get(phrase[0], ()) if phrase else ():
            if len(phrase) == 1 or tuple(self.keys[at : at + len(phrase)]) == phrase:
                spans.append((self.spans[at][0], self.spans[at + len(phrase) - 1][1]))
        self.found[phrase] = spans
        return spans


def enum_matches(enum: list[Any], text: str) -> list[EnumMatch]:
    """Every place `text` names a value of `enum`, strongest first, then in order of appearance."""
    return EnumReader(text).matches(enum)


class EnumReader:
    """One question, read once, asked about several enums (every offered tool's, when choosing one).

    It looks up at most `MAX_LOOKUPS` phrases in all: 128 tools with 1,000-value enums each are read
    as far as that goes, not to the end, so choosing a tool stays quick whatever is offered.
    """

    def __init__(self, text: str) -> None:
        self._question: _Question | None = None
        self.text = text
        self.lookups = 0

    def matches(self, enum: list[Any]) -> list[EnumMatch]:
        """Every place the question names a value of `enum`, strongest first, then in order of appearance."""
        values = tuple(value for value in enum[:MAX_VALUES] if isinstance(value, str) and value.strip())
        if not values or self.lookups >= MAX_LOOKUPS:
            return []
        if self._question is None:
            self._question = _Question(self.text)
        found: list[EnumMatch] = []
        for value, phrase, strength in _phrases(values):
            self.lookups += 1
            if self.lookups > MAX_LOOKUPS:
                break
            found += [EnumMatch(value, start, end, strength) for start, end in self._question.find(phrase)]
        found.sort(key=lambda match: (-match.strength, match.start, -(match.end - match.start)))
        return found


@lru_cache(maxsize=64)
def _phrases(values: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...], int], ...]:
    """What to look for, for each value: its words, its distinctive parts, words and synonyms (see the module)."""
    wholes = {value: tuple(_words(value)) for value in values}
    parts = {value: [tuple(_words(part)) for part in _SPLIT_PARTS.split(value) if _words(part)] for value in values}
    part_count: dict[tuple[str, ...], int] = {}
    word_count: dict[str, int] = {}
    for value in values:
        for part in set(parts[value]):
            part_count[part] = part_count.get(part, 0) + 1
        for word in set(wholes[value]):
            word_count[word] = word_count.get(word, 0) + 1
    found: list[tuple[str, tuple[str, ...], int]] = []
    for value in values:
        if wholes[value]:
            found.append((value, wholes[value], WHOLE))
        if len(parts[value]) > 1:
            for part in parts[value]:
                if part_count[part] == 1 and part != wholes[value] and not (len(part) == 1 and word_count[part[0]] > 1):
                    found.append((value, part, PART))
        for word in sorted(set(wholes[value])):
            if word_count[word] > 1:
                continue
            if len(wholes[value]) > 1 and len(word) >= MIN_WORD and word not in STOP_WORDS:
                found.append((value, (word,), WORD))
            for synonym in sorted(_SYNONYMS.get(word, ())):
                if synonym != word and synonym not in word_count and synonym not in _WORDS_TOO:
                    found.append((value, (synonym,), WORD))
        code = wholes[value][0] if wholes[value] else ""
        if code in _LANGUAGES and len(value) <= 5 and word_count[code] == 1:  # "de", "de-DE", "en_US"
            found += [(value, (name,), PART) for name in _LANGUAGES[code]]
    return tuple(found)


def named_value(enum: list[Any], text: str) -> Any:
    """The enum value `text` names most strongly (the earliest of equals), or None."""
    if not isinstance(enum, list):
        return None
    exact = next((value for value in enum if str(value).lower() == text.strip().lower()), None)
    if exact is not None:
        return exact
    found = enum_matches(enum, text)
    return found[0].value if found else None
