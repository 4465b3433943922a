"""Enumerations in a question: "Buy milk, eggs, bread and coffee." → four items.

A real model reads a list written with commas and "and" without thinking, quoted
or not. The course model finds them clause by clause (a clause ends at `.`, `!`,
`?`, `;`, `:` or a new line, so "Tasks: a, b and c" starts its list after the
colon), splitting at commas and at "and"/"or"/"plus"/"as well as", never inside
quotes or parentheses. A run of parts is a list when it has three parts or more, or two
joined by "and"/"or"; after its "and" part the list ends ("Paris, Oslo and Rome,
6 nights" lists three cities). Lines that start with a bullet ("- apples",
"* rice", "1. budget", "2) hiring"), two or more in a row, are a list too, one
item per line; so are short parts split by semicolons ("Pack: passport; charger;
socks") and short plain lines after a line that ends with a colon ("Chores:" then
"feed the cat" lines). A label before a colon is never an item: the list starts
after it.

Each list gives two readings:

- `items`, for a list of strings: each part cut to the item itself. The middle
  parts are whole; the first keeps its last words (as many as the other items
  have, articles not counted: "I need fresh milk, brown eggs and bread" →
  "fresh milk"), never reaching back past a verb that introduces the list
  ("Lasagne takes pasta sheets, ..." → "pasta sheets"); a bare noun joined to
  the first item by "with" is one more item ("rice with beans or lentils" →
  rice, beans, lentils), while one with an article is what the list belongs to
  ("a pizza with mushrooms, olives and ham" → the toppings), and so is a day ("sync on
  Friday with Ana and Raj") or a plain noun before a list of names ("dinner with Ana,
  Raj and Lee" → the people); the last stops at a word
  that ends a noun phrase or a verb ("bread for the party" → "bread"; "of" does
  not: "a jar of passata"). Articles go ("a tent" → "tent"). A list whose middle parts are not short phrases
  ("I'm Alice, I live in Oslo and ...") is not a list of items.
- `segments`, for a list of objects: each part whole, the first from the clause's
  start and the last to its end ("Alice is 30, Bob is 25 and Carol is 41"), so
  each object is filled from its own part.

Work is linear in the text's length, and a list has at most `MAX_ITEMS` items.
Used by the course model behind chapters 06-07 (structured output).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_ITEMS = 100  # of one list; a longer list is cut, like a real model running out of tokens
MAX_ITEM_WORDS = 4  # a middle item longer than this is a clause, not an item
MAX_TEXT = 20_000  # characters searched for lists

_CLAUSE = re.compile(r"[^.!?;:\n]+")
# Quoted text and parentheses are skipped whole; the rest splits at commas and "and"/"or".
_PIECE = re.compile(
    r"""(?P<skip>"[^"\n]*"|“[^”\n]*”|(?<![\w'])'[^'\n]*'(?![\w'])|\([^()\n]*\))
      | (?P<sep>\s*,\s*(?:(?:and|or|plus|as\s+well\s+as)\s+)?|\s+(?:and|or|plus|as\s+well\s+as)\s+)""",
    re.VERBOSE | re.IGNORECASE,
)
# A bulleted or numbered line: "- apples", "* rice", "• tea", "1. budget", "2) hiring".
_BULLET = re.compile(r"^[ \t]*(?:[-*•–]|\d{1,3}[.)])[ \t]+(?P<item>[^\n]*\S)[ \t]*$", re.MULTILINE)
_WORD = re.compile(r"\S+")
_ARTICLES = frozenset({"a", "an", "the", "some"})
# Words that end an item: verbs and prepositions that start the rest of the sentence.
_BOUNDARY = frozenset(
    """is are was were be been will would can could should must am do does did has have had for to in on at
    with from by that which who whom because so but then please if when while as into onto of""".split()
)
BOUNDARY_WORDS = _BOUNDARY  # for other readers: words that end a noun phrase
# After the first item, "of" continues an item ("a jar of passata") rather than ending it.
_LATER_BOUNDARY = _BOUNDARY - {"of"}
# Verbs that introduce a list ("X needs a, b and c"): the first item never reaches back past them.
_INTRODUCING = frozenset(
    """need needs needed take takes took contain contains include includes including require requires use uses
    bring brings buy buys pack packs add adds get gets want wants like likes love loves know knows speak speaks
    has have had needs invite invites visit visits see sees blend mix cook bake order orders call calls
    email tag tags choose pick picked chose make makes made go goes went""".split()
)
_FIRST_BOUNDARY = _BOUNDARY | _INTRODUCING
# Words a bare noun before "with" never reaches back past ("make me quinoa with kale" → quinoa).
_PRONOUNS = frozenset("i me you we us he him she her they them it".split())
# Words that say when, never one of the things listed after "with".
_CALENDAR = frozenset("""monday tuesday wednesday thursday friday saturday sunday mondays tuesdays wednesdays
    thursdays fridays saturdays sundays today tomorrow tonight morning afternoon evening night noon weekend
    january february march april may june july august september october november december""".split())
_SENTENCE = re.compile(r"[^.!?\n]+")
_LABELLED = re.compile(r"^[^\n:]{0,60}:[ \t]*$")  # a line that ends with a colon: "Chores:"
_LINE = re.compile(r"[^\n]+")
_LAST_BOUNDARY = _LATER_BOUNDARY | _INTRODUCING  # "milk make pancakes" → "milk"


@dataclass(frozen=True)
class Span:
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Enumeration:
    """One list: its parts as written (`segments`), and its `items` when they are short phrases (else None)."""

    segments: tuple[Span, ...]
    items: tuple[Span, ...] | None
    start: int
    end: int


def find_lists(text: str) -> list[Enumeration]:
    """Every list in `text`, in order (see the module docstring); a bulleted list hides the lists in its lines."""
    bulleted = _bulleted(text[:MAX_TEXT])
    bulleted += [one for one in _semicolons(text[:MAX_TEXT]) + _lines(text[:MAX_TEXT])
                 if not any(b.start <= one.start < b.end for b in bulleted)]
    found: list[Enumeration] = list(bulleted)
    for clause in _CLAUSE.finditer(text[:MAX_TEXT]):
        inline = _lists_in(text, clause.start(), clause.end())
        found.extend(one for one in inline if not any(b.start <= one.start < b.end for b in bulleted))
    return sorted(found, key=lambda one: one.start)


def _bulleted(text: str) -> list[Enumeration]:
    """Runs of two or more consecutive bulleted lines, each line one item."""
    runs: list[list[Span]] = []
    last_end = -2
    for line in _BULLET.finditer(text):
        span = Span(line.group("item"), line.start("item"), line.end("item"))
        if runs and text[last_end:line.start()].strip() == "":
            runs[-1].append(span)
        else:
            runs.append([span])
        last_end = line.end()
    found = []
    for run in runs:
        if len(run) < 2:
            continue
        run = run[:MAX_ITEMS]
        items = tuple(item for item in (_item(_words(part)) for part in run) if item is not None)
        found.append(Enumeration(tuple(run), items if len(items) == len(run) else None, run[0].start, run[-1].end))
    return found


def _semicolons(text: str) -> list[Enumeration]:
    """Short parts split by semicolons, after a label's colon if there is one: "Pack: passport; charger; socks".

    Every part must be a short phrase, so two clauses joined by a semicolon ("I have 200 dollars; how
    many euros is that?") are not a list."""
    found = []
    for sentence in _SENTENCE.finditer(text):
        if ";" not in sentence.group():
            continue
        start = sentence.start()
        colon = sentence.group().rfind(":", 0, sentence.group().find(";"))
        if colon >= 0:
            start += colon + 1
        parts = [_span(text, low, high) for low, high in _cuts(text, start, sentence.end(), ";")][:MAX_ITEMS]
        words = [_words(part) for part in parts]
        if len(parts) < 2 or any(not w or len(w) > MAX_ITEM_WORDS or _has_boundary(w) for w in words):
            continue
        items = tuple(_item(w) for w in words)
        if all(item is not None for item in items):
            found.append(Enumeration(tuple(parts), items, parts[0].start, parts[-1].end))  # type: ignore[arg-type]
    return found


def _cuts(text: str, start: int, end: int, separator: str) -> list[tuple[int, int]]:
    cuts, at = [], start
    while (found := text.find(separator, at, end)) >= 0:
        cuts.append((at, found))
        at = found + 1
    return cuts + [(at, end)]


def _lines(text: str) -> list[Enumeration]:
    """Short plain lines, two or more, right after a line that ends with a colon ("Chores:" then one per line)."""
    found = []
    lines = list(_LINE.finditer(text))
    for index, line in enumerate(lines[:-1]):
        if not _LABELLED.match(line.group()):
            continue
        run: list[Span] = []
        for following in lines[index + 1 : index + 1 + MAX_ITEMS]:
            if text[(run[-1].end if run else line.end()):following.start()].count("\n") > 1:
                break  # a blank line ends the list
            part = _span(text, following.start(), following.end())
            if _BULLET.match(following.group()):
                break  # bulleted lines are read as bullets
            words = _words(part)
            if not words or len(words) > MAX_ITEM_WORDS or _has_boundary(words) or part.text[-1] in ".!?:":
                break
            run.append(part)
        items = tuple(_item(_words(part)) for part in run)
        if len(run) >= 2 and all(item is not None for item in items):
            found.append(Enumeration(tuple(run), items, run[0].start, run[-1].end))  # type: ignore[arg-type]
    return found


def _lists_in(text: str, start: int, end: int) -> list[Enumeration]:
    parts: list[Span] = []
    joined: list[bool] = []  # for each separator: was it "and"/"or"?
    at = start
    for piece in _PIECE.finditer(text, start, end):
        if piece.lastgroup == "sep":
            parts.append(_span(text, at, piece.start()))
            joined.append(bool(re.search(r"\b(?:and|or|plus|well)\b", piece.group(), re.IGNORECASE)))
            at = piece.end()
    parts.append(_span(text, at, end))
    lists, group, had_and = [], [parts[0]], False
    for separator, part in zip(joined, parts[1:]):
        if had_and and not separator:  # the part after "and" was the last: a new run starts
            lists.append((group, had_and))
            group, had_and = [part], False
            continue
        group.append(part)
        had_and = had_and or separator
    lists.append((group, had_and))
    labelled = text[:start].rstrip(" \t").endswith(":")  # "Warm-up: jumping jacks, ...": the first part is whole
    return [_enumeration(group, labelled and at == 0) for at, (group, had_and) in enumerate(lists)
            if all(part.text for part in group) and (len(group) >= 3 or (len(group) == 2 and had_and))]


def _span(text: str, start: int, end: int) -> Span:
    piece = text[start:end]
    lead = len(piece) - len(piece.lstrip())
    return Span(piece.strip(), start + lead, start + lead + len(piece.strip()))


def _enumeration(group: list[Span], labelled: bool = False) -> Enumeration:
    group = group[:MAX_ITEMS]
    return Enumeration(tuple(group), _items(group, labelled), group[0].start, group[-1].end)


def _items(group: list[Span], labelled: bool = False) -> tuple[Span, ...] | None:
    middle = [_words(part) for part in group[1:-1]]
    if any(len(words) > MAX_ITEM_WORDS or _has_boundary(words) for words in middle):
        return None
    last = _words(group[-1])
    cut = next((i for i, word in enumerate(last) if _plain(word) in _LAST_BOUNDARY), len(last))
    last = last[: min(cut, MAX_ITEM_WORDS)]
    width = max([_width(words) for words in middle] + [_width(last), 1])
    first = _words(group[0])
    if labelled and len(first) <= MAX_ITEM_WORDS and not _has_boundary(first):
        width = len(first)  # right after a label's colon the first part is an item whole
    keep = 0
    while keep < min(width, len(first)) and _plain(first[-1 - keep]) not in _FIRST_BOUNDARY:
        keep += 1
    head = _head_before_with(first[: len(first) - keep])
    first = first[len(first) - keep :]
    if head and _names_only([first, *middle, last]) and not _names_only([head]):
        head = []  # "dinner with Ana, Raj and Lee": the people, not the dinner
    items = tuple(_item(words) for words in [*([head] if head else []), first, *middle, last])
    if any(item is None for item in items):
        return None
    return items  # type: ignore[return-value]


def _head_before_with(before: list[Span]) -> list[Span]:
    """A bare noun joined to the first item by "with": "rice with beans" → rice; "a pizza with ..." → nothing."""
    if not before or _plain(before[-1]) != "with":
        return []
    head: list[Span] = []
    for word in reversed(before[:-1]):
        plain = _plain(word)
        if plain in _ARTICLES or plain in {"my", "your", "our", "his", "her", "their", "this", "that"}:
            return []  # "a pizza with ...": the list belongs to the pizza
        if (plain in _FIRST_BOUNDARY or plain in _PRONOUNS or plain in _CALENDAR or word.text[-1] in ",;:"
                or len(head) == MAX_ITEM_WORDS):
            break  # "sync on Friday with Ana and Raj": a day says when, it is not one of the people
        head.insert(0, word)
    return head


def _names_only(items: list[list[Span]]) -> bool:
    """Whether every item is a name, each word capitalised ("Ana", "Raj", "Lee Chan")."""
    return all(words and all(word.text[:1].isupper() for word in words) for words in items)


def _words(part: Span) -> list[Span]:
    return [Span(m.group(), part.start + m.start(), part.start + m.end()) for m in _WORD.finditer(part.text)]


def _plain(word: Span) -> str:
    return word.text.lower().strip(",.!?\"'()")


def _has_boundary(words: list[Span]) -> bool:
    return any(_plain(word) in _LATER_BOUNDARY for word in words)


def _width(words: list[Span]) -> int:
    """How many words an item has, its article not counted ("a scarf" is one word wide)."""
    return len(words) - (1 if words and _plain(words[0]) in _ARTICLES else 0)


def _item(words: list[Span]) -> Span | None:
    """The words as one item, without a leading article; None when nothing (or only a number) is left."""
    while words and _plain(words[0]) in _ARTICLES:
        words = words[1:]
    if not words:
        return None
    text = " ".join(word.text for word in words).rstrip(",.!?")
    if not re.search(r"[^\W\d_]", text):
        return None  # "30" is a value, not an item
    return Span(text, words[0].start, words[-1].end)
