"""Which object a `json_object` request wants, read from the conversation as a real model would.

`{"type": "json_object"}` promises valid JSON and nothing about its keys, so the
prompt says what it wants. In order:

1. A JSON schema written into a message. LangChain's `PydanticOutputParser`
   and `JsonOutputParser` instructions first show an *example* schema
   (`{"properties": {"foo": ...}}`) and then the real one after "Here is the
   output schema:", so the **last** schema in the conversation is the one meant.
2. Keys named next to the word "keys", "fields" or "properties", quoted or not:
   "with the keys name, age and city", "with 'setup' and 'punchline' keys"
   (one unquoted word is a key only after a colon: "The keys should be short"
   names none).
3. Any quoted identifier (the older, looser reading).

Named keys get a type by their name (`age` an integer, `price` a number, a
plural like `items` a list), so "Alice is 30" fills `age` with 30. Reading is
bounded: a message is searched up to `MAX_TEXT` characters, at most
`MAX_CANDIDATES` schemas and `MAX_KEYS` keys.

Used by the course model behind chapters 06-07 (structured output).
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from typing import Any

from .schemas import words_of

MAX_TEXT = 50_000  # characters of a message searched
MAX_CANDIDATES = 50  # "properties" occurrences tried as the start of a schema
MAX_KEYS = 50  # keys one phrase may name
_MAX_DIGITS = 4300  # of a number written in a schema (Python's own limit for int(str))

_QUOTED_KEY = re.compile(r"""["'`]([A-Za-z_][A-Za-z0-9_]{0,40})["'`]""")
_KEY = r"""["'`“]?[A-Za-z_][A-Za-z0-9_]{0,40}["'`”]?"""
_SEP = r"(?:\s*,\s*(?:(?:and|or)\s+)?|\s+(?:and|or)\s+)"
_KEY_LIST = rf"{_KEY}(?:{_SEP}{_KEY}){{0,{MAX_KEYS - 1}}}"
_KEY_WORD = r"\b(?:keys?|fields?|properties|attributes)\b"
_LIST_AFTER = re.compile(rf"{_KEY_WORD}(?:\s+(?:named|called))?\s*:?\s*({_KEY_LIST})", re.IGNORECASE)
_LIST_BEFORE = re.compile(rf"({_KEY_LIST})\s+{_KEY_WORD}", re.IGNORECASE)
_NOT_KEYS = frozenset("the a an and or with json object following these those its their your some".split())

_INTEGER_WORDS = frozenset({"age", "year", "years", "count", "quantity", "qty", "population", "rank", "nights",
                            "guests"})
_NUMBER_WORDS = frozenset({"price", "amount", "total", "score", "rating", "temperature", "temp", "height",
                           "weight", "distance", "cost", "result"})


def requested_schema(context: list[str]) -> dict[str, Any] | None:
    """The object schema the conversation asks for (see the module docstring), or None."""
    return _embedded_schema(context) or _named_keys(context) or _quoted_keys(context)


def _embedded_schema(context: list[str]) -> dict[str, Any] | None:
    """The last JSON schema written into a message (the outermost object around a "properties")."""
    decoder = json.JSONDecoder(parse_float=_finite_float, parse_constant=_not_json)
    found: dict[str, Any] | None = None
    for text in context:
        text = text[:MAX_TEXT]
        at, tried, covered = 0, 0, -1
        while tried < MAX_CANDIDATES:
            at = text.find('"properties"', at)
            if at < 0:
                break
            tried += 1
            if at > covered:
                parsed = _outermost_object(decoder, text, at)
                if parsed is not None:
                    found, covered = parsed
            at += 1
    return found


def _finite_float(text: str) -> float | int:
    """A float, or, beyond a float's range (`1e400`), the exact integer it names: JSON has no infinity,
    and a schema's `minimum: 1e400` is then met by a valid JSON number. Beyond 4,300 digits, not a schema."""
    value = float(text)
    if not math.isinf(value):
        return value
    exact = Decimal(text)
    if exact.adjusted() >= _MAX_DIGITS:
        raise ValueError(f"{text} has too many digits")
    return int(exact)


def _not_json(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _outermost_object(decoder: json.JSONDecoder, text: str, at: int) -> tuple[dict[str, Any], int] | None:
    """The largest JSON object with a "properties" object that starts among the 20 braces before `at`."""
    starts, brace = [], at
    while len(starts) < 20:
        brace = text.rfind("{", 0, brace)
        if brace < 0:
            break
        starts.append(brace)
    for start in reversed(starts):  # the outermost first
        try:
            candidate, end = decoder.raw_decode(text, start)
        except (ValueError, RecursionError):  # not JSON (or NaN, Infinity, 10**5000): not a schema to fill
            continue
        if isinstance(candidate, dict) and isinstance(candidate.get("properties"), dict) and end > at:
            return candidate, end
    return None


def _named_keys(context: list[str]) -> dict[str, Any] | None:
    """Keys listed beside "keys"/"fields"/"properties": the last such phrase in the conversation."""
    keys: list[str] = []
    for text in context:
        text = text[:MAX_TEXT]
        for word in list(re.finditer(_KEY_WORD, text, re.IGNORECASE))[:MAX_CANDIDATES]:
            after = _LIST_AFTER.match(text, word.start())
            before = _LIST_BEFORE.search(text, max(0, word.start() - 400), word.end())
            for found in (after, before):
                named = _keys_in(found.group(1)) if found else []
                if len(named) > 1 or (named and _deliberate(found.group(0))):  # type: ignore[union-attr]
                    keys = named
    return _schema_for(keys) if keys else None


def _deliberate(phrase: str) -> bool:
    """Whether one key is clearly meant as a key: quoted, or after a colon ("The keys should be short" names none)."""
    return bool(re.search(r"""[:"'`“]""", phrase))


def _keys_in(phrase: str) -> list[str]:
    keys = [key for key in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", phrase) if key.lower() not in _NOT_KEYS]
    return list(dict.fromkeys(keys))[:MAX_KEYS]


def _quoted_keys(context: list[str]) -> dict[str, Any] | None:
    keys: list[str] = []
    for text in context:
        for key in _QUOTED_KEY.findall(text[:MAX_TEXT]):
            if key not in keys and len(keys) < MAX_KEYS:
                keys.append(key)
    return _schema_for(keys) if keys else None


def _schema_for(keys: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": {key: _typed(key) for key in keys}, "required": keys}


def _typed(key: str) -> dict[str, Any]:
    """A key's type, by its name: `age` an integer, `price` a number, a plural a list of strings."""
    words = words_of(key)
    last = words[-1] if words else ""
    if set(words) & _INTEGER_WORDS:
        return {"type": "integer"}
    if set(words) & _NUMBER_WORDS:
        return {"type": "number"}
    if last.endswith("s") and not last.endswith(("ss", "us", "is")) and len(last) > 3:
        return {"type": "array", "items": {"type": "string"}}
    return {"type": "string"}
