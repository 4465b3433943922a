"""Statements and questions about the past or about oneself: "I had an espresso this morning, was that too much?"

Under `tool_choice="auto"` a real model calls a tool when the user asks for something done. "I ran 10 km
yesterday, is that good?" and "My sister booked a table for 4 last night, was it busy?" tell what
happened and ask for an opinion: they name a tool's values (a distance, a number of guests) without
asking for the tool. So a question that opens by telling what someone did (a subject, then a verb in
the past: "I had", "we booked", "my sister ordered", "Yesterday I texted"), or asks whether someone did
("Did I ..."), and asks a question about it (a bare "I ate 150 g of yogurt" is for a food log to record), and asks
for nothing besides ("please", "can you", "I want", "again"), gets text.

Used by the course model's tool choice (`brain/tool_use.py`) behind chapters 02 (tools) and 03 (agents).
"""

from __future__ import annotations

import re

MAX_TEXT = 2_000  # characters of a question read: a statement opens it

_IRREGULAR = """had was were did ran ate drank went got made took bought sent paid gave fed saw came left forgot
    lost spent slept wrote drove flew rode swam met sold kept felt heard told thought found brought caught taught
    fought built broke chose fell held hid hit hurt led let lent lit put quit read rang sang sank sat shot shut
    spoke stood stole struck swore threw woke wore won""".split()
_PAST = rf"(?:\w+ed|{'|'.join(_IRREGULAR)})"
_WHEN = (r"(?:yesterday|earlier|last\s+(?:night|week|month|year|time|\w+day)|this\s+(?:morning|afternoon)"
         r"|(?:on|this)\s+\w+day|\w+\s+(?:days?|weeks?|hours?)\s+ago)")
_SUBJECT = r"(?:i|we|he|she|they|my\s+\w+|our\s+\w+|his\s+\w+|her\s+\w+|their\s+\w+)"
_TELLS = re.compile(rf"^\W*(?:{_WHEN}\s*,?\s+)?{_SUBJECT}\s+(?:(?:just|already|never|only|also|accidentally)\s+)?"
                    rf"{_PAST}\b", re.IGNORECASE)
_ASKS_IF = re.compile(rf"^\W*(?:did|have|had|was|were)\s+{_SUBJECT}\b", re.IGNORECASE)
# Words that ask for something after all: "I forgot my alarm, can you set one for 7?"
_REQUEST = re.compile(r"\b(?:please|can you|could you|would you|will you|let's|lets|i need|i want|i'd like|"
                      r"i would like|again|another|one more|instead|now set|now book|go ahead)\b", re.IGNORECASE)


def tells_not_asks(text: str) -> bool:
    """Whether the question tells or asks about what someone did, and asks for nothing to be done."""
    text = text[:MAX_TEXT]
    tells = _TELLS.search(text) is not None and "?" in text  # "I ate 150 g of yogurt" alone is for a food log
    return (tells or _ASKS_IF.search(text) is not None) and not _REQUEST.search(text)
