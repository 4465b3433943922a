"""Deterministic, plausible stand-in values for what a question does not say.

When a value *must* be given but the question is silent (a forced tool call,
a structured answer's required field), a real model makes one up. The course
model makes up the same one every time, valid for the schema: the default or
first example if the schema has one, else the first enum value, else a value
chosen by the field's name (`email` → "alex@example.com", `city` → "Paris"),
else a neutral value of the right type (1 within the bounds, false, one item).
Free-text fields take the next sentence of `prose` (the course answer to the
question, when there is one), so "Tell me a joke" fills `setup` and `punchline`
with the two sentences of the course model's joke.

Used by the course model behind chapters 02 (tools) and 06-07 (structured output).
"""

from __future__ import annotations

import math
from itertools import islice
from typing import Any, Iterator

from . import schemas

# Field-name words and the value a made-up field of that name gets.
_BY_NAME: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset({"email", "mail"}), "alex@example.com"),
    (frozenset({"url", "link", "website", "uri", "href"}), "https://example.com"),
    (frozenset({"city", "location", "place", "town"}), "Paris"),
    (frozenset({"country", "nation"}), "France"),
    (frozenset({"language", "lang"}), "English"),
    (frozenset({"currency"}), "USD"),
    (frozenset({"timezone", "tz"}), "UTC"),
    (frozenset({"date", "birthday", "deadline"}), "2026-01-01"),
    (frozenset({"time", "hour"}), "09:00"),
    (frozenset({"day", "weekday"}), "Monday"),
    (frozenset({"phone"}), "+1 555 0100"),
    (frozenset({"id", "code", "number", "zip"}), "1"),
    (frozenset({"color", "colour"}), "blue"),
    (frozenset({"name", "author", "user", "username", "person", "customer"}), "Alex"),
)
_FORMATS = {"email": "alex@example.com", "uri": "https://example.com", "url": "https://example.com",
            "date": "2026-01-01", "date-time": "2026-01-01T09:00:00Z", "time": "09:00:00",
            "uuid": "00000000-0000-4000-8000-000000000000", "ipv4": "127.0.0.1", "hostname": "example.com"}
# A schema may demand absurd sizes ("minItems": 10**9); the model writes at most these, like a real
# model running out of tokens, rather than exhausting memory.
MAX_ITEMS = 100
MAX_STRING_CHARS = 10_000
# A free-text list ("points", "steps") takes this many sentences of the answer, as a real model
# writes several points, not one.
PROSE_ITEMS = 3


def plausible_value(name: str, schema: dict[str, Any], root: dict[str, Any],
                    prose: Iterator[str] | None = None, depth: int = 0) -> Any:
    """A schema-valid value for the field `name` that the question did not give."""
    schema = schemas.resolve(schema, root)
    if "default" in schema:
        return schema["default"]
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("examples"), list) and schema["examples"]:
        return schema["examples"][0]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    branches = schemas.alternatives(schema)
    if branches and schemas.is_nullable(schema, root):
        return None  # an optional value the question does not give is null, not made up
    if branches:
        real = [b for b in branches if schemas.type_of(schemas.resolve(b, root)) != "null"]
        return plausible_value(name, (real or branches)[0], root, prose, depth + 1)
    kind = schemas.type_of(schema)
    if depth >= schemas.MAX_DEPTH:
        return _empty(kind)
    if kind == "object":
        return {
            field: plausible_value(field, sub, root, prose, depth + 1)
            for field, sub in schemas.properties(schema).items()
            if field in schemas.required(schema)
        }
    if kind == "array":
        low, high = schema.get("minItems"), schema.get("maxItems")
        count = low if isinstance(low, int) and low > 0 else (1 if depth < 3 else 0)  # deep down, lists stay empty
        count = min(count, high) if isinstance(high, int) and high >= 0 else count
        count = min(count, MAX_ITEMS)
        if prose is not None and _is_free_text(name, schemas.resolve(schema.get("items", {}), root)):
            wanted = max(count, min(PROSE_ITEMS, high if isinstance(high, int) and high >= 0 else PROSE_ITEMS))
            sentences = list(islice(prose, wanted))
            if sentences:
                return sentences + [plausible_value(name, schema.get("items", {}), root, None, depth + 1)
                                    for _ in range(count - len(sentences))]
        return [plausible_value(name, schema.get("items", {}), root, prose, depth + 1) for _ in range(count)]
    if kind in ("integer", "number"):
        return _number(schema, kind)
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    return _string(name, schema, prose)


def _by_name(name: str) -> str | None:
    """The made-up value for a field of this name; plural names count as their singular ("cities")."""
    words = set(schemas.words_of(name))
    words |= {word[:-3] + "y" if word.endswith("ies") else word[:-1] for word in words if word.endswith("s")}
    return next((example for names, example in _BY_NAME if words & names), None)


def _is_free_text(name: str, items: dict[str, Any]) -> bool:
    """Whether a list's items are sentences to write: plain strings with no name-given value or format."""
    plain = not any(key in items for key in ("enum", "const", "format", "default", "examples", "pattern",
                                               "minLength", "maxLength"))
    return plain and schemas.type_of(items) == "string" and not schemas.alternatives(items) and _by_name(name) is None


def _empty(kind: str) -> Any:
    return {"object": {}, "array": [], "integer": 0, "number": 0, "boolean": False, "null": None}.get(kind, "")


def _number(schema: dict[str, Any], kind: str) -> int | float:
    """1, moved inside the schema's bounds."""
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    value: float = 1
    if isinstance(low, (int, float)) and value <= low:
        value = low + (1 if "exclusiveMinimum" in schema and "minimum" not in schema else 0)
    if isinstance(high, (int, float)) and value >= high:
        value = high - (1 if "exclusiveMaximum" in schema and "maximum" not in schema else 0)
    multiple = schema.get("multipleOf")
    if isinstance(multiple, (int, float)) and multiple > 0:
        value = math.ceil(value / multiple) * multiple
    return int(value) if kind == "integer" else value


def _string(name: str, schema: dict[str, Any], prose: Iterator[str] | None) -> str:
    fmt = schema.get("format")
    value = _FORMATS.get(fmt) if isinstance(fmt, str) else None
    low, high = schema.get("minLength"), schema.get("maxLength")
    if value is None:
        value = _by_name(name)
    if value is None and prose is not None:
        value = next(prose, None)
    if value is None:
        value = " ".join(schemas.words_of(name)).capitalize() or "Example"
    if isinstance(low, int) and len(value) < low:
        value = value + "." * (min(low, MAX_STRING_CHARS) - len(value))
    if isinstance(high, int) and len(value) > high:
        value = value[:high]
    return value
