"""Currency names in a question, as ISO 4217 codes: "100 euros in dollars" → EUR, USD.

People say "euros", "dollars", "£" or "Japanese yen"; currency APIs want
codes. A real model makes that step without thinking, so the course model
keeps a small table of common currencies, and uses it **only** for a
parameter that is a currency (`is_currency_parameter`): one named like
`currency` / `from_currency`, described as a currency, or whose `enum` lists
currency codes; and, in a tool or schema about money (its name or description
says currency, money, cash, fx: `is_money_context`), any string parameter
named for a side of the exchange, whatever the pair is called (`source` /
`target`, `base` / `quote`, `from` / `to`, `have` / `want`, `sell` / `buy`,
`input` / `output`). The value it gets is the code, or, when the schema enumerates
names ("euro", "dollar"), the enum entry for that currency.

Used by the course model behind chapter 02 (tools, `convert_currency`).
"""

from __future__ import annotations

import re
from typing import Any

from . import schemas
from .mentions import Mention

CURRENCY = "currency"

# Names (singular; a plural "s" is allowed), with an optional adjective, → code.
_NAMES: dict[str, str] = {
    "dollar": "USD", "us dollar": "USD", "american dollar": "USD", "buck": "USD",
    "canadian dollar": "CAD", "australian dollar": "AUD", "new zealand dollar": "NZD", "hong kong dollar": "HKD",
    "singapore dollar": "SGD", "euro": "EUR", "pound": "GBP", "british pound": "GBP", "pound sterling": "GBP",
    "sterling": "GBP", "quid": "GBP", "yen": "JPY", "japanese yen": "JPY", "swiss franc": "CHF", "franc": "CHF", "yuan": "CNY",
    "chinese yuan": "CNY", "renminbi": "CNY", "rupee": "INR", "indian rupee": "INR", "mexican peso": "MXN",
    "peso": "MXN", "swedish krona": "SEK", "norwegian krone": "NOK", "danish krone": "DKK", "rand": "ZAR",
    "zloty": "PLN", "ruble": "RUB", "rouble": "RUB", "lira": "TRY", "turkish lira": "TRY",
}
_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "₩": "KRW"}
CODES = frozenset({*_NAMES.values(), *_SYMBOLS.values(), "BRL", "KRW", "HKD"})

_NAME_PATTERN = "|".join(re.escape(name) for name in sorted(_NAMES, key=len, reverse=True))
_FINDER = re.compile(
    rf"(?P<name>(?<![\w])(?:{_NAME_PATTERN})(?:e?s)?(?![\w]))"
    rf"|(?P<symbol>[{''.join(_SYMBOLS)}])"
    rf"|(?P<code>(?<![\w])(?:{'|'.join(sorted(CODES))})(?![\w]))",
    re.IGNORECASE,
)


def find_currencies(text: str) -> list[Mention]:
    """Every currency `text` names, as a mention of kind `currency` whose value is its code."""
    found = []
    for match in _FINDER.finditer(text):
        piece = match.group()
        if match.lastgroup == "symbol":
            code = _SYMBOLS[piece]
        elif match.lastgroup == "code":
            if not piece.isupper():
                continue  # "try" or "all" are words, "TRY" is a code
            code = piece
        else:
            code = _NAMES.get(_singular(piece.lower()), "")
        if code:
            found.append(Mention(CURRENCY, code, match.start(), match.end()))
    return found


def _singular(name: str) -> str:
    for ending in ("es", "s"):
        if name.endswith(ending) and name[: -len(ending)] in _NAMES:
            return name[: -len(ending)]
    return name


_MONEY_WORDS = frozenset({"currency", "currencies", "money", "cash", "fx", "forex"})
# Names for the two sides of an exchange.
SIDE_WORDS = frozenset("""from to source target base quote have want sell buy input output original into dest
    destination counter pay receive""".split())
_MAX_ABOUT = 2_000  # characters of a tool's or schema's name and description read for what it is about


def is_money_context(about: str) -> bool:
    """Whether a tool or schema is about money: its name or description says currency, money, cash or fx."""
    return bool(set(schemas.words_of(about[:_MAX_ABOUT])) & _MONEY_WORDS)


def is_currency_parameter(name: str, schema: dict[str, Any], money: bool = False) -> bool:
    """Whether a parameter wants a currency: its name, its description, or an enum of currencies says so;
    or, with `money` (the tool or schema is about money), a name for a side of the exchange ("base")."""
    if schemas.type_of(schema) != "string":
        return False
    if money and "enum" not in schema and set(schemas.words_of(name)) & SIDE_WORDS:
        return True
    if {"currency", "currencies"} & set(schemas.words_of(name)):
        return True
    if "currency" in str(schema.get("description", "")).lower():
        return True
    enum = schema.get("enum")
    return isinstance(enum, list) and len(enum) > 1 and all(_code_of_value(value) for value in enum)


def as_value(code: str, schema: dict[str, Any]) -> str | None:
    """The currency `code` as the schema wants it: the code, or the enum entry naming it (None if none does)."""
    enum = schema.get("enum")
    if not isinstance(enum, list):
        return code
    return next((value for value in enum if _code_of_value(value) == code), None)


def _code_of_value(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    if value.upper() in CODES and len(value) == 3:
        return value.upper()
    return _NAMES.get(_singular(value.lower()))
