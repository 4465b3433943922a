"""`FieldReader` reads `final_answer`'s answer out of JSON cut anywhere, as a model streams it."""

from __future__ import annotations

import json
import random
import time

import pytest
from langchain_core.utils.json import parse_partial_json

from helpers.answer_reader import FieldReader

ARGUMENTS = [
    {"answer": "10 + 10 is 20.", "tools_used": ["add"]},
    {"tools_used": ["add", {"x": 'a"}]'}], "answer": 'a line\nbreak, "quotes", \\ a backslash, é and 😀.'},
    {"answer": "", "tools_used": []},
    {"n": 1.5e3, "ok": True, "none": None, "answer": "after three scalars"},
    {"nested": {"answer": "not this one"}, "answer": "this one", "answer_2": "nor this"},
]


def pieces(text: str, rng: random.Random) -> list[str]:
    cuts = sorted(rng.sample(range(1, len(text)), k=min(len(text) - 1, rng.randint(1, 15))))
    return [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)])]


@pytest.mark.parametrize("arguments", ARGUMENTS, ids=lambda a: a["answer"][:12] or "empty")
@pytest.mark.parametrize("ascii_only", [True, False])
@pytest.mark.parametrize("indent", [None, 2])
def test_the_answer_comes_out_whole_wherever_the_json_is_cut(arguments, ascii_only, indent):
    text = json.dumps(arguments, ensure_ascii=ascii_only, indent=indent)
    rng = random.Random(text)
    for _ in range(100):
        reader, seen = FieldReader("answer"), ""
        for piece in pieces(text, rng):
            seen += reader.feed(piece)
            assert arguments["answer"].startswith(seen), "a piece was shown that the answer does not have"
        assert seen == reader.value == arguments["answer"]


@pytest.mark.parametrize("arguments", ARGUMENTS, ids=lambda a: a["answer"][:12] or "empty")
def test_it_agrees_with_langchains_partial_json_parser_on_every_prefix(arguments):
    """Wherever LangChain's parser reads an answer out of a prefix, the reader holds the same text: not less.

    One difference is by design: a lone high surrogate (the first half of an emoji's \\ud83d\\ude00) is held
    back until its second half arrives, so the reader never shows half a character.
    """
    text = json.dumps(arguments)
    compared = 0
    for end in range(len(text) + 1):
        expected = parse_partial_json(text[:end]) if text[:end].strip() else None
        expected = expected.get("answer") if isinstance(expected, dict) else None
        reader = FieldReader("answer")
        reader.feed(text[:end])  # the whole prefix at once
        if not isinstance(expected, str):
            continue
        if expected and "\ud800" <= expected[-1] <= "\udbff":
            expected = expected[:-1]
        assert reader.value == expected, (text[:end], reader.value, expected)
        compared += 1
    assert compared > len(arguments["answer"]), "the answer's prefixes were compared"


def test_each_piece_is_shown_once_as_it_arrives():
    reader = FieldReader("answer")
    assert [reader.feed(p) for p in ['{"ans', 'wer":"10 + ', '10 is 20."', ',"tools_used":[]}']] == [
        "", "10 + ", "10 is 20.", ""]


def test_an_escape_cut_in_half_waits_for_its_other_half():
    reader = FieldReader("answer")
    assert [reader.feed(p) for p in ['{"answer":"caf', "\\u00", "e9", " \\ud83d", "\\ude00", '!"}']] == [
        "caf", "", "é", " ", "😀", "!"]


@pytest.mark.parametrize("text", ["not json at all", "[1, 2]", '{"answer": 5}', '"answer"', '{"other": "x"}'])
def test_anything_but_an_object_with_a_string_answer_shows_nothing(text):
    reader = FieldReader("answer")
    assert reader.feed(text) == "" and reader.value is None


def _cpu_per_fragment(reader: FieldReader, fragments: int) -> float:
    started = time.thread_time()
    for _ in range(fragments):
        reader.feed("a")
    return (time.thread_time() - started) / fragments


def test_a_fragment_costs_the_same_a_million_characters_in():
    """Cost per fragment stays flat: reading a fragment never copies what came before (it once did)."""
    early, late = FieldReader("answer"), FieldReader("answer")
    early.feed('{"answer": "')
    late.feed('{"answer": "' + "a" * 1_000_000)  # one fragment: read once, in linear time
    ratios = []
    for _ in range(3):  # the best of three, so a busy machine does not decide
        ratios.append(_cpu_per_fragment(late, 5_000) / _cpu_per_fragment(early, 5_000))
    assert min(ratios) < 3, f"a fragment a million characters in costs {min(ratios):.1f}x one at the start"
    late.feed('"}')
    assert late.value == "a" * (1_000_000 + 15_000)
