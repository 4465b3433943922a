"""Stock tickers in a question: "How is Apple (AAPL) trading today?" names the share `AAPL`.

A ticker is a short run of capital letters (2 to 5, "$" allowed before it) that is not a currency
code, a common abbreviation ("OK", "TV", "USA") or part of a shouted sentence. It fills a `ticker` or
`symbol` field and counts as a value for such a parameter when choosing a tool. A question that asks
what the letters mean ("What is NLP?", "What does ETA stand for?") names an abbreviation, not a
share, so it has none.

Used by the course model's argument reading and tool choice (`reading/arguments.py`,
`brain/tool_choosing.py`) behind chapters 02 (tools) and 06-07 (structured output).
"""

from __future__ import annotations

import re

from .currencies import CODES

MAX_TEXT = 20_000  # characters of a question read for tickers
TICKER_WORDS = frozenset({"ticker", "tickers", "symbol", "symbols", "stock", "stocks", "share", "shares", "equity"})

_TICKER = re.compile(r"(?<![\w$])\$?([A-Z]{2,5})(?![\w'])")
_NOT_TICKERS = frozenset("""OK AM PM TV UK US USA EU ID AI FAQ PDF URL API CEO CTO CFO ETA ASAP FYI NB PS HR IT PR
    DIY BBQ GPS SMS MMS PIN VAT UTC GMT CET EST PST BST NYC LA DC NLP ML LLM CPU GPU RAM SSD USB HTML CSS JSON XML
    SQL PHP RSVP TBD TBA AKA DIY VIP MVP PhD MBA BSc MSc OMG LOL BTW IMO IIRC""".split())
_DEFINITION = re.compile(r"^\s*(?:what|who)(?:'s|\s+is|\s+are|\s+was|\s+were|\s+does|\s+do)\s+(?:an?\s+|the\s+)?"
                         r"\$?[A-Z]{2,5}(?:\s+(?:mean|stand\s+for))?\s*[?.!]?\s*$"
                         r"|\b(?:stands?\s+for|acronym|abbreviation|meaning\s+of|short\s+for)\b", re.IGNORECASE)


def tickers(text: str) -> list[tuple[str, int, int]]:
    """The tickers a question names, in order: (letters, start, end); none in a definition or a shout."""
    text = text[:MAX_TEXT]
    if _DEFINITION.search(text):
        return []
    found = [(m.group(1), m.start(), m.end()) for m in _TICKER.finditer(text)
             if m.group(1) not in _NOT_TICKERS and m.group(1) not in CODES]
    words = len(re.findall(r"[A-Za-z]+", text))
    if len(found) > 2 and len(found) * 2 >= words:  # A SHOUTED SENTENCE is not a list of shares
        return []
    return found


def is_ticker_field(words: set[str]) -> bool:
    """A parameter whose words say it takes a ticker: `ticker`, `symbol`, `stock_symbol`."""
    return bool(words & TICKER_WORDS)
