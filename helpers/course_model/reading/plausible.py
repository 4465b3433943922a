"""Deterministic, plausible stand-in values for what a question does not say.

When a value *must* be given but the question is silent (a forced tool call,
a structured answer's required field), a real model makes one up. The course
model makes up the same one every time, valid for the schema: the default or
first example if the schema has one, else the first enum value, else a value
chosen by the field's name (`email` → "alex@example.com", `city` → "Paris"),
else a neutral value of the right type (1 within the bounds, false, one item).
Free-text fields take the next sentence of `prose` (the course answer to the
question, when there is one), so "Tell me a joke" fills `setup` and `punchline`
with the two sentences of the course model's joke. Without one, a string takes
the question's `gist` ("Please file a ticket: the search page times out" →
"search page times out", `free_text.gist`): a field's own name is never its
value ("Component" for `component` says nothing a reader could use).

Used by the course model behind chapters 02 (tools) and 06-07 (structured output).
"""

from __future__ import annotations

import math
from fractions import Fraction
from itertools import islice
from typing import Any, Iterator

from .. import workload
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
# model running out of tokens, rather than exhausting memory. Beyond them, every character built
# comes out of the request's budget (`workload.py`): 100 arrays of 100 strings of 10,000 characters
# stop once there is enough to fill the longest answer a model writes, which is then cut ("length").
MAX_ITEMS = 100
MAX_STRING_CHARS = 10_000
# A free-text list ("points", "steps") takes this many sentences of the answer, as a real model
# writes several points, not one.
PROSE_ITEMS = 3


def plausible_value(name: str, schema: dict[str, Any], root: dict[str, Any],
                    prose: Iterator[str] | None = None, depth: int = 0, *, gist: str | None = None) -> Any:
    """A schema-valid value for the field `name` that the question did not give (`gist`: what it says)."""
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
        return plausible_value(name, (real or branches)[0], root, prose, depth + 1, gist=gist)
    kind = schemas.type_of(schema)
    if depth >= schemas.MAX_DEPTH:
        return _empty(kind)
    budget = workload.current()
    if kind == "object":
        filled: dict[str, Any] = {}
        for field, sub in schemas.properties(schema).items():
            if budget.exhausted:
                break  # the answer is already longer than any model writes: it will be cut there
            if field in schemas.required(schema):
                budget.take(len(field) + 3)  # "field": , as written
                filled[field] = plausible_value(field, sub, root, prose, depth + 1, gist=gist)
        return filled
    if kind == "array":
        low, high = schema.get("minItems"), schema.get("maxItems")
        count = low if isinstance(low, int) and low > 0 else (1 if depth < 3 else 0)  # deep down, lists stay empty
        count = min(count, high) if isinstance(high, int) and high >= 0 else count
        count = min(count, MAX_ITEMS)
        if prose is not None and _is_free_text(name, schemas.resolve(schema.get("items", {}), root)):
            wanted = max(count, min(PROSE_ITEMS, high if isinstance(high, int) and high >= 0 else PROSE_ITEMS))
            sentences = list(islice(prose, wanted))
            if sentences:
                return sentences + plausible_items(name, schema.get("items", {}), root, None, depth + 1,
                                                   count - len(sentences), gist=gist)
        return plausible_items(name, schema.get("items", {}), root, prose, depth + 1, count, gist=gist)
    if kind in ("integer", "number"):
        return _number(schema, kind)
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    return _string(name, schema, prose, gist)


def plausible_items(name: str, items: dict[str, Any], root: dict[str, Any], prose: Iterator[str] | None,
                    depth: int, count: int, *, gist: str | None = None) -> list[Any]:
    """`count` plausible items, fewer once the request's budget is spent (the answer is cut before them).

    Every item costs at least its comma, so 100 ** 4 integers are not free either. Once two items in
    a row come out the same (no sentences left to take), the rest are that item again, charged what it
    cost: nested arrays of 100 are then filled in time linear in what is written, not in what is asked.
    """
    budget = workload.current()
    found: list[Any] = []
    last_cost = -1
    while len(found) < count and not budget.exhausted:
        before = budget.chars
        budget.take(1)
        item = plausible_value(name, items, root, prose, depth, gist=gist)
        cost = before - budget.chars
        if found and cost == last_cost and item == found[-1]:
            while len(found) < count and not budget.exhausted:
                budget.take(cost)
                found.append(item)
            break
        found.append(item)
        last_cost = cost
    return found


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
    """1, moved inside the schema's bounds.

    Computed with exact fractions, so bounds and steps beyond a float (`minimum` 10**400,
    `multipleOf` 1e-320) give a valid JSON number, never infinity or an OverflowError.
    """
    if not any(key in schema for key in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum", "multipleOf")):
        return 1
    raw_low = schema.get("minimum", schema.get("exclusiveMinimum"))
    raw_high = schema.get("maximum", schema.get("exclusiveMaximum"))
    raw_multiple = schema.get("multipleOf")
    low, high, multiple = _exact(raw_low), _exact(raw_high), _exact(raw_multiple)
    value = Fraction(1)
    floating = False  # whether a float bound or step moved the value (then it is written as a float, as before)
    if low is not None and value <= low:
        value = low + (1 if "exclusiveMinimum" in schema and "minimum" not in schema else 0)
        floating = isinstance(raw_low, float)
    if high is not None and value >= high:
        value = high - (1 if "exclusiveMaximum" in schema and "maximum" not in schema else 0)
        floating = isinstance(raw_high, float)
    if multiple is not None and multiple > 0:
        value = math.ceil(value / multiple) * multiple
        floating = floating or isinstance(raw_multiple, float)
    if kind == "integer":
        whole = math.ceil(value)
        return math.floor(value) if high is not None and whole > high else whole
    if not floating:
        return int(value) if value.denominator == 1 else float(value)
    as_float = float(value)  # finite whenever the float bound or step was finite
    return as_float if math.isfinite(as_float) else math.ceil(value)


def _exact(bound: Any) -> Fraction | None:
    """A schema's number as an exact fraction, or None when it is not a finite number."""
    if isinstance(bound, bool) or not isinstance(bound, (int, float)):
        return None
    if isinstance(bound, float) and not math.isfinite(bound):
        return None
    return Fraction(bound)


def _string(name: str, schema: dict[str, Any], prose: Iterator[str] | None, gist: str | None = None) -> str:
    fmt = schema.get("format")
    value = _FORMATS.get(fmt) if isinstance(fmt, str) else None
    low, high = schema.get("minLength"), schema.get("maxLength")
    if value is None:
        value = _by_name(name)
    if value is None and prose is not None:
        value = next(prose, None)
    if value is None and gist and gist.lower() not in (name.lower(), " ".join(schemas.words_of(name))):
        value = gist
    if value is None:
        value = "Example" if name.lower() != "example" else "Sample"
    length = max(len(value), min(low, MAX_STRING_CHARS)) if isinstance(low, int) else len(value)
    if isinstance(high, int):
        length = min(length, max(high, 0))
    length = workload.current().take(length)  # less once the budget is spent: the answer is cut before it
    return (value + "." * max(0, length - len(value)))[:length]
