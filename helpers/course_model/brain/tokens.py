"""Split text into word-piece tokens, the way the course model streams it.

Real models stream sub-word tokens: a word usually carries its leading space
(" stream"), punctuation comes on its own (","), and long words arrive in
pieces (" stream" + "ing"). We imitate that closely enough for learners to see
the same shapes in their `AIMessageChunk`s, while keeping the rule simple and
deterministic. Joining the tokens always gives back the exact text.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterator

# A run of letters or digits with its leading space, a single punctuation mark
# with its leading space, or leftover whitespace (newlines, double spaces).
_PIECE = re.compile(r" ?[A-Za-z]+| ?\d+| ?[^\sA-Za-z\d]|\s+")

# Common English endings that real tokenizers tend to split off.
_SUFFIXES = ("ing", "tion", "ment", "ness", "able", "ally", "ed", "ly", "s")
_SHORT_WORD = 9  # letters; shorter words stay whole, as common words do in real tokenizers
_LONG_WORD = 10  # letters; longer words with no known ending are cut in chunks
_CHUNK = 6


def _chunk_long(piece: str) -> list[str]:
    """Cut a very long word into chunks, the first keeping the leading space.

    By index, never by re-slicing the rest: a word may be a million letters (a 2 MB
    question of one "word"), and cutting the rest off again for each chunk made that
    quadratic, seconds of a worker's time per request.
    """
    start = len(piece) - len(piece.lstrip(" ")) + _CHUNK  # the first chunk keeps the leading space
    if len(piece) - (start - _CHUNK) <= _LONG_WORD:
        return [piece]
    chunks = [piece[:start]]
    while len(piece) - start > _LONG_WORD:
        chunks.append(piece[start:start + _CHUNK])
        start += _CHUNK
    chunks.append(piece[start:])
    return chunks


def _split_word(piece: str) -> list[str]:
    """Split one word (with its optional leading space) into word pieces."""
    letters = piece.lstrip(" ")
    if not letters.isalpha() or len(letters) < _SHORT_WORD:
        return [piece]
    for suffix in _SUFFIXES:
        if letters.lower().endswith(suffix) and len(letters) - len(suffix) >= 4:
            cut = len(piece) - len(suffix)
            return _chunk_long(piece[:cut]) + [piece[cut:]]
    return _chunk_long(piece)


def tokenize(text: str) -> list[str]:
    """Return the tokens of `text`; `"".join(tokenize(text)) == text` always holds."""
    tokens: list[str] = []
    for match in _PIECE.finditer(text):
        tokens.extend(_split_word(match.group()))
    return tokens


def iter_tokens(text: str) -> Iterator[str]:
    """The tokens of `text` one by one, so an answer cut at its cap is never tokenized past it."""
    for match in _PIECE.finditer(text):
        yield from _split_word(match.group())


_CACHED_CHARS = 32_768  # longer texts are counted afresh, so the cache holds at most ~32 MB


def count_tokens(text: str) -> int:
    """How many tokens `text` costs, for the usage numbers the model reports.

    Every request re-sends the whole conversation, so the same earlier messages
    are counted again and again (about 9-18 ms per call with ten long answers);
    counts of texts up to 32 KB are remembered, and hashing a string costs far
    less than tokenizing it.
    """
    if len(text) > _CACHED_CHARS:
        return len(tokenize(text))
    return _cached_count(text)


@lru_cache(maxsize=1024)
def _cached_count(text: str) -> int:
    return len(tokenize(text))
