"""A word the question puts next to a field's name: "the checkout component" → `component` = "checkout".

People give a value by naming what it is: "a bug in the billing module", "a
double room", "3 days of sick leave", "service: payments", "carrier dhl", "an
issue labelled regression". Such values are lower-case words, so the mention
finder (`mentions.py`) does not see them; a real model reads them at once. The
course model looks, for a plain string field, at each place the question uses
the field's name (or its plural, or a form such as "labelled" for `label`):

1. **before it**: up to three content words right before the name, back to an
   article, a preposition or a comma ("for the checkout component" →
   "checkout"); only for the name itself, not a verb form ("an issue labelled"
   names no label); a command's verb right before the name is a noun there
   ("HIGH priority: search component crashes" → "search") unless it opens a
   sentence ("Book room 12");
2. **after it**: up to three content words right after the name, or after
   "name:" / "name =" ("service: payments", "carrier dhl", "labelled
   regression"), up to a comma or a function word.

The word before wins: in "the checkout component: the pay button is broken"
the component is "checkout". A place's kind keeps the place's noun: "the
dining room" is `room` "dining room" (an "-ing" word before a place noun such
as room, area or hall), and a compound word that ends with the name, after an article or a possessive,
is the value whole, with the words between ("the bedroom", "my storeroom", "the
guest bedroom" → `room`). Failing the field's name, the same is tried with
the words of its description (before them only: "a travel expense" fills a
field described as "the expense category"). A content word is not a function
word (article, pronoun, preposition, auxiliary), not a command's verb ("open",
"create"), not a word of time ("today"), and not a value another field took.

The question's words are indexed once, so each field's look-up is linear in the
places its name appears (at most `MAX_PLACES`). Used by the course model behind
chapters 02 (tools) and 06-07 (structured output).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable

from .enums import key
from .units import is_unit
from .lists import BOUNDARY_WORDS
from .mentions import NOT_NAMES
from .words import STOP_WORDS

MAX_TEXT = 20_000  # characters of a question read for anchored words
MAX_PLACES = 32  # places one name is looked at
MAX_VALUE_WORDS = 3

_TOKEN = re.compile(r"[^\W_][\w'’&+-]*|[^\w\s]")
_DETERMINERS = frozenset("the a an my our your their his her its this that".split())
_OBJECT_PRONOUNS = frozenset("it them this".split())  # "label it gym": what follows is the label
_FUNCTION_WORDS = (
    STOP_WORDS | BOUNDARY_WORDS
    | frozenset("""under over after before via per through within without between across near around than like
    during since until behind beside toward towards against off onto upon every each another no both its his her
    their them him she he they not very today tomorrow tonight yesterday now here there soon later right""".split())
)
_PARTICIPLE_ENDINGS = ("led", "ed", "d")
# Nouns for places whose kind is named by an "-ing" word: "the living room", "the waiting area".
_PLACE_NOUNS = frozenset("room rooms area areas hall halls zone zones space spaces lot lots pool pools".split())
# Words that end a counted thing's name: "12 boxes of nails left", "3 apples each".
_AFTER_THING = frozenset("left remaining total each apiece altogether more extra again too".split())
MIN_COMPOUND_PART = 4  # letters of a compound's last part ("bed|room"); its first has 3 or more
_MAX_COMPOUND = 24  # letters of a word looked at as a compound


@dataclass(frozen=True)
class Anchored:
    """The words found beside a field's name, and where they stand."""

    text: str
    start: int
    end: int


class AnchorIndex:
    """The question's words, indexed by the names they may be forms of: "labelled" → label (a verb form)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, int, int]] = [(m.group(), m.start(), m.end())
                                                   for m in _TOKEN.finditer(text[:MAX_TEXT])]
        self.places: dict[str, list[tuple[int, bool]]] = {}  # name → (token index, whether the noun itself)
        self.compounds: dict[str, list[int]] = {}  # a compound's last part → its tokens: "room" → "bedroom"
        self._starts = {start: index for index, (_, start, _) in enumerate(self.tokens)}
        for index, (word, _, _) in enumerate(self.tokens):
            lower = word.lower()
            if not lower[0].isalpha():
                continue
            if lower.isalpha() and len(lower) <= _MAX_COMPOUND:
                for cut in range(MIN_COMPOUND_PART - 1, len(lower) - MIN_COMPOUND_PART + 1):
                    compound = self.compounds.setdefault(lower[cut:], [])
                    if len(compound) < MAX_PLACES:
                        compound.append(index)
            forms = {(lower, True), (key(lower), True)}
            for ending in _PARTICIPLE_ENDINGS:
                if lower.endswith(ending) and len(lower) - len(ending) >= 3:
                    stem = lower[: -len(ending)]
                    forms.add((stem, False))
                    if len(stem) > 3 and stem[-1] == stem[-2]:
                        forms.add((stem[:-1], False))  # "tagged" → tag
            for form, noun in forms:
                places = self.places.setdefault(form, [])
                if len(places) < MAX_PLACES and (index, noun) not in places:
                    places.append((index, noun))

    def beside(self, names: Iterable[str], blocked: Callable[[int, int], bool], *,
               after: bool = True, own: frozenset[str] = frozenset()) -> Anchored | None:
        """The words next to the first place a name in `names` is used (see the module docstring).

        Words in `own` (the field's own name, by `key`) are never part of the value: "the user name:
        bob" gives `user_name` "bob", not "user"."""
        for name in names:
            if len(name) < 3 or name in STOP_WORDS:
                continue
            for index, noun in sorted(self.places.get(name, ())):
                if noun:
                    found = self._run(index - 1, -1, blocked, own)
                    if found is not None:
                        return self._with_place(found, index, name)
                if after:
                    start = index + 1
                    if start < len(self.tokens) and self.tokens[start][0] in (":", "="):
                        start += 1
                    elif start < len(self.tokens) and self.tokens[start][0].lower() in _OBJECT_PRONOUNS:
                        start += 1  # the name as a verb: "label it gym", "tag them urgent", "name it as Trip"
                        if start < len(self.tokens) and self.tokens[start][0].lower() == "as":
                            start += 1
                    found = self._run(start, 1, blocked, own)
                    if found is not None:
                        return found
            for index in self.compounds.get(name, ()):  # "the (guest) bedroom" for `room`, not "with username bob"
                word, start, end = self.tokens[index]
                if not _content(word, before=True) or word.lower() in NOT_NAMES or blocked(start, end):
                    continue
                first = index
                while first > 0 and index - first < MAX_VALUE_WORDS - 1 and (
                        _content(self.tokens[first - 1][0], before=True)
                        and self.tokens[first - 1][0].lower() not in NOT_NAMES
                        and not blocked(self.tokens[first - 1][1], self.tokens[first - 1][2])):
                    first -= 1
                if first > 0 and self.tokens[first - 1][0].lower() in _DETERMINERS:
                    return Anchored(self.text[self.tokens[first][1]:end], self.tokens[first][1], end)
        return None

    def counted(self, numbers: Iterable[int], blocked: Callable[[int, int], bool]) -> Anchored | None:
        """The thing a number counts: "3 bags of flour" → "flour", "150 g of yogurt" → "yogurt", "3 apples".

        `numbers` are where the question's numbers end. A unit alone ("2.5 kg") counts no thing."""
        starts = self._starts
        for end in list(numbers)[:MAX_PLACES]:
            index = next((starts[at] for at in range(end, end + 3) if at in starts), None)
            if index is None:
                continue
            if index + 1 < len(self.tokens) and self.tokens[index + 1][0].lower() == "of":
                index += 2  # "bags of flour", "g of yogurt"
            elif is_unit(self.tokens[index][0]):
                continue
            found = self._run(index, 1, blocked, stop=_AFTER_THING)
            if found is not None:
                return found
        return None

    def _with_place(self, found: Anchored, index: int, name: str) -> Anchored:
        """"the dining room": a place's kind keeps its noun ("dining room"), a name does not ("blue")."""
        end = self.tokens[index][2]
        if name in _PLACE_NOUNS and found.text.lower().endswith("ing") and len(found.text) > 5:
            return Anchored(self.text[found.start:end], found.start, end)
        return found

    def after_word(self, word: str, blocked: Callable[[int, int], bool]) -> Anchored | None:
        """The content words right after the first `word` ("for checkout" → "checkout") not yet taken."""
        for index, noun in sorted(self.places.get(word, ())):
            if noun and (found := self._run(index + 1, 1, blocked)) is not None:
                return found
        return None

    def _run(self, index: int, step: int, blocked: Callable[[int, int], bool],
             own: frozenset[str] = frozenset(), stop: frozenset[str] = frozenset()) -> Anchored | None:
        """Up to MAX_VALUE_WORDS content words from `index` on, going `step` (-1: back, 1: on)."""
        taken: list[tuple[str, int, int]] = []
        first = index
        while 0 <= index < len(self.tokens) and len(taken) < MAX_VALUE_WORDS:
            word, start, end = self.tokens[index]
            if (not _content(word, before=step < 0) or blocked(start, end) or key(word.lower()) in own
                    or word.lower() in stop):
                break
            if word.lower() in NOT_NAMES:  # a command's verb ("open"), unless an article makes it a noun
                # or it stands right before the name, not opening a sentence ("HIGH: search component crashes")
                compound = step < 0 and index == first and not self._opens_sentence(index)
                if not compound and (step > 0 or index == 0
                                     or self.tokens[index - 1][0].lower() not in _DETERMINERS):
                    break
                taken.append((word, start, end))
                break
            taken.append((word, start, end))
            index += step
        if not taken:
            return None
        if step < 0:
            taken.reverse()
        start, end = taken[0][1], taken[-1][2]
        return Anchored(self.text[start:end], start, end)


    def _opens_sentence(self, index: int) -> bool:
        """Whether the token at `index` is a sentence's first word (an imperative's place: "Book room 12")."""
        if index == 0:
            return True
        previous, _, end = self.tokens[index - 1]
        return previous in (".", "!", "?") or "\n" in self.text[end : self.tokens[index][1]]


def _content(word: str, *, before: bool) -> bool:
    """Whether a word can be (part of) a value: not punctuation, a function word, or (before a name) a number."""
    if not word[0].isalnum():
        return False
    if before and not any(ch.isalpha() for ch in word):
        return False  # "4 rooms" counts rooms; "room 12" names one
    return word.lower() not in _FUNCTION_WORDS
