"""The question's values, for filling a schema: each handed out at most once.

`arguments.py` fills a tool call's arguments or a structured answer's fields
from one question; a value one field takes is not another's. The pool holds
what the question states (`mentions.py`: names, numbers, quoted text; and
currencies when a field wants one), its written lists (`lists.py`), and the
words other readers claim (an enum's "in progress", an anchored "checkout"),
and answers "is this span still free?" in time logarithmic in the number of
values, so filling stays linear in the question's length.

Used by the course model behind chapters 02 (tools) and 06-07 (structured output).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from typing import Callable

from . import currencies, schemas, units
from .anchored import AnchorIndex
from .enums import EnumReader, key
from .free_text import GIST_TEXT, gist
from .lists import Enumeration, find_lists
from .mentions import NUMBER, Mention, find_mentions
from .outcome import Outcome


class Pool:
    """The question's values, each handed out at most once (arrays take all of a kind).

    Lookups use the values' positions (`bisect`), so filling a schema stays
    linear in the question's length, however many values it states.
    """

    def __init__(self, text: str, *, currencies_wanted: bool = False, tool_name: str | None = None,
                 outcome: Outcome | None = None, money: bool = False, about: str = "",
                 subject: tuple[str, ...] = ()) -> None:
        self.text = text
        self.money = money  # the tool or schema is about money: "source" and "target" are currencies
        self.about = about  # the tool's or schema's name and description
        self.subject = subject  # the nouns of the tool's or schema's name: what the question is about
        self.lower = text.lower()
        self.tool_name = tool_name  # set for a tool call: free text may then be the clause's remainder
        self.currencies_wanted = currencies_wanted
        self.outcome = outcome  # a finished calculation's value and expression, for `result`-like fields
        self._lists: list[Enumeration] | None = None  # found when an array first asks
        self._lists_used: set[int] = set()
        self.mentions = find_mentions(text)
        if currencies_wanted:  # "USD" or "Japanese yen" is then a currency, not a name
            money = currencies.find_currencies(text)
            self.mentions = sorted([m for m in self.mentions if not any(_overlap(m, c) for c in money)] + money,
                                   key=lambda mention: mention.start)
        self.starts = [mention.start for mention in self.mentions]
        self.ends = [mention.end for mention in self.mentions]
        self.used: set[int] = set()
        self.claimed: list[tuple[int, int]] = []  # spans of words taken that are not mentions (enum values, anchored words)
        # The schema's field names and the tool's name, by word: never a value ("Ingredients: ...", "Weather for ...")
        self.field_words: set[str] = {key(word) for word in schemas.words_of(tool_name or "")}
        self._anchors: AnchorIndex | None = None  # built when a field first looks beside its name
        self._gist: str | None = None
        self._gist_taken = 0  # how many spans were taken when the gist was read
        self._shaped: dict[str, tuple[list[tuple[str, int, int]], int]] = {}  # values by shape, and the next free
        self.enums = EnumReader(text)  # the question read once for every enum field

    @property
    def gist(self) -> str | None:
        """What the question is about, for a string it names no value for (`free_text.gist`)."""
        count = len(self.claimed) + len(self.used)
        if self._gist is None or self._gist_taken != count:  # words other fields took are not its gist
            near = [(low, high) for low, high in self.claimed if low < GIST_TEXT]
            near += [(self.mentions[i].start, self.mentions[i].end) for i in self.used
                     if self.mentions[i].start < GIST_TEXT]
            self._gist, self._gist_taken = gist(self.text, near) or "", count
        return self._gist or None

    @property
    def anchors(self) -> AnchorIndex:
        if self._anchors is None:
            self._anchors = AnchorIndex(self.text)
        return self._anchors

    def blocked(self, start: int, end: int) -> bool:
        """Whether text[start:end] overlaps a value already taken: a used mention or a claimed span."""
        if any(start < high and low < end for low, high in self.claimed):
            return True
        index = max(bisect_right(self.starts, start) - 1, 0)
        while index < len(self.mentions) and self.starts[index] < end:
            if index in self.used and self.ends[index] > start:
                return True
            index += 1
        return False

    def next_shaped(self, shape: str, find: Callable[[], list[tuple[str, int, int]]]) -> tuple[str, int, int] | None:
        """The first value of a shape (`find` lists them once: tickers, place phrases) no field took yet; it is
        then taken. A value once taken stays taken, so each is looked at about once however many fields ask."""
        found, at = self._shaped.get(shape) or (find(), 0)
        while at < len(found) and self.blocked(found[at][1], found[at][2]):
            at += 1
        self._shaped[shape] = (found, at + 1 if at < len(found) else at)
        if at == len(found):
            return None
        value = found[at]
        self.take_all(lambda m: value[1] <= m.start and m.end <= value[2])
        self.claim(value[1], value[2])
        return value

    def claim(self, start: int, end: int) -> None:
        self.claimed.append((start, end))

    def _claimed(self, mention: Mention) -> bool:
        return any(mention.start < high and low < mention.end for low, high in self.claimed)

    def names_a_field(self, mention: Mention) -> bool:
        """Whether a capitalised name is one of the schema's field names ("Ingredients: flour, eggs")."""
        return " ".join(key(word) for word in re.findall(r"[a-z]+", str(mention.value).lower())) in self.field_words

    def labels(self, mention: Mention) -> bool:
        """Whether a name is a label: it opens a line or sentence and a colon follows ("Pack: passport; ...")."""
        before = self.text[max(0, mention.start - 200) : mention.start].rstrip(" \t")
        return self.text[mention.end : mention.end + 3].lstrip(" \t").startswith(":") and (
            not before or before[-1] in ".!?\n")

    def measures(self, mention: Mention) -> bool:
        """Whether a name is a unit right after a number: the "C" of "20°C", the "L" of "2 L"."""
        before = self.text[max(0, mention.start - 3) : mention.start].rstrip(" °")
        return units.is_unit(str(mention.value)) and before[-1:].isdigit()

    def part(self, text: str) -> Pool:
        """A pool for one part of the text (one item of a list), read the same way."""
        return Pool(text, currencies_wanted=self.currencies_wanted, tool_name=self.tool_name, money=self.money,
                    about=self.about, subject=self.subject)

    def take_list(self, accept: Callable[[Enumeration], bool], *, items: bool = False) -> Enumeration | None:
        """The first list (`lists.py`) none of whose values is used yet; its values are then used.

        With `items`, only the items must be free: "Minestrone needs beans, pasta and celery" gives
        its ingredients though `dish` took "Minestrone" from the list's first part.
        """
        if self._lists is None:
            self._lists = find_lists(self.text)
        for index, found in enumerate(self._lists):
            low, high = (found.items[0].start, found.items[-1].end) if items and found.items else (found.start, found.end)
            inside = range(bisect_left(self.starts, low), bisect_left(self.starts, high))
            if index not in self._lists_used and accept(found) and not any(i in self.used for i in inside):
                self._lists_used.add(index)
                self.used.update(inside)
                return found
        return None

    def take(self, accept: Callable[[Mention], bool]) -> Mention | None:
        for index, mention in enumerate(self.mentions):
            if index not in self.used and accept(mention) and not self._claimed(mention):
                self.used.add(index)
                return mention
        return None

    def take_all(self, accept: Callable[[Mention], bool]) -> list[Mention]:
        taken = []
        for index, mention in enumerate(self.mentions):
            if index not in self.used and accept(mention):
                self.used.add(index)
                taken.append(mention)
        return taken

    def after(self, cue: str) -> Mention | None:
        """The unused value right after a cue word ("named Alice", "the subject 'Lunch'", "into French").

        A parameter's own name also matches in other forms: `assignee` in "assigned to Priya".
        """
        pattern = rf"\b{re.escape(cue)}\b" if len(cue) < 6 else rf"\b{re.escape(cue[:-2])}\w*(?:\s+to)?\b"
        for match in re.finditer(pattern, self.lower):
            index = bisect_left(self.starts, match.end())
            if index < len(self.mentions) and index not in self.used:
                if short_gap(self.text[match.end() : self.starts[index]]):
                    self.used.add(index)
                    return self.mentions[index]
        return None

    def before(self, word: str) -> Mention | None:
        """The unused number right before a word: "20 sides", "4 people"."""
        for match in re.finditer(rf"\b{re.escape(word)}\b", self.lower):
            index = bisect_right(self.ends, match.start()) - 1
            if index >= 0 and index not in self.used and self.mentions[index].kind == NUMBER:
                if 0 <= match.start() - self.ends[index] <= 1:
                    self.used.add(index)
                    return self.mentions[index]
        return None


def _overlap(one: Mention, other: Mention) -> bool:
    return one.start < other.end and other.start < one.end


def short_gap(gap: str) -> bool:
    """At most a word like "the", "is" or "of" between a cue and its value, and no sentence break."""
    return len(gap) < 12 and bool(re.fullmatch(r"\s*(?:(?:the|a|an|is|of|to|=|:|as)\s*)?", gap.lower()))
