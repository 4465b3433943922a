"""Fill a JSON Schema object from a question: a tool call's arguments, or a structured answer's fields.

The rule, deterministic and simple enough to predict:

1. **Keyed values first.** A value right after a parameter's name or one of its
   cue words wins: "the subject 'Lunch'" → `subject`, "named Alice" → `name`,
   "from London" → `origin`, "into French" → `target_language`, "20 sides"
   → `sides` (a number just before the name).
2. **Then by kind, in order** (enums first, then arrays, then the rest, so a
   list or an enum keeps its words). Each remaining parameter takes the first
   unused value of the kind it wants: numbers (digits or words: "two dice") for
   `integer`/`number` (a clock time gives `hour` and `minute` theirs first: "6:45" →
   6, 45; `clock.py`), an e-mail for `email`/`to`, a time for `time`, `when`,
   `bedtime`, `wake_time`, weekdays
   for `days`, the words after "about"/"for" for free text (`query`, `topic`,
   `text`), "on" or "off" for booleans, a phone number for `phone`.
   An enum takes the value the question names by its text, a distinctive part
   or a synonym ("Tokyo" → "Asia/Tokyo", "in progress" → "in_progress",
   "urgent" → "high"; `enums.py`); of two fields with the same enum, the one
   named like a target takes the value after "to"/"into"/"in", the source the
   one after "from" or a number ("Convert 5 miles to kilometers").
   A plain string takes the words the question puts next to its name ("the
   checkout component", "service: payments", "carrier dhl"), then a quoted
   text, then the words next to its description's words ("a travel expense"
   for a field described as "the expense category"; `anchored.py`), then a
   capitalised name that is not a field's or the tool's own name (nor a
   label before a colon, nor a unit after a number, nor, for a field that is
   not a person's or a place's, a word describing the noun after it: "a
   Thai curry"), then, for a `zone`, `area`, `location` or `place`, a place
   phrase ("Give the vegetable patch 12 litres" → "vegetable patch"). A value's
   shape fills its field first: a phone number a `phone`, `number` or `to`, a
   ticker a `ticker` or `symbol` (`tickers.py`). A `name` of a thing (a
   workout, not a person) the question gives no value for takes its gist,
   which never holds the words other fields took. A tool call's `title`, or
   the `name` of an event or task, takes a quoted text, else the phrase the
   question opens with ("Team sync on Friday with Ana" → "Team sync";
   `titles.py`). A field's name used as a verb takes what follows "it" ("label
   it gym"). The first plain field
   still empty then takes the words after "for" ("a ticket for checkout"),
   the next the words before the thing the tool or schema is about ("a
   pepperoni pizza" for `PizzaOrder`), the next the thing a number counts
   ("3 bags of flour", "150 g of yogurt"; `anchored.py`). A `unit` field
   takes the unit after a number, a number parameter the number whose unit
   measures what it does ("21 degrees" for `celsius`; `units.py`).
   An array takes every matching value: two quoted texts or more, else a
   written list anywhere in the question ("milk, eggs and bread", "X as well as
   Y", "- apples" lines; `lists.py`), else one quoted text, else the names; an
   array of objects takes one object per item of a written list, each filled
   from its own item. Arrays are cut to `maxItems` (and `MAX_ITEMS`).
   After a calculation, `result`-like fields take its value (`outcome.py`).
   A parameter that is a currency takes the currencies the question names, as
   ISO codes ("100 euros in dollars" → EUR, USD; `currencies.py`; in a tool or
   schema about money, `source`/`target`, `base`/`quote`, `have`/`want` ... are
   currencies too): the one
   after a number or "from" is the source, the one after "to"/"into"/"in" the
   target. A tool call's free-text parameter with no quote and no "about …"
   takes the rest of the clause ("Translate hello into Spanish" → "hello";
   `free_text.py`).
3. **Defaults** fill optional parameters the question leaves out.
4. A required parameter the question does not give is **missing**: the caller
   asks for it in text, or, when a value must be given (a forced tool call, a
   structured answer), `plausible.py` supplies a deterministic stand-in (for a
   string, the question's gist: never the field's own name).

Used by the course model behind chapters 02 (tools) and 06-07 (structured output).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any, Iterator

from . import clock, currencies, schemas, tickers, titles, units
from .enums import EnumMatch, key, named_value
from .free_text import FREE_TEXT_WORDS as _FREE_TEXT_WORDS
from .free_text import REMAINDER_WORDS, remainder
from .words import STOP_WORDS
from .mentions import NOT_NAMES, EMAIL, NAME, NUMBER, PHONE, QUOTED, TIME, DATE, URL, WEEKDAY, Mention, subject
from .outcome import Outcome, outcome_value
from .plausible import MAX_ITEMS, plausible_value
from .pool import Pool

# Parameter words that say which kind of value a string parameter wants.
_EMAIL_WORDS = frozenset({"email", "mail", "to", "recipient", "address"})
_TIME_WORDS = frozenset({"time", "hour", "when", "at", "clock"})
_DATE_WORDS = frozenset({"date", "day", "birthday", "deadline"})
_ID_WORDS = frozenset({"id", "number", "code", "zip", "postcode", "pin", "phone"})
_PHONE_WORDS = frozenset({"phone", "telephone", "tel", "mobile", "cell", "fax"})
# Free-text fields a structured answer fills with the answer's own sentences, never with "about …" words.
_PROSE_WORDS = frozenset({"summary", "description", "explanation", "details", "reason", "comment", "note",
                          "notes", "overview", "body", "content", "message"})
_URL_WORDS = frozenset({"url", "link", "website", "uri", "href"})
# Cue words that introduce a parameter's value: "from London" → origin, "into French" → target language.
_CUES: dict[str, tuple[str, ...]] = {
    "from": ("from",), "origin": ("from",), "source": ("from",), "start": ("from",),
    "to": ("to",), "destination": ("to",), "target": ("into", "to", "in"), "dest": ("to",),
    "name": ("named", "called"), "title": ("titled", "called"), "language": ("into", "in", "to"),
    "city": ("in", "of", "for"), "location": ("in", "at", "for"), "country": ("of", "in"),
    "timezone": ("in",), "place": ("in", "at"), "restaurant": ("at",), "symbol": ("of", "for"),
    "level": ("to",), "style": ("of", "in"),
}
_TRUE_WORDS = ("on", "true", "yes", "enable", "enabled", "activate", "start", "open", "unlock")
_FALSE_WORDS = ("off", "false", "no", "disable", "disabled", "deactivate", "stop", "close", "lock", "not")


@dataclass
class Filled:
    """The values found for an object schema, and the required names the question did not give."""

    values: dict[str, Any]
    missing: list[str] = field(default_factory=list)
    spread: tuple[str, list[Any]] | None = None  # a parameter the question gave several values for


def fill(schema: dict[str, Any], text: str, *, root: dict[str, Any] | None = None,
         invent: bool = False, prose: Iterator[str] | None = None, tool_name: str | None = None,
         outcome: Outcome | None = None, about: str | None = None) -> Filled:
    """Values for the object `schema` taken from `text`; with `invent`, plausible ones for what is missing.

    `tool_name` is given for a call to that tool: a free-text argument may then be the rest of the clause.
    `outcome` is a finished calculation: its value fills `result`-like fields, its expression `expression`.
    `about` is the tool's name and description (by default the schema's title and description): what the
    values are for ("Exchange money ..." makes `source` and `target` currencies).
    """
    root = root if root is not None else schema
    if about is None:
        about = f"{root.get('title') or ''} {root.get('description') or ''}"
    money = currencies.is_money_context(about)
    pool = Pool(text, currencies_wanted=_wants_currency(schema, root, money), tool_name=tool_name, outcome=outcome,
                money=money, about=about, subject=_subject(tool_name or about))
    return _fill_object(schemas.resolve(schema, root), pool, root, invent, prose, depth=0)


def _subject(named: str) -> tuple[str, ...]:
    """The nouns of a tool's or schema's name, its first word: "IceCream" → ice, cream; "bake_cake" → cake."""
    first = named.split(maxsplit=1)[0] if named.strip() else ""
    return tuple(word for word in schemas.words_of(first[:100]) if len(word) > 2 and word not in NOT_NAMES)


_MAX_SCHEMA_NODES = 1_000  # looked at to find a currency parameter; a self-referencing schema is not a maze


def _wants_currency(schema: dict[str, Any], root: dict[str, Any], money: bool) -> bool:
    """Whether any parameter of `schema`, nested ones included, is a currency (breadth first, bounded)."""
    queue: list[Any] = [schema]
    for node in queue:
        if len(queue) > _MAX_SCHEMA_NODES:
            return False
        resolved = schemas.resolve(node, root)
        for name, sub in schemas.properties(resolved).items():
            if currencies.is_currency_parameter(name, schemas.resolve(sub, root), money):
                return True
            queue.append(sub)
        if isinstance(resolved.get("items"), dict):
            queue.append(resolved["items"])
    return False


def _fill_object(schema: dict[str, Any], pool: Pool, root: dict[str, Any], invent: bool,
                 prose: Iterator[str] | None, depth: int) -> Filled:
    properties = schemas.properties(schema)
    required = schemas.required(schema)
    values: dict[str, Any] = {}
    resolved = {name: schemas.resolve(sub, root) for name, sub in properties.items()}
    for name in properties:
        pool.field_words.add(" ".join(key(word) for word in schemas.words_of(name)))

    # 0. a clock time fills a clock's hour and minute ("Wake me at 6:45" → 6 and 45; `clock.py`)
    parts = {name: part for name, sub in resolved.items() if (part := clock.clock_part(name, sub))}
    if "hour" in parts.values() and (time := _take_clock_time(pool)) is not None:
        for name, part in parts.items():
            value = time.hour if part == "hour" else time.minute
            if _within(value, resolved[name]):
                values[name] = value
    # 1. keyed values
    for name, sub in resolved.items():
        if name in values:
            continue
        found = _keyed(name, sub, pool, root)
        if found is not None:
            values[name] = found
    # 2. by kind, in order (required parameters first; enums, then lists, before the rest: they take their words
    # first, so "Flour, eggs and milk make pancakes" keeps "Flour" in the list)
    order = [n for n in properties if n in required] + [n for n in properties if n not in required]
    for name in sorted(order, key=lambda n: _rank(n, resolved[n], pool)):
        if name in values:
            continue
        found = _by_kind(name, resolved[name], pool, root, invent, prose, depth)
        if found is not None:
            values[name] = found
    # 2a. the first plain field still empty takes the words after "for" ("a ticket for checkout")
    waiting = next((name for name in order if name not in values and _takes_for(name, resolved[name])), None)
    if waiting is not None and (after_for := pool.anchors.after_word("for", pool.blocked)) is not None:
        pool.claim(after_for.start, after_for.end)
        values[waiting] = after_for.text
        waiting = next((name for name in order if name not in values and _takes_for(name, resolved[name])), None)
    # 2c. then the words before the thing the schema or tool is about ("a pepperoni pizza" for `PizzaOrder`)
    if waiting is not None and (kind := pool.anchors.beside(pool.subject, pool.blocked, after=False)) is not None:
        pool.claim(kind.start, kind.end)
        values[waiting] = kind.text
        waiting = next((name for name in order if name not in values and _takes_for(name, resolved[name])), None)
    # 2d. then the thing a number counts ("3 bags of flour", "150 g of yogurt")
    numbers = [mention.end for mention in pool.mentions if mention.kind == NUMBER]
    if waiting is not None and (thing := pool.anchors.counted(numbers, pool.blocked)) is not None:
        pool.claim(thing.start, thing.end)
        values[waiting] = thing.text
    # 2b. a tool call's free text without quotes: the rest of the clause
    if pool.tool_name is not None:
        for name in order:
            if name not in values and _takes_remainder(name, resolved[name]):
                taken = [(m.start, m.end) for index, m in enumerate(pool.mentions) if index in pool.used]
                taken += pool.claimed  # "high priority" went to the enum, not into the reminder's text
                found = remainder(pool.text, taken, pool.tool_name)
                if found is not None:
                    values[name] = found
    # 3. defaults, then what is missing
    missing: list[str] = []
    for name in properties:
        if name in values:
            continue
        sub = resolved[name]
        if "default" in sub:
            values[name] = sub["default"]
        elif name in required:
            if invent and _names_the_thing(name, sub, root) and pool.gist:
                values[name] = pool.gist  # a workout's `name` is what the question calls it, not a person's
            elif invent:
                values[name] = plausible_value(name, sub, root, prose, depth, gist=pool.gist)
            else:
                missing.append(name)
    ordered = {name: values[name] for name in properties if name in values}
    return Filled(ordered, missing, _spread(ordered, resolved, pool))


# What a schema is about when its `name` is a person's: "Alex" is then a plausible one.
_PERSON_SCHEMA_WORDS = frozenset("""person people user users contact contacts employee employees customer customers
    patient patients student students member members author authors guest guests attendee attendees friend friends
    character characters profile profiles player players owner owners pet pets animal animals""".split())


def _names_the_thing(name: str, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    """A plain `name` of a thing (a workout, a dish), not of a person: the question's gist names it."""
    if set(schemas.words_of(name)) != {"name"} or schemas.type_of(schema) != "string" or "enum" in schema \
            or "format" in schema:
        return False
    about = f"{root.get('title') or ''} {root.get('description') or ''}"[:500]
    return not set(schemas.words_of(about)) & _PERSON_SCHEMA_WORDS


def _take_clock_time(pool: Pool) -> clock.ClockTime | None:
    """The first clock time no field took yet; its numbers and words are then taken ("at 7" gives no count)."""
    for time in clock.said_times(pool.text):
        if not pool.blocked(time.start, time.end):
            pool.take_all(lambda m, time=time: time.start <= m.start and m.end <= time.end)
            pool.claim(time.start, time.end)
            return time
    return None


def _spread(values: dict[str, Any], resolved: dict[str, Any], pool: Pool) -> tuple[str, list[Any]] | None:
    """A string parameter the question gives more values for, joined by "and": "in Paris and in Oslo"."""
    if " and " not in pool.lower:
        return None
    for name, value in values.items():
        if schemas.type_of(resolved[name]) != "string" or not isinstance(value, str):
            continue
        kind = next((m.kind for m in pool.mentions if m.value == value), None)
        if kind in (NAME, QUOTED):
            more = pool.take_all(lambda m, kind=kind: m.kind == kind)
            distinct = list(dict.fromkeys([value, *(str(m.value) for m in more)]))
            if len(distinct) > 1:
                return name, distinct
    return None


def _rank(name: str, schema: dict[str, Any], pool: Pool) -> int:
    """The order fields are filled by kind in: enums named in words, then a tool call's title (its
    opening phrase, before a list of names takes "Lunch" as one: "Lunch with Priya"), arrays, the rest."""
    if _is_word_enum(name, schema, pool.money):
        return 0
    if pool.tool_name is not None and schemas.type_of(schema) == "string" \
            and _is_title(set(schemas.words_of(name)), pool.about):
        return 1
    return 2 if schemas.type_of(schema) == "array" else 3


# Fields a question's gist suits better than the words after "for".
_TITLE_WORDS = frozenset({"title", "headline", "subject", "heading", "caption"})


def _takes_for(name: str, schema: dict[str, Any]) -> bool:
    """A plain field that may take the words after "for": not a title, not free text, and not a place or
    name, whose value is a capitalised name after its own cue ("weather for skiing" names no city)."""
    words = set(schemas.words_of(name))
    return (schemas.type_of(schema) == "string" and "enum" not in schema and "format" not in schema
            and not words & (_KIND_WORDS | _TITLE_WORDS | _PROSE_WORDS | set(_CUES)))


def _is_word_enum(name: str, schema: dict[str, Any], money: bool) -> bool:
    """A field whose enum the question names in words ("in progress"), not a currency's code."""
    return isinstance(schema.get("enum"), list) and not currencies.is_currency_parameter(name, schema, money)


def _takes_remainder(name: str, schema: dict[str, Any]) -> bool:
    return (schemas.type_of(schema) == "string" and "enum" not in schema
            and bool(set(schemas.words_of(name)) & REMAINDER_WORDS))


# Where a currency parameter's value stands: the target after "to", the source after "from" or a number.
_TARGET_WORDS = frozenset({"to", "target", "dest", "destination", "quote", "into", "output", "out", "want", "buy",
                           "receive", "counter"})
_SOURCE_WORDS = frozenset({"from", "source", "base", "origin", "input", "original", "have", "sell", "pay"})


def _keyed_currency(name: str, schema: dict[str, Any], pool: Pool) -> Any:
    words = set(schemas.words_of(name))
    if words & _TARGET_WORDS:
        cues = ("to", "into", "in")
    elif words & _SOURCE_WORDS:
        cues = ("from",)
        for index, mention in enumerate(pool.mentions):  # "50 pounds", "€20": the amount's own currency
            if mention.kind == currencies.CURRENCY and index not in pool.used and _next_to_number(pool, index):
                pool.used.add(index)
                return currencies.as_value(str(mention.value), schema)
    else:
        return None
    for cue in cues:
        mention = pool.after(cue)
        if mention is None:
            continue
        if mention.kind == currencies.CURRENCY:
            return currencies.as_value(str(mention.value), schema)
        pool.used.discard(pool.mentions.index(mention))
    return None


def _next_to_number(pool: Pool, index: int) -> bool:
    """Whether the mention at `index` touches a number: "50 pounds" or "€20"."""
    mention = pool.mentions[index]
    neighbours = [pool.mentions[i] for i in (index - 1, index + 1) if 0 <= i < len(pool.mentions)]
    return any(other.kind == NUMBER and pool.text[min(other.end, mention.end):max(other.start, mention.start)].strip()
               == "" for other in neighbours)


def _keyed(name: str, schema: dict[str, Any], pool: Pool, root: dict[str, Any]) -> Any:
    if currencies.is_currency_parameter(name, schema, pool.money):
        return _keyed_currency(name, schema, pool)
    kind = schemas.type_of(schema)
    if kind in ("object", "array", "boolean"):
        return None
    words = schemas.words_of(name)
    if kind == "string" and "enum" not in schema and (shaped := _shaped(set(words), pool)) is not None:
        return shaped
    if pool.outcome is not None:
        found = outcome_value(pool.outcome, words, schema, kind)
        if found is not None and (kind == "string" or _within(found, schema)):
            return _as_type(found, kind)
    cues = [cue for word in words for cue in _CUES.get(word, ())]
    for word in words:
        if len(word) > 2 and word not in ("from", "to"):
            cues.append(word)
    for cue in cues:
        if kind in ("integer", "number") and (mention := pool.before(cue)) is not None:
            return _as_type(mention.value, kind)
        if (mention := pool.after(cue)) is not None:
            converted = _convert(mention, schema, kind)
            if kind == "string" and mention.kind == NUMBER and not set(words) & _ID_WORDS:
                converted = None  # "in 2010" is not a city
            if converted is not None:
                return converted
            pool.used.discard(pool.mentions.index(mention))
    if kind in ("integer", "number") and (measure := units.measure_of(name, str(schema.get("description") or ""))):
        at = units.number_before_unit(pool.text, measure)  # "21 degrees" for `celsius`, "5 min" for `minutes`
        mention = pool.take(lambda m: m.kind == NUMBER and m.start == at and _within(m.value, schema))
        if mention is not None:
            return _as_type(mention.value, kind)
    return None


# Fields a phone number fills, besides `phone` and `mobile`: a messaging tool's `number` or `to`.
PHONE_FIELD_WORDS = frozenset({"phone", "telephone", "tel", "mobile", "cell", "number", "to", "recipient",
                               "contact", "sms", "whatsapp"})


def _shaped(words: set[str], pool: Pool) -> str | None:
    """A value whose shape says which field it fills: a phone number for `phone`, `number` or `to`
    ("Text +44 7700 900123 ..."), a ticker for `ticker` or `symbol` ("Apple (AAPL)"; `tickers.py`)."""
    if words & PHONE_FIELD_WORDS and (mention := pool.take(lambda m: m.kind == PHONE)) is not None:
        return str(mention.value)
    if tickers.is_ticker_field(words) and (ticker := pool.next_shaped("ticker", lambda: tickers.tickers(pool.text))):
        return ticker[0]
    return None


def _by_kind(name: str, schema: dict[str, Any], pool: Pool, root: dict[str, Any], invent: bool,
             prose: Iterator[str] | None, depth: int) -> Any:
    kind = schemas.type_of(schema)
    words = set(schemas.words_of(name))
    if currencies.is_currency_parameter(name, schema, pool.money):
        mention = pool.take(lambda m: m.kind == currencies.CURRENCY)
        return currencies.as_value(str(mention.value), schema) if mention else None
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return _mentioned_enum(name, enum, pool)
    if "const" in schema:
        return schema["const"]
    branches = schemas.alternatives(schema)
    if branches:
        for branch in branches:
            resolved = schemas.resolve(branch, root)
            if schemas.type_of(resolved) == "null":
                continue
            found = _by_kind(name, resolved, pool, root, invent, prose, depth)
            if found is not None:
                return found
        return None
    if kind in ("integer", "number"):
        mention = pool.take(lambda m: m.kind == NUMBER and _within(m.value, schema))
        return _as_type(mention.value, kind) if mention else None
    if kind == "boolean":
        return _boolean(pool, words)
    if kind == "array":
        return _array(name, schema, pool, root, invent, prose, depth)
    if kind == "object":
        if depth >= schemas.MAX_DEPTH:
            return None
        inner = _fill_object(schema, pool, root, invent, prose, depth + 1)
        return inner.values if (inner.values or invent) and not inner.missing else None
    if kind == "string":
        return _string(name, schema, pool, prefer_prose=prose is not None and pool.tool_name is None)
    return None


def _string(name: str, schema: dict[str, Any], pool: Pool, prefer_prose: bool = False) -> str | None:
    """A string value by the parameter's words; with `prefer_prose`, a summary-like field is left to the prose.

    A plain field (no kind its name or format asks for) takes the words next to its name, then to its
    description (`anchored.py`), before any quoted text or capitalised name."""
    words = set(schemas.words_of(name))
    fmt = schema.get("format")
    if fmt == "email" or words & _EMAIL_WORDS:
        mention = pool.take(lambda m: m.kind == EMAIL)
        if mention or fmt == "email":
            return str(mention.value) if mention else None
    # A parameter that names a kind of value takes the first mention of that kind, in this order.
    for wanted, kinds in (
        (fmt in ("uri", "url") or words & _URL_WORDS, (URL,)),
        (fmt == "time" or words & _TIME_WORDS or clock.is_time_field(name, schema), (TIME,)),
        (fmt == "date" or words & _DATE_WORDS, (DATE, WEEKDAY)),
        (words & _PHONE_WORDS, (PHONE,)),
        (words & _ID_WORDS, (NUMBER, QUOTED)),
    ):
        if wanted and (mention := pool.take(lambda m, kinds=kinds: m.kind in kinds)):
            return str(mention.value)
    if words & _FREE_TEXT_WORDS:
        mention = pool.take(lambda m: m.kind == QUOTED)
        if mention:
            return str(mention.value)
        if prefer_prose and words & _PROSE_WORDS:
            return None  # a summary is a sentence of the answer (plausible.py), not the words after "for"
        return subject(pool.text)  # never a name: free text is what the question is about
    if words & _UNIT_WORDS and (unit := units.unit_after_number(pool.text)) is not None \
            and not pool.blocked(unit[1], unit[2]):
        pool.claim(unit[1], unit[2])
        return unit[0]  # "Add 2 kg of apples" → unit "kg"
    if pool.tool_name is not None and _is_title(words, pool.about):
        mention = pool.take(lambda m: m.kind == QUOTED)  # quotes are deliberate
        if mention:
            return str(mention.value)
        opening = titles.opening_title(pool.text)  # "Team sync on Friday ..." → "Team sync"
        if opening is not None and not pool.blocked(opening[1], opening[2]):
            pool.take_all(lambda m: opening[1] <= m.start and m.end <= opening[2])
            pool.claim(opening[1], opening[2])
            return opening[0]
    plain = fmt is None and not words & _KIND_WORDS
    own = frozenset(key(word) for word in words)
    if plain and (found := pool.anchors.beside(_anchor_names(name), pool.blocked, own=own)) is not None:
        pool.claim(found.start, found.end)
        return found.text
    mention = pool.take(lambda m: m.kind == QUOTED)  # quotes are deliberate
    if mention:
        return str(mention.value)
    description = schema.get("description")
    if plain and isinstance(description, str):
        found = pool.anchors.beside(_description_names(description, name), pool.blocked, after=False, own=own)
        if found is not None:
            pool.claim(found.start, found.end)
            return found.text
    modifiers = not words & _NAMED_WORDS  # a dish is not "Thai": in "a Thai curry" the name describes the curry
    mention = pool.take(lambda m: m.kind == NAME and not pool.names_a_field(m) and not pool.labels(m)
                        and not pool.measures(m) and not (modifiers and _describes_next(pool, m)))
    if mention:
        return str(mention.value)
    if words & _PLACE_WORDS and (place := _place_phrase(pool)) is not None:
        return place
    return None


# Fields whose value is a proper name ("Thai" may be a cuisine, "Paris" a city), and fields that name a place.
_NAMED_WORDS = frozenset("""person people who name names attendee attendees guest guests contact recipient friend
    member owner author artist band singer company brand team city town country state region language cuisine
    nationality airline hotel restaurant venue station airport store shop user customer patient""".split())
_PLACE_WORDS = frozenset({"zone", "area", "room", "location", "place", "spot", "where", "site", "section", "space",
                          "bed", "patch", "field", "tank", "corner", "floor"})
_NEXT_WORD = re.compile(r"[ \t]+([a-z][a-z'-]*)")


def _describes_next(pool: Pool, mention: Mention) -> bool:
    """Whether a capitalised word describes the lower-case noun right after it, inside a noun phrase that an
    article or a describing word opens ("a vegan Thai curry", "A Japanese soup"; not "Minestrone needs ...")."""
    following = _NEXT_WORD.match(pool.text, mention.end)
    before = re.search(r"([A-Za-z]+)[ \t]+$", pool.text[max(0, mention.start - 40) : mention.start])
    return (following is not None and following.group(1) not in STOP_WORDS and following.group(1) not in NOT_NAMES
            and before is not None and (before.group(1).lower() in _ARTICLES
                                        or before.group(1).islower() and before.group(1) not in STOP_WORDS))


_ARTICLES = frozenset({"a", "an", "the", "some", "my", "our", "your", "this", "that"})


# A place phrase: "the vegetable patch", "the upstairs hallway", up to a number, a cue word or the clause's end.
_PLACE = re.compile(r"\b(?:the|my|our|your)\s+((?:[a-z][a-z'-]*\s+){0,3}?[a-z][a-z'-]*)"
                    r"(?=\s+\d|\s+(?:for|with|to|at|by|in|on|from|and|until|till|please|a|an|some)\b|\s*[,.;:!?]|\s*$)")
_MAX_PLACE_TEXT = 2_000  # characters of a question read for a place phrase


def _place_phrase(pool: Pool) -> str | None:
    """The first free "the <place>" phrase for a zone, area or location field: "Give the vegetable patch 12
    litres" → "vegetable patch" (its words are then taken)."""
    def places() -> list[tuple[str, int, int]]:
        return [(match.group(1), match.start(1), match.end(1)) for match in _PLACE.finditer(pool.text[:_MAX_PLACE_TEXT])
                if match.group(1).split()[-1] not in STOP_WORDS
                and not any(key(word) in pool.field_words for word in match.group(1).split())]

    place = pool.next_shaped("place", places)
    return place[0] if place else None


_UNIT_WORDS = frozenset({"unit", "units", "uom"})
# What a tool's name and description say when a `name` is the name of an event, not of a person.
_EVENT_WORDS = frozenset({"event", "events", "calendar", "meeting", "meetings", "appointment", "diary", "agenda",
                          "task", "todo", "reminder", "note"})


def _is_title(words: set[str], about: str) -> bool:
    """A field that names the thing the tool makes: a `title`, or the `name` of an event or task."""
    return bool(words & _TITLE_WORDS) or ("name" in words and bool(set(schemas.words_of(about[:500])) & _EVENT_WORDS))
_KIND_WORDS = _EMAIL_WORDS | _URL_WORDS | _TIME_WORDS | _DATE_WORDS | _PHONE_WORDS | _ID_WORDS | _FREE_TEXT_WORDS
_MAX_DESCRIPTION_WORDS = 12  # of a field's description looked for beside the values


def _anchor_names(name: str) -> list[str]:
    """The words a field goes by in a question: its name's words, last first ("leave_type": type, leave)."""
    return [word for word in reversed(schemas.words_of(name)) if len(word) > 2]


def _description_names(description: str, name: str) -> list[str]:
    """A description's longer words, besides the field's own name: "The expense category" → expense, category."""
    own = set(schemas.words_of(name))
    words = [w for w in re.findall(r"[a-z]{4,}", description.lower()[:500]) if w not in own]
    return list(dict.fromkeys(words))[:_MAX_DESCRIPTION_WORDS]


def _array(name: str, schema: dict[str, Any], pool: Pool, root: dict[str, Any], invent: bool,
           prose: Iterator[str] | None, depth: int) -> list[Any] | None:
    items = schemas.resolve(schema.get("items", {}), root)
    kind = schemas.type_of(items)
    enum = items.get("enum")
    values: list[Any] | None = None
    if isinstance(enum, list) and enum:
        values = _mentioned_enums(enum, pool)
    elif kind in ("integer", "number"):
        values = [_as_type(m.value, kind) for m in pool.take_all(lambda m: m.kind == NUMBER)]
    elif kind == "string":
        values = _strings(name, pool)
    elif kind == "object" and depth < schemas.MAX_DEPTH:
        values = _objects(items, pool, root, invent, prose, depth)
    return _sized(values, name, schema, root, prose, depth, pool.gist) if values else None


def _strings(name: str, pool: Pool) -> list[str]:
    """A list of strings: weekdays for `days`; else the quoted texts (two or more), else a written list
    anywhere in the question ("milk, eggs and bread", "- apples" lines, `lists.py`), else the one quoted
    text, else the names there are."""
    if set(schemas.words_of(name)) & {"day", "days", "weekday", "weekdays"}:
        return [str(m.value) for m in pool.take_all(lambda m: m.kind == WEEKDAY)]
    quoted = [m for index, m in enumerate(pool.mentions) if index not in pool.used and m.kind == QUOTED]
    if len(quoted) > 1:  # several quoted texts are the list; one may be another field's ("'Design review' with ...")
        return [str(m.value) for m in pool.take_all(lambda m: m.kind == QUOTED)]
    written = pool.take_list(lambda found: found.items is not None, items=True)
    if written is not None and written.items is not None:
        for item in written.items:
            pool.claim(item.start, item.end)  # the items are not also a title's or a dish's words
        return [item.text for item in written.items]
    if quoted:
        return [str(m.value) for m in pool.take_all(lambda m: m.kind == QUOTED)]
    return [str(m.value) for m in pool.take_all(lambda m: m.kind in (NAME, WEEKDAY) and not pool.names_a_field(m)
                                                 and not pool.labels(m) and not pool.blocked(m.start, m.end))]


def _objects(items: dict[str, Any], pool: Pool, root: dict[str, Any], invent: bool,
             prose: Iterator[str] | None, depth: int) -> list[Any]:
    """A list of objects, one per part of a written list, each filled from its own part:
    "'buy milk' (urgent), 'call the dentist' (normal)" → two tasks with their titles and priorities."""
    written = pool.take_list(lambda found: True)
    if written is None:
        return []
    values = []
    for segment in written.segments:
        inner = _fill_object(items, pool.part(segment.text), root, invent, prose, depth + 1)
        if not inner.missing:
            values.append(inner.values)
    return values


def _sized(values: list[Any], name: str, schema: dict[str, Any], root: dict[str, Any],
           prose: Iterator[str] | None, depth: int, about: str | None) -> list[Any]:
    """`values` within the schema's `maxItems` (and `MAX_ITEMS`), padded with plausible items to `minItems`."""
    high, low = schema.get("maxItems"), schema.get("minItems")
    limit = min(high, MAX_ITEMS) if isinstance(high, int) and high >= 0 else MAX_ITEMS
    values = values[:limit]
    if isinstance(low, int) and len(values) < min(low, limit):
        item = schema.get("items", {})
        values += [plausible_value(name, item, root, prose, depth + 1, gist=about)
                   for _ in range(min(low, limit) - len(values))]
    return values


def _mentioned_enum(name: str, enum: list[Any], pool: Pool) -> Any:
    """The enum value the question names (`enums.py`: by its text, a distinctive part or a synonym), else None.

    Of several, a field named like a target ("to_unit") takes the one after "to"/"into"/"in"/"as", one
    named like a source the one after "from" or a number ("2 feet"), any other the strongest, earliest.
    Its words are then taken, so `from_unit` and `to_unit` get one value each.
    """
    found = [match for match in pool.enums.matches(enum) if not pool.blocked(match.start, match.end)]
    if not found:
        named = [(pool.lower.find(str(v).lower()), v) for v in enum
                 if not isinstance(v, str) and _mentions_word(pool.lower, str(v))]  # numbers, true/false
        return min(named, key=lambda pair: pair[0])[1] if named else None
    words = set(schemas.words_of(name))
    chosen = found[0]
    if words & _TARGET_WORDS:
        chosen = next((m for m in found if _word_before(pool, m) in ("to", "into", "in", "as")), chosen)
    elif words & _SOURCE_WORDS:
        chosen = next((m for m in found if _word_before(pool, m) == "from" or _after_number(pool, m)),
                      _first_placed(found))
    pool.claim(chosen.start, chosen.end)
    return chosen.value


def _mentioned_enums(enum: list[Any], pool: Pool) -> list[Any]:
    """Every enum value the question names, each once, in the order it names them: "vegetarian and
    gluten free" → VEGETARIAN, GLUTEN_FREE. Of overlapping matches the strongest wins ("premium economy")."""
    chosen: list[EnumMatch] = []
    for match in pool.enums.matches(enum):  # strongest first
        if pool.blocked(match.start, match.end) or any(match.value == c.value for c in chosen):
            continue
        if not any(match.start < c.end and c.start < match.end for c in chosen):
            chosen.append(match)
    for match in chosen:
        pool.claim(match.start, match.end)
    values = [match.value for match in sorted(chosen, key=lambda match: match.start)]
    others = [(pool.lower.find(str(v).lower()), v) for v in enum
              if not isinstance(v, str) and _mentions_word(pool.lower, str(v))]  # numbers, true/false
    return values + [value for _, value in sorted(others, key=lambda pair: pair[0])]


def _first_placed(found: list[EnumMatch]) -> EnumMatch:
    return min(found, key=lambda match: match.start)


def _word_before(pool: Pool, match: EnumMatch) -> str:
    words = re.findall(r"[a-z]+", pool.lower[max(0, match.start - 12) : match.start])
    return words[-1] if words else ""


def _after_number(pool: Pool, match: EnumMatch) -> bool:
    index = bisect_right(pool.ends, match.start) - 1
    return index >= 0 and pool.mentions[index].kind == NUMBER and pool.text[pool.ends[index] : match.start].strip() == ""


def _mentions_word(lower_text: str, word: str) -> bool:
    return bool(word) and re.search(rf"(?<!\w){re.escape(word.lower())}(?!\w)", lower_text) is not None


def _boolean(pool: Pool, words: set[str]) -> bool | None:
    """True or False from "on"/"off", "enable"/"disable", "yes"/"no" (the first such word wins), else
    True when the question uses the parameter's own name ("an admin user" → `admin`), else None."""
    found = re.search(r"\b(" + "|".join(_TRUE_WORDS + _FALSE_WORDS) + r")\b", pool.lower)
    if found is not None:
        return found.group(1) in _TRUE_WORDS
    if any(len(word) > 2 and _mentions_word(pool.lower, word) for word in words):
        return True
    return None


def _convert(mention: Mention, schema: dict[str, Any], kind: str) -> Any:
    """`mention` as a value of the schema's kind, or None when it does not fit."""
    if kind in ("integer", "number"):
        return _as_type(mention.value, kind) if mention.kind == NUMBER and _within(mention.value, schema) else None
    if kind == "string":
        enum = schema.get("enum")
        if isinstance(enum, list):
            return named_value(enum, str(mention.value))  # "Tokyo" is "Asia/Tokyo"
        return str(mention.value)
    return None


def _as_type(value: Any, kind: str) -> Any:
    if kind == "integer" and isinstance(value, float):
        return int(value) if value.is_integer() else round(value)
    return value


def _within(value: Any, schema: dict[str, Any]) -> bool:
    """Whether a number respects the schema's bounds, so a stated value is never schema-invalid."""
    if not isinstance(value, (int, float)):
        return False
    checks = (
        ("minimum", lambda bound: value >= bound), ("maximum", lambda bound: value <= bound),
        ("exclusiveMinimum", lambda bound: value > bound), ("exclusiveMaximum", lambda bound: value < bound),
    )
    return all(check(schema[key]) for key, check in checks if isinstance(schema.get(key), (int, float)))
