"""The course model reads arithmetic questions the way Python would compute them."""

from __future__ import annotations

import math
import time

import pytest

from helpers.course_model.reading.arithmetic import parse_question
from helpers.course_model.reading.expression import (
    DivisionByZero,
    NotReal,
    TooLarge,
    evaluate,
    format_number,
    render,
    substitute_previous,
    uses_previous,
)

# (question, the same arithmetic written in Python). Also used by test_brain.py,
# which runs every question through the full tool loop.
ARITHMETIC_CASES: list[tuple[str, float]] = [
    ("What is 10 + 10?", 10 + 10),
    ("What is 10 plus 10?", 10 + 10),
    ("What's 7 minus 12?", 7 - 12),
    ("Calculate 6 times 7", 6 * 7),
    ("What is 6 x 7?", 6 * 7),
    ("What is 6 × 7?", 6 * 7),
    ("what is 6 multiplied by 7", 6 * 7),
    ("What is 84 divided by 4?", 84 / 4),
    ("What is 84 ÷ 4?", 84 / 4),
    ("What is 9 over 3?", 9 / 3),
    ("What is 2 to the power of 10?", 2**10),
    ("What is 2 ** 10?", 2**10),
    ("What is 2 ^ 0.5?", 2**0.5),
    ("What is 3 raised to 4?", 3**4),
    ("What is 3 raised to the power of 4?", 3**4),
    ("What is 5 squared?", 5**2),
    ("What is 10.7 multiplied by 7.68, plus 3?", 10.7 * 7.68 + 3),
    ("What is 5 squared, times 2?", 5**2 * 2),
    ("What is 3 cubed?", 3**3),
    ("What is the square root of 16?", 16**0.5),
    ("What is the square root of 9 plus 16?", 9**0.5 + 16),
    ("What is 2 + 3 * 4?", 2 + 3 * 4),
    ("What is (2 + 3) * 4?", (2 + 3) * 4),
    ("What is (2 + 3) × (4 + 5)?", (2 + 3) * (4 + 5)),
    ("What is 10 - 4 - 3?", 10 - 4 - 3),
    ("What is 100 / 10 / 5?", 100 / 10 / 5),
    ("What is 2 ^ 3 ^ 2?", 2**3**2),
    ("What is -2 ** 2?", -(2**2)),
    ("What is (-2) ** 2?", (-2) ** 2),
    ("What is -3 + 5?", -3 + 5),
    ("What is negative 3 times 4?", -3 * 4),
    ("what is 7 minus negative 3", 7 - -3),
    ("What is 4 * -2.5?", 4 * -2.5),
    ("What is 1.5 + 2.25?", 1.5 + 2.25),
    ("What is 0.1 + 0.2?", 0.1 + 0.2),
    ("What is 2 ** -1?", 2**-1),
    ("What is 5 - 8?", 5 - 8),
    ("What is 3.5 squared minus 2?", 3.5**2 - 2),
    ("What is -(2 + 3) * 4?", -(2 + 3) * 4),
    ("What is 10 - 2 * 3 ^ 2?", 10 - 2 * 3**2),
    ("Calculate 3 * (4 + 5) - 6 / 2, please.", 3 * (4 + 5) - 6 / 2),
    ("What is 2 to the power of 3 plus 1?", 2**3 + 1),
    ("What is 1,000 + 2,500?", 1000 + 2500),
    ("Add 5 to 3", 3 + 5),
    ("Subtract 4 from 10", 10 - 4),
    ("Multiply 6 by 7", 6 * 7),
    ("Divide 8 by 2", 8 / 2),
    ("What is the sum of 12 and 30?", 12 + 30),
    ("What is the product of 6 and 7?", 6 * 7),
    ("What is the difference between 10 and 3?", 10 - 3),
    ("What is the sum of 1, 2 and 3?", 1 + 2 + 3),
    ("What is twenty-one plus four?", 21 + 4),
    ("What is one hundred minus thirty?", 100 - 30),
    ("Hey, what is two thousand five hundred divided by fifty?", 2500 / 50),
]

NOT_ARITHMETIC = [
    "What is NLP?",
    "what's natural language processing",
    "What is streaming?",
    "What is a token?",
    "Hello!",
    "Tell me a joke",
    "Who are you?",
    "Tell me a long story",
    "What is GPT-4?",
    "What is the difference between GPT-3 and GPT-4?",
    "I have 3 apples and 5 oranges.",
    "Explain chapter 2.",
    "What is 5?",
    "What is it?",
    "What is x?",
    "x + 3",
    "2 +",
    "(2 + 3",
    "five six",
    "What is 10% of 50?",
    "",
]


@pytest.mark.parametrize(("question", "expected"), ARITHMETIC_CASES)
def test_parsed_value_matches_python(question: str, expected: float) -> None:
    expr = parse_question(question)
    assert expr is not None, question
    assert math.isclose(evaluate(expr), expected, rel_tol=1e-12, abs_tol=1e-12)


def test_case_table_is_big_enough() -> None:
    assert len(ARITHMETIC_CASES) >= 40


@pytest.mark.parametrize("question", NOT_ARITHMETIC)
def test_not_arithmetic(question: str) -> None:
    assert parse_question(question) is None


@pytest.mark.parametrize(
    ("question", "shown"),
    [
        ("What is 10 + 10?", "10 + 10"),
        ("Add 5 to 3", "3 + 5"),
        ("Subtract 4 from 10", "10 - 4"),
        ("What is (2 + 3) * (4 + 5)?", "(2 + 3) × (4 + 5)"),
        ("What is 10 - (3 - 2)?", "10 - (3 - 2)"),
        ("What is -2 ** 2?", "-(2 ^ 2)"),
        ("What is (-2) ** 2?", "(-2) ^ 2"),
        ("What is 5 - -3?", "5 - (-3)"),
        ("What is the square root of 16?", "√16"),
    ],
)
def test_render_shows_the_question_expression(question: str, shown: str) -> None:
    expr = parse_question(question)
    assert expr is not None
    assert render(expr) == shown


@pytest.mark.parametrize(
    ("question", "previous", "expected"),
    [
        ("Now multiply that by 3", 20, 60),
        ("And what is that divided by 4?", 20, 5),
        ("add 10 to it", 20, 30),
        ("times 2", 20, 40),
        ("divided by 4", 20, 5),
        ("What is the result squared?", 3, 9),
        ("Subtract 5 from the previous answer", 20, 15),
        ("What is the answer plus 1?", 41, 42),
    ],
)
def test_follow_ups_refer_to_the_previous_answer(question: str, previous: int, expected: float) -> None:
    expr = parse_question(question)
    assert expr is not None and uses_previous(expr)
    assert evaluate(substitute_previous(expr, previous)) == expected


def test_leading_minus_is_a_sign_not_a_follow_up() -> None:
    expr = parse_question("minus 3 plus 5")
    assert expr is not None and not uses_previous(expr)
    assert evaluate(expr) == 2


def test_integers_stay_integers() -> None:
    expr = parse_question("What is 10 + 10?")
    assert expr is not None
    assert isinstance(evaluate(expr), int)


@pytest.mark.parametrize(
    ("question", "problem"),
    [
        ("What is 10 / 0?", DivisionByZero),
        ("What is 0 ^ -1?", DivisionByZero),
        ("What is 10 ** 10 ** 10?", TooLarge),
        ("What is 9 ^ 9 ^ 9?", TooLarge),
        ("What is the square root of -4?", NotReal),
    ],
)
def test_impossible_arithmetic_is_refused_quickly(question: str, problem: type[Exception]) -> None:
    expr = parse_question(question)
    assert expr is not None
    started = time.perf_counter()
    with pytest.raises(problem):
        evaluate(expr)
    # A guard against runaway work, generous for a loaded machine: evaluating 10 ** 10 ** 10 would take hours;
    # refusing it takes microseconds. Not a speed: speeds are figures of `make bench`.
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize(
    ("value", "text"),
    [(20, "20"), (20.0, "20"), (82.17599999999999, "82.176"), (0.30000000000000004, "0.3"), (-3.0, "-3"),
     (2.5, "2.5"), (1 / 3, "0.3333333333"), (1e20, "1e+20"), (2**100, str(2**100))],
)
def test_format_number(value: float, text: str) -> None:
    assert format_number(value) == text
