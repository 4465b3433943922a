"""The word helpers the course model reads questions with: light stemming, a synonym table, stop words.

Shared by tool choice (which tool a question wants) and free text (what a question says beyond a tool's
name). Used by the course model behind chapters 02 (tools) and 03 (agents).
"""

from __future__ import annotations

STOP_WORDS = frozenset(
    """a an the is are was were be been am do does did what whats what's how who where when why which get gets got
    give me my i you your we our it its this that these those there please can could would will should shall may
    of in on at to for from with by and or but if then so as into about up out use using tool tools function call
    value some any all current given tell show find make let want need like know just now also one""".split()
)

# Words with the same meaning, mapped to one canonical word.
SYNONYMS: dict[str, str] = {
    "forecast": "weather", "temperature": "weather", "rain": "weather", "raining": "weather", "sunny": "weather",
    "hot": "weather", "cold": "weather", "warm": "weather", "windy": "weather", "snow": "weather",
    "snowing": "weather", "cloudy": "weather", "humid": "weather", "mean": "define",
    "people": "population", "inhabitant": "population", "resident": "population", "live": "population",
    "dice": "die", "docs": "doc", "documentation": "doc", "manual": "doc",
    "folder": "file", "directory": "file", "lamp": "light", "switch": "toggle", "turn": "toggle",
    "mail": "email", "e-mail": "email", "loud": "volume", "louder": "volume", "quieter": "volume",
    "clock": "time", "ticker": "stock", "share": "stock", "route": "direction", "travel": "direction",
    "headline": "news", "article": "news", "meaning": "define", "definition": "define",
    "account": "user", "capitals": "capital", "quote": "price", "cost": "price", "exchange": "convert",
    "money": "currency", "dollar": "currency", "euro": "currency", "pound": "currency", "yen": "currency",
    "franc": "currency", "yuan": "currency", "rupee": "currency", "peso": "currency", "buck": "currency",
    "mop": "clean", "scrub": "clean", "tidy": "clean", "vacuum": "clean", "hoover": "clean", "wipe": "clean",
    "wash": "clean", "cleaning": "clean",
}


def stem(word: str) -> str:
    """A word without its plural or tense ending, then through the synonym table."""
    word = SYNONYMS.get(word, word)
    for ending in ("ing", "ed"):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            word = word[: -len(ending)]
            break
    else:
        if word.endswith("ies") and len(word) > 4:
            word = word[:-3] + "y"
        elif word.endswith("s") and not word.endswith("ss") and len(word) > 3:
            word = word[:-1]
    return SYNONYMS.get(word, word)
