"""Decide which offered tool a question is asking for, the way a careful model would, but predictably.

The rule:

1. A tool the question **names** wins ("What is magic_function(3)?", "use the
   search docs tool").
2. Otherwise each tool gets a **score**: 3 points for every word of its name
   the question uses, 1 point for every other word of its description. Words
   are compared after light stemming ("files" = "file", "booked" = "book")
   and a small table of synonyms ("forecast" = "weather", "people" =
   "population", "dice" = "die"); a compound word holding a description's
   word counts as that word ("bedroom" for "room"). Very common words ("get",
   "the", "what") never count. The values a question gives count too: 2 points
   when it names a value for one of the tool's required parameters that only
   takes certain values (a currency: "100 USD", "£40"; an enum: "inches" for a
   `unit`; a number with a unit of what a number parameter measures: "21
   degrees" for `celsius`, `reading/units.py`; a clock time for `hour` and
   `minute` or a time field: "6:45", "7pm", `reading/clock.py`; a weekday or
   month by its abbreviation: "Friday" for "fri"; a phone number for `phone`,
   `number` or `to`, a ticker for `ticker` or `symbol`, `reading/tickers.py`), 3 when it names values for two
   ("How much is 100 USD in EUR?" is `convert_currency`, though it says neither
   "convert" nor "currency"). A written list for an array, or a person's name
   for a person's field (`attendees`, `recipient`), fits too many tools to pick
   one alone: it adds to those points, or alone gives 1. A request to write or
   explain ("a joke about Mondays", "Explain how a clock shows 18:30") gets no
   points for its values: they are what to write about. Everyday words for
   common kinds of tool count as the words tools of that kind use ("wake me" →
   alarm, "remind me" → reminder, "reserve" → book, "sync" → event, calendar;
   `reading/everyday.py`).
3. Under `tool_choice="auto"` a tool is called only when it scores at least 2
   (one name word, or two description words); otherwise the model answers in
   text. When a call is required, the best-scoring tool is called whatever its
   score. Ties go to the tool whose name the question uses first ("Reverse the
   word stressed" is `reverse_string`, not `define_word`), then to the tool
   offered first.

A question may ask for several things ("the capital of Kenya and the weather in
Oslo"): it is cut into clauses at "and", ";" and "then", and when two clauses
each clearly want a different tool, each gets its own call.

Used by the course model behind chapters 02 (tools) and 03 (agents).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..reading import clock, currencies, everyday, schemas, tickers, units
from ..reading.arguments import PHONE_FIELD_WORDS
from ..reading.enums import EnumReader
from ..reading.lists import find_lists
from ..reading.mentions import NAME, NOT_NAMES, PHONE, Mention, find_mentions
from ..reading.schemas import words_of
from ..reading.words import STOP_WORDS, stem
from .toolbox import FINAL_ANSWER

AUTO_THRESHOLD = 2
_VALUE_POINTS = (0, 2, 3)  # for naming values of none, one, or two and more of a tool's value-bound parameters
_MAX_PARAMETERS = 64  # of one tool looked at for values the question names
MAX_CLAUSES = 16  # things one question may ask for; the rest of a longer list is not split off
_NAME_WEIGHT = 3
_MAX_TIE_CHARS = 2_000  # of a question read to break a tie


# What a tool's name starts with when it does something ("GetWeather"), or ends with ("WeatherTool").
_ACTION_VERBS = frozenset(
    """get set fetch find search look lookup list create make send add update delete remove check compute calculate
    convert translate book call run read write open close start stop play show query load save post put toggle roll
    count define reverse generate do go buy sell order cancel schedule resolve validate parse""".split()
)
_ACTION_NOUNS = frozenset("tool tools function func action api command cmd service lookup search finder fetcher "
                          "client helper getter checker calculator converter".split())
# Phrases that name a need without its usual word: "how many" is counting, "get from A to B" is directions.
_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bhow many\b"), "count"),
    (re.compile(r"\b(?:get|go|drive|walk|fly) from\b"), "direction"),
    (re.compile(r"\bwhat time\b"), "time"),
)
_CLAUSE_BREAK = re.compile(r",?\s+and\s+(?:then\s+)?|;\s*|,\s*then\s+|\.\s+(?=[A-Z])", re.IGNORECASE)


@dataclass(frozen=True)
class OfferedTool:
    """A function tool from the request, as the model sees it."""

    name: str
    description: str
    parameters: dict[str, Any]


def answer_forms(tools: list[OfferedTool], mode: str) -> list[OfferedTool]:
    """The offered tools that are forms to fill with the answer, not actions to run: LangChain's `ToolStrategy`.

    `create_agent(response_format=ToolStrategy(Forecast))` offers the answer's
    schema as a tool named like the type (`Forecast`, or `response_format_1a2b`
    for an untitled JSON schema), appended **after** the agent's own tools, and
    binds them all with `tool_choice="any"` (OpenAI's "required"). A careful
    model does the work first and fills the form last. So a form is one of the
    tools at the end of the list whose names are type names, in a request that
    forces a call and offers no `final_answer`. A learner's tool named
    `GetWeather` or `WeatherTool` reads as an action (a verb first, or "Tool"
    last) and stays one, and under "auto" every tool is an action.
    (`with_structured_output(method="function_calling")` names its tool in
    `tool_choice`, so it needs no guessing.)
    """
    if mode != "required" or any(tool.name == FINAL_ANSWER for tool in tools):
        return []
    forms: list[OfferedTool] = []
    for tool in reversed(tools):
        if not _is_type_name(tool.name):
            break
        forms.insert(0, tool)
    return forms


def _is_type_name(name: str) -> bool:
    """A class name or schema title ("WeatherReport", "Person"), or ToolStrategy's made-up "response_format_1a2b"."""
    if re.fullmatch(r"response_format_[0-9a-f]{4}", name):
        return True
    if not re.fullmatch(r"[A-Z][A-Za-z0-9]*", name) or not any(c.islower() for c in name):
        return False
    words = words_of(name)
    return words[0] not in _ACTION_VERBS and words[-1] not in _ACTION_NOUNS


def offered_tools(tools: list[dict[str, Any]] | None) -> list[OfferedTool]:
    """The request's function tools, in the order offered."""
    offered = []
    for tool in tools or []:
        function = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            parameters = function.get("parameters")
            offered.append(OfferedTool(function["name"], str(function.get("description") or ""),
                                       parameters if isinstance(parameters, dict) else {}))
    return offered


def question_words(text: str) -> set[str]:
    """The stemmed words of a question that can point at a tool."""
    lower = text.lower()
    found = {stem(word) for word in re.findall(r"[a-z][a-z'-]*", lower) if word not in STOP_WORDS}
    found |= {word for pattern, word in _PHRASES if pattern.search(lower)}
    found |= {stem(word) for word in everyday.kind_words(text)}  # "wake me" → alarm, "remind me" → reminder
    return found - STOP_WORDS


def score(tool: OfferedTool, words: set[str], parts: set[str] | None = None) -> int:
    """How well a tool fits a question's words: 3 per name word used, 1 per other description word used
    (or held in a compound the question uses: "bedroom" for "room"; `parts` are `compound_parts(words)`,
    found once per question)."""
    parts = compound_parts(words) if parts is None else parts
    name_words = {stem(word) for word in words_of(tool.name)} - STOP_WORDS
    description_words = {stem(word) for word in re.findall(r"[a-z]+", tool.description.lower()[:_MAX_DESCRIPTION])}
    description_words -= STOP_WORDS | name_words
    used = (name_words | description_words) & words
    compounds = {word for word in description_words | name_words
                 if word not in used and len(word) >= _MIN_COMPOUND_PART and word in parts}
    return _NAME_WEIGHT * len(name_words & words) + len(description_words & words) + len(compounds)


_MIN_COMPOUND_PART = 4  # letters of a compound's last part ("bedroom" holds "room"); its first has 3 or more
_MAX_DESCRIPTION = 2_000  # characters of a tool's description read for its words
_MAX_COMPOUNDS = 2_000  # distinct words of a question looked at as compounds


def compound_parts(words: set[str]) -> set[str]:
    """The last parts of the question's compound words: "bedroom" → "room", "storeroom" → "room"."""
    return {word[cut:] for word in sorted(words)[:_MAX_COMPOUNDS] if len(word) < 24
            for cut in range(_MIN_COMPOUND_PART - 1, len(word) - _MIN_COMPOUND_PART + 1) if word[:cut].isalpha()}


def named_in(text: str, tools: list[OfferedTool]) -> OfferedTool | None:
    """The tool whose name the question writes out: "magic_function(3)" or "the search docs tool"."""
    lower = text.lower()
    for tool in tools:
        spellings = {tool.name.lower(), " ".join(words_of(tool.name))}
        if any(len(s) >= 3 and re.search(rf"(?<![\w]){re.escape(s)}(?![\w])", lower) for s in spellings):
            return tool
    return None


def best_tool(text: str, tools: list[OfferedTool], *, threshold: int = AUTO_THRESHOLD) -> OfferedTool | None:
    """The tool the question names, else the best-scoring one if it reaches `threshold`."""
    named = named_in(text, tools)
    if named is not None:
        return named
    words = question_words(text)
    values = _Values(text)
    parts = compound_parts(words)
    scored = [(score(tool, words, parts) + values.points(tool), index, tool) for index, tool in enumerate(tools)]
    if not scored:
        return None
    best_score = max(entry[0] for entry in scored)
    tied = [(index, tool) for points, index, tool in scored if points == best_score]
    if len(tied) > 1:
        said = [stem(word) for word in re.findall(r"[a-z][a-z'-]*", text.lower()[:_MAX_TIE_CHARS])]
        tied.sort(key=lambda entry: (_first_use(entry[1], said), entry[0]))
    return tied[0][1] if best_score >= threshold else None


# Parameters a person's name fills: "Ring Marta" → `person`, "with Ana, Raj and Lee" → `attendees`.
_PERSON_WORDS = frozenset("""person people name names who attendee attendees guest guests participant participants
    invitee invitees contact contacts recipient recipients friend friends member members employee patient
    passenger customer client host organizer organiser owner assignee with""".split())
# Requests for writing or explaining: the values in them are what to write about, not a tool's arguments
# ("Tell me a joke about Mondays" books nothing; "Explain how a clock shows 18:30" sets no alarm).
_TEXT_REQUEST = re.compile(r"\b(?:poem|joke|story|stories|haiku|essay|limerick|riddle|explain|describe|why"
                           r"|summari[sz]e|paraphrase|rephrase|rewrite|proofread)\b"
                           r"|\bwrite (?:a|an|me|some)\b", re.IGNORECASE)
_MAX_VALUE_TEXT = 20_000  # characters of a question read for names and lists


class _Values:
    """The values a question names that only some parameters take: currencies, enum values, clock times;
    and weaker evidence, values that many parameters take: a written list, a person's name."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._money: int | None = None
        self.measures = units.said_measures(text)  # "21 degrees": a temperature
        self.enums = EnumReader(text)
        self.times = bool(clock.said_times(text))  # "6:45", "7pm", "at 7"
        self.writing = _TEXT_REQUEST.search(text[:_MAX_VALUE_TEXT]) is not None
        self._lists: bool | None = None
        self._names: bool | None = None
        self._mentions: list[Mention] | None = None
        self.tickers = bool(tickers.tickers(text))  # "AAPL": a share's ticker

    @property
    def listed(self) -> bool:
        """Whether the question writes a list of items ("Ana, Raj and Lee")."""
        if self._lists is None:
            self._lists = any(found.items for found in find_lists(self.text[:_MAX_VALUE_TEXT]))
        return self._lists

    @property
    def names(self) -> bool:
        """Whether the question names someone or something by a capitalised name ("Ring Marta")."""
        if self._names is None:
            self._names = any(m.kind == NAME and m.value.lower() not in NOT_NAMES  # type: ignore[union-attr]
                              for m in self.mentions)
        return self._names

    @property
    def mentions(self) -> list[Mention]:
        if self._mentions is None:
            self._mentions = find_mentions(self.text[:_MAX_VALUE_TEXT])
        return self._mentions

    def shaped(self, name: str, parameter: dict[str, Any]) -> bool:
        """Whether the question gives a value shaped for this string parameter: a phone number for `phone`,
        `number` or `to` ("Text +44 7700 900123 ..."), a ticker for `ticker` or `symbol` ("Apple (AAPL)")."""
        if schemas.type_of(parameter) != "string" or "enum" in parameter:
            return False
        words = set(schemas.words_of(name))
        if words & PHONE_FIELD_WORDS and any(m.kind == PHONE for m in self.mentions):
            return True
        return self.tickers and tickers.is_ticker_field(words)

    @property
    def money(self) -> int:
        """How many currencies the question names ("100 USD in EUR": two)."""
        if self._money is None:
            self._money = len(currencies.find_currencies(self.text))
        return self._money

    def points(self, tool: OfferedTool) -> int:
        """2 when the question names a value for one of the tool's required value-bound parameters, 3 for two;
        a list for an array or a name for a person's field adds to those, and alone gives 1 (a list or a
        name fits too many tools to choose one by itself). A request to write or explain gives none."""
        if self.writing:
            return 0
        properties = schemas.properties(tool.parameters)
        named = money = 0
        weak = False
        about_money = currencies.is_money_context(f"{tool.name} {tool.description}")
        required = schemas.required(tool.parameters)[:_MAX_PARAMETERS]
        resolved = [(name, schemas.resolve(properties.get(name), tool.parameters)) for name in required]
        if self.times:
            named += clock.fits(resolved)  # "6:45" fills `hour` and `minute`, or a `time`
        for name, parameter in resolved:
            if clock.clock_part(name, parameter) or clock.is_time_field(name, parameter):
                continue
            kind = schemas.type_of(parameter)
            items = parameter.get("items")
            if not weak and kind == "array" and not (isinstance(items, dict) and "enum" in items):
                weak = self.listed
            if not weak and kind in ("string", "array") and "enum" not in parameter \
                    and set(schemas.words_of(name)) & _PERSON_WORDS:
                weak = self.names
            if currencies.is_currency_parameter(name, parameter, about_money):
                if money < self.money:  # each currency named gives one currency parameter its value
                    money += 1
                    named += 1
            elif self.shaped(name, parameter):
                named += 1
            elif isinstance(parameter.get("enum"), list) and self.enums.matches(parameter["enum"]):
                named += 1
            elif (self.measures and schemas.type_of(parameter) in ("number", "integer")
                  and units.measure_of(name, str(parameter.get("description") or "")) in self.measures):
                named += 1
        if not named:
            return 1 if weak else 0
        return _VALUE_POINTS[min(named + weak, len(_VALUE_POINTS) - 1)]


def _first_use(tool: OfferedTool, said: list[str]) -> int:
    """Where the question first uses a word of the tool's name (len(said) if it never does)."""
    name_words = {stem(word) for word in words_of(tool.name)} - STOP_WORDS
    return next((at for at, word in enumerate(said) if word in name_words), len(said))


def clauses(text: str) -> list[str]:
    """The question cut at "and", ";", "then" and sentence ends: one clause per thing it asks (at most 16)."""
    parts = [part for part in _CLAUSE_BREAK.split(text, maxsplit=MAX_CLAUSES) if part.strip()]
    return parts[:MAX_CLAUSES]
