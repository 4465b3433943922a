"""The name a question opens with: "Team sync on Friday with Ana, Raj and Lee" → title "Team sync".

People name an event, a task or a note by saying it first and then when, where and
with whom: "Board meeting on Wednesday with Kim", "Schedule a design review at 3pm",
"Dentist tomorrow at 9". A real model puts that opening phrase in the `title`. The
course model reads the question's first clause, skips an opening command ("schedule",
"add", "book") and an article, and takes the words up to the first word that says
when, where, with whom or for what ("on", "at", "with", "for", "every", a weekday, a
number): one to `MAX_WORDS` words. Nothing is taken when the question opens with a
question word or a pronoun ("What ...", "I need ..."): those questions do not name
a thing first.

Used for a tool call's title-like field (`arguments.py`) behind chapter 02 (tools).
"""

from __future__ import annotations

import re

from .lists import BOUNDARY_WORDS

MAX_WORDS = 5  # of a title read from a question's opening
MAX_TEXT = 300  # characters of a question's opening read for its title

_CLAUSE = re.compile(r"[^.!?,;:\n]+")
_WORD = re.compile(r"[^\W\d_][\w'’-]*|\d\S*|\S")
_COMMANDS = frozenset("""schedule add create set make plan arrange put organise organize book new start open log
    note save please quick""".split())
_ARTICLES = frozenset("a an the my our your their this".split())
# Words after which the title has ended: when, where, with whom, for what.
_ENDS = BOUNDARY_WORDS | frozenset("""every each next this tomorrow today tonight monday tuesday wednesday thursday
    friday saturday sunday mondays tuesdays wednesdays thursdays fridays saturdays sundays weekly daily monthly
    and or""".split())
# A question opening with these names nothing: "What is ...", "I need ...", "Can you ...".
_NOT_OPENINGS = frozenset("""what what's whats how who where when why which whose is are was were do does did can
    could would will shall should may might i i'm i'd i'll we we're you it it's there hi hello hey thanks thank
    tell give get show find let lets let's""".split())


def opening_title(text: str) -> tuple[str, int, int] | None:
    """The phrase a question opens with, and where it stands, or None (see the module)."""
    clause = _CLAUSE.search(text[:MAX_TEXT])
    if clause is None:
        return None
    words = [(m.group(), clause.start() + m.start(), clause.start() + m.end()) for m in _WORD.finditer(clause.group())]
    if not words or words[0][0].lower() in _NOT_OPENINGS:
        return None
    while words and words[0][0].lower() in _COMMANDS:
        words.pop(0)
    while words and words[0][0].lower() in _ARTICLES:
        words.pop(0)
    taken = []
    for word in words:
        if word[0].lower() in _ENDS or not word[0][0].isalpha():
            break
        if len(taken) == MAX_WORDS:
            return None  # a sentence, not a name
        taken.append(word)
    if not taken or (len(taken) == len(words) and text[clause.end() : clause.end() + 1] == ","):
        return None  # "Ana, Raj and Lee are ...": the first of a list, not a name for the whole
    return text[taken[0][1] : taken[-1][2]], taken[0][1], taken[-1][2]
