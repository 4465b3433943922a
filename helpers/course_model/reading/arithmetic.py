"""Read an arithmetic question, in words or symbols, into an expression tree.

    parse_question("What is 10 plus 10?")            → 10 + 10
    parse_question("Subtract 4 from 10")             → 10 - 4
    parse_question("Now multiply that by 3")         → previous answer × 3
    parse_question("What is NLP?")                   → None

Two steps. `_lex` turns the text into tokens: numbers (digits or number words),
operators (symbols or phrases such as "divided by"), parentheses, references to
the previous answer, and the few words that shape imperative questions ("add …
to …", "the sum of … and …"). Polite filler ("what is", "please") is dropped;
any other word means the question is not arithmetic, which keeps "What is NLP?"
and "What is GPT-4?" out. Then `_Parser` reads the tokens by recursive descent
with Python's precedence: `^` binds tightest and to the right, unary minus sits
below it (`-2 ^ 2` is -4), then `* /`, then `+ -`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .expression import (
    ADD,
    DIVIDE,
    MULTIPLY,
    POWER,
    SUBTRACT,
    BinaryOp,
    Expr,
    Number,
    Previous,
    has_operation,
    negate,
    substitute,
)

# -- tokens -----------------------------------------------------------------------------------

NUM = "number"
PREV = "previous"  # "that", "it", "the answer"
OP = "operator"  # + - * / ^ ; a leading one means "the previous answer <op> ..."
INFIX = "infix"  # "x" and "over": operators only between two operands
NEG = "negative"  # "negative": unary minus only
POSTFIX = "postfix"  # "squared", "cubed": value is the exponent
PREFIX = "prefix"  # "the square root of": value is the exponent
VERB = "verb"  # "add", "subtract", "multiply", "divide": value is the operator
AGGREGATE = "aggregate"  # "the sum of", "the difference between": value is the operator
SEP = "separator"  # "to", "from", "by", "and", ","
CHAIN = "chain"  # "then", "and then": the next part starts from this part's result
LPAREN, RPAREN = "(", ")"


@dataclass(frozen=True)
class Token:
    kind: str
    value: object = None


def _phrase(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Multi-word phrases first, then single words; `None` means "filler, drop it".
_PHRASES: dict[tuple[str, ...], Token | None] = {
    **{_phrase(p): Token(OP, ADD) for p in ("plus", "added to")},
    **{_phrase(p): Token(OP, SUBTRACT) for p in ("minus", "take away")},
    **{_phrase(p): Token(OP, MULTIPLY) for p in ("times", "multiplied by")},
    **{_phrase(p): Token(OP, DIVIDE) for p in ("divided by",)},
    **{
        _phrase(p): Token(OP, POWER)
        for p in ("to the power of", "to the power", "raised to the power of", "raised to the power", "raised to")
    },
    _phrase("x"): Token(INFIX, MULTIPLY),
    _phrase("over"): Token(INFIX, DIVIDE),
    _phrase("negative"): Token(NEG),
    _phrase("squared"): Token(POSTFIX, 2),
    _phrase("cubed"): Token(POSTFIX, 3),
    **{_phrase(p): Token(PREFIX, 0.5) for p in ("the square root of", "square root of", "sqrt", "sqrt of")},
    **{_phrase(p): Token(PREFIX, 1 / 3) for p in ("the cube root of", "cube root of")},
    **{_phrase(p): Token(PREFIX, 2) for p in ("the square of", "square of")},
    **{_phrase(p): Token(PREFIX, 3) for p in ("the cube of", "cube of")},
    _phrase("add"): Token(VERB, ADD),
    _phrase("subtract"): Token(VERB, SUBTRACT),
    _phrase("multiply"): Token(VERB, MULTIPLY),
    _phrase("divide"): Token(VERB, DIVIDE),
    **{_phrase(p): Token(AGGREGATE, ADD) for p in ("the sum of", "sum of", "the total of", "total of")},
    **{_phrase(p): Token(AGGREGATE, MULTIPLY) for p in ("the product of", "product of")},
    **{
        _phrase(p): Token(AGGREGATE, SUBTRACT)
        for p in ("the difference between", "difference between", "the difference of", "difference of")
    },
    **{_phrase(p): Token(AGGREGATE, DIVIDE) for p in ("the quotient of", "quotient of")},
    **{_phrase(p): Token(SEP, p) for p in ("to", "from", "by", "and")},
    **{_phrase(p): Token(CHAIN) for p in ("then", "and then", "after that", "and after that")},
    **{
        _phrase(p): Token(PREV)
        for p in (
            "that", "it", "this", "the result", "the answer", "the previous answer", "the previous result",
            "the last answer", "the last result", "that result", "that answer", "that number", "this number",
            "the previous number", "previous answer", "previous result",
        )
    },
    **{
        _phrase(p): None
        for p in (
            "what", "what's", "whats", "is", "are", "was", "calculate", "compute", "evaluate", "work out",
            "solve", "tell me", "please", "now", "the", "take", "start with", "equal", "equals", "give me", "find", "how much",
            "do", "does", "you", "get", "if", "i", "we", "can", "could", "would", "will", "me", "thanks",
            "thank you", "quick", "question", "hi", "hello", "hey", "ok", "okay", "so", "well", "about",
            "raise", "the value of", "value of", "the result of", "result of", "the answer to", "answer to",
            "the answer of",
        )
    },
}
_LONGEST_PHRASE = max(len(phrase) for phrase in _PHRASES)

_UNITS = "zero one two three four five six seven eight nine".split()
_TEENS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
NUMBER_WORDS: dict[str, int] = {
    **{word: value for value, word in enumerate(_UNITS)},
    **{word: value + 10 for value, word in enumerate(_TEENS)},
    **{word: (value + 2) * 10 for value, word in enumerate(_TENS)},
    "hundred": 100,
    "thousand": 1_000,
    "million": 1_000_000,
}

_SYMBOLS: dict[str, Token | None] = {
    "**": Token(OP, POWER), "^": Token(OP, POWER),
    "+": Token(OP, ADD),
    "-": Token(OP, SUBTRACT), "−": Token(OP, SUBTRACT), "–": Token(OP, SUBTRACT),
    "*": Token(OP, MULTIPLY), "×": Token(OP, MULTIPLY), "·": Token(OP, MULTIPLY),
    "/": Token(OP, DIVIDE), "÷": Token(OP, DIVIDE),
    "√": Token(PREFIX, 0.5),
    "(": Token(LPAREN), ")": Token(RPAREN),
    ",": Token(SEP, ","),
    **{mark: None for mark in "?!.:;=\"'"},
}

_PIECE = re.compile(
    r"""
      (?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)? | \d+\.\d+ | \d+ | \.\d+)
    | (?P<word>[a-z]+(?:'[a-z]+)?)
    | (?P<symbol>\*\*|[-+*/^×÷−–·√(),?!.:;="'])
    | (?P<space>\s+)
    | (?P<other>.)
    """,
    re.VERBOSE,
)


# For each verb, the word before its second operand, and whether that operand comes
# first in the arithmetic: "subtract 4 from 10" is 10 - 4.
_IMPERATIVE_SEPARATORS: dict[str, dict[str, bool]] = {
    ADD: {"to": True, "and": False},
    SUBTRACT: {"from": True},
    MULTIPLY: {"by": False, "and": False},
    DIVIDE: {"by": False},
}


# Limits that keep the work linear and the recursion shallow. A question beyond them is still
# answered, honestly, in text: "That is more than I work out in one question...".
MAX_OPERATIONS = 100
MAX_NESTING = 30
MAX_INPUT_DIGITS = 300  # a float holds about 1e308; the course's tools refuse more


class NotArithmetic(Exception):
    """Raised inside the lexer and parser; `parse_question` turns it into `None`."""


class TooComplex(Exception):
    """An arithmetic question beyond the limits above; `explanation` is the honest answer to give."""

    def __init__(self, explanation: str) -> None:
        super().__init__(explanation)
        self.explanation = explanation


def _lex(question: str) -> list[Token]:
    text = question.lower().replace("’", "'")
    text = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", text)  # "twenty-one" is two number words
    tokens: list[Token] = []
    words: list[str] = []
    longest_number = 0
    for match in _PIECE.finditer(text):
        kind, piece = match.lastgroup, match.group()
        if kind == "word":
            words.append(piece)
            continue
        if kind == "space":
            continue  # words on both sides may form one phrase ("divided by")
        tokens.extend(_read_words(words))
        words = []
        if kind == "number":
            digits = len(piece.replace(",", "").replace(".", ""))
            longest_number = max(longest_number, digits)
            tokens.append(Token(NUM, _number(piece) if digits <= MAX_INPUT_DIGITS else 0))
        elif kind == "symbol":
            token = _SYMBOLS[piece]
            if token is not None:
                tokens.append(token)
        elif kind == "other":
            raise NotArithmetic(piece)
    tokens.extend(_read_words(words))
    _check_limits(tokens, longest_number)
    return tokens


def _check_limits(tokens: list[Token], longest_number: int) -> None:
    """Refuse, with an honest explanation, questions whose size would make the work unreasonable."""
    if longest_number > MAX_INPUT_DIGITS:
        raise TooComplex(
            f"That number has {longest_number:,} digits; I work with numbers of up to {MAX_INPUT_DIGITS} digits, "
            "because the tools compute with floating-point numbers."
        )
    operations = sum(1 for token in tokens if token.kind not in (NUM, PREV, LPAREN, RPAREN, SEP, CHAIN))
    if operations > MAX_OPERATIONS:
        raise TooComplex(
            f"That calculation has {operations:,} operations; I work out at most {MAX_OPERATIONS} in one "
            "question. Please split it into smaller questions."
        )
    depth = deepest = 0
    for token in tokens:
        depth += 1 if token.kind == LPAREN else -1 if token.kind == RPAREN else 0
        deepest = max(deepest, depth)
    if deepest > MAX_NESTING:
        raise TooComplex(
            f"That calculation nests parentheses {deepest:,} deep; I follow at most {MAX_NESTING} levels. "
            "Please simplify it."
        )


def _number(digits: str) -> int | float:
    digits = digits.replace(",", "")
    return float(digits) if "." in digits else int(digits)


def _read_words(words: list[str]) -> list[Token]:
    """Tokens for a run of words: the longest known phrase wins, then number words."""
    tokens: list[Token] = []
    i = 0
    while i < len(words):
        for length in range(min(_LONGEST_PHRASE, len(words) - i), 0, -1):
            phrase = tuple(words[i : i + length])
            if phrase in _PHRASES:
                token = _PHRASES[phrase]
                if token is not None:
                    tokens.append(token)
                i += length
                break
        else:
            value, i = read_number_words(words, i)
            tokens.append(Token(NUM, value))
    return tokens


def read_number_words(words: list[str], start: int) -> tuple[int, int]:
    """Read "twenty one", "three hundred", "two thousand five" from `start`; return (value, next index).

    Only well-formed sequences join: "five six" is two numbers (and so not a
    question we understand), "twenty one" is one. "and" inside numbers
    ("one hundred and five") is not supported: it would clash with "the sum of
    … and …". Also used by `mentions.py` for numbers in tool arguments ("roll two dice").
    """
    total, group, last = 0, 0, None
    i = start
    while i < len(words) and words[i] in NUMBER_WORDS:
        value = NUMBER_WORDS[words[i]]
        if value == 0:
            kind, allowed = "zero", last is None
        elif value < 10:
            kind, allowed = "unit", last in (None, "tens", "hundred", "scale")
        elif value < 100:
            kind, allowed = ("teen" if value < 20 else "tens"), last in (None, "hundred", "scale")
        elif value == 100:
            kind, allowed = "hundred", last in (None, "unit", "teen")
        else:
            kind, allowed = "scale", last != "scale"
        if not allowed:
            break
        if kind == "hundred":
            group = (group or 1) * 100
        elif kind == "scale":
            total, group = total + (group or 1) * value, 0
        else:
            group += value
        last, i = kind, i + 1
    if i == start:
        raise NotArithmetic(words[start])
    return total + group, i


# -- parsing ----------------------------------------------------------------------------------


class _Parser:
    """Recursive descent over the tokens; each method reads one precedence level."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.position = 0

    def peek(self, *kinds: str) -> Token | None:
        """The next token if it is one of `kinds`, else None."""
        if self.position < len(self.tokens) and self.tokens[self.position].kind in kinds:
            return self.tokens[self.position]
        return None

    def take(self, *kinds: str) -> Token:
        token = self.peek(*kinds)
        if token is None:
            raise NotArithmetic(f"expected {' or '.join(kinds)}")
        self.position += 1
        return token

    def take_separator(self, *words: str) -> bool:
        token = self.peek(SEP)
        if token is not None and token.value in words:
            self.position += 1
            return True
        return False

    def question(self) -> Expr:
        expr = self.sum()
        if self.position != len(self.tokens):
            raise NotArithmetic("unexpected words after the expression")
        return expr

    def sum(self) -> Expr:
        expr = self.product()
        while (token := self.peek(OP)) and token.value in (ADD, SUBTRACT):
            self.position += 1
            expr = BinaryOp(token.value, expr, self.product())
        return expr

    def product(self) -> Expr:
        expr = self.unary()
        while (token := self.peek(OP, INFIX)) and token.value in (MULTIPLY, DIVIDE):
            self.position += 1
            expr = BinaryOp(token.value, expr, self.unary())
        return expr

    def unary(self) -> Expr:
        token = self.peek(OP, NEG)
        if token is not None and (token.kind == NEG or token.value == SUBTRACT):
            self.position += 1
            return negate(self.unary())
        if token is not None and token.value == ADD:
            self.position += 1
            return self.unary()
        return self.power()

    def power(self) -> Expr:
        base = self.postfix()
        if (token := self.peek(OP)) and token.value == POWER:
            self.position += 1
            return BinaryOp(POWER, base, self.unary())  # right-associative, and 2 ^ -1 works
        return base

    def postfix(self) -> Expr:
        expr = self.primary()
        while token := self.peek(POSTFIX):
            self.position += 1
            expr = BinaryOp(POWER, expr, Number(token.value))
        return expr

    def primary(self) -> Expr:
        token = self.take(NUM, PREV, LPAREN, PREFIX, VERB, AGGREGATE)
        if token.kind == NUM:
            return Number(token.value)
        if token.kind == PREV:
            return Previous()
        if token.kind == LPAREN:
            expr = self.sum()
            self.take(RPAREN)
            return expr
        if token.kind == PREFIX:
            return BinaryOp(POWER, self.unary(), Number(token.value))
        if token.kind == VERB:
            return self.imperative(token.value)
        return self.aggregate(token.value)

    def imperative(self, operator: str) -> Expr:
        """Read "add A to B" (B + A), "subtract A from B" (B - A), "multiply A by B", "divide A by B".

        Without its first operand the verb works on the previous result: "multiply
        by 2" is `previous × 2`, and "subtract 5" is `previous - 5`, as in a chain
        ("..., subtract 5, then multiply by 2") or a follow-up question.
        """
        if operator in (MULTIPLY, DIVIDE) and self.take_separator("by"):
            return BinaryOp(operator, Previous(), self.sum())
        first = self.sum()
        for separator, second_goes_first in _IMPERATIVE_SEPARATORS[operator].items():
            if self.take_separator(separator):
                second = self.sum()
                return BinaryOp(operator, second, first) if second_goes_first else BinaryOp(operator, first, second)
        if self.position == len(self.tokens) and not isinstance(first, Previous):
            return BinaryOp(operator, Previous(), first)
        raise NotArithmetic("an imperative needs its second operand")

    def aggregate(self, operator: str) -> Expr:
        """Read "the sum of 1, 2 and 3" ((1 + 2) + 3) or "the difference between A and B" (A - B)."""
        expr = self.sum()
        count = 1
        while self.take_separator(",", "and"):
            self.take_separator("and")  # the Oxford comma: "1, 2, and 3"
            expr = BinaryOp(operator, expr, self.sum())
            count += 1
        if count < 2:
            raise NotArithmetic("an aggregate needs at least two operands")
        return expr


def _implicit_previous(tokens: list[Token]) -> list[Token]:
    """Start with the previous answer when the question starts with an operator ("times 2", "squared").

    A leading minus stays a negative sign ("minus 3 plus 5" is -3 + 5).
    """
    first = tokens[0] if tokens else None
    if first is not None and (first.kind == POSTFIX or (first.kind == OP and first.value != SUBTRACT)):
        return [Token(PREV), *tokens]
    return tokens


def _drop_pause_commas(tokens: list[Token]) -> list[Token]:
    """Drop a comma that only marks a pause before an operator: "7 times 6, plus 3"."""
    return [
        token for i, token in enumerate(tokens)
        if not (token.kind == SEP and token.value == "," and i + 1 < len(tokens)
                and tokens[i + 1].kind in (OP, INFIX, POSTFIX))
    ]


def _trim_separators(tokens: list[Token]) -> list[Token]:
    """Drop a leading "And …" or a trailing ", please" comma, which carry no arithmetic."""
    start, end = 0, len(tokens)
    while start < end and tokens[start].kind in (SEP, CHAIN):
        start += 1
    while end > start and tokens[end - 1].kind in (SEP, CHAIN):
        end -= 1
    return tokens[start:end]


def _chain_commas(tokens: list[Token]) -> list[Token]:
    """A comma before a verb starts the next step of a chain: "Take 3 to the power of 4, subtract 5, …"."""
    chained: list[Token] = []
    for i, token in enumerate(tokens):
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        if token.kind == SEP and token.value == "," and following is not None:
            if following.kind == CHAIN:
                continue
            if following.kind == VERB:
                chained.append(Token(CHAIN))
                continue
        chained.append(token)
    return chained


def _split_chain(tokens: list[Token]) -> list[list[Token]]:
    parts: list[list[Token]] = [[]]
    for token in tokens:
        if token.kind == CHAIN:
            parts.append([])
        else:
            parts[-1].append(token)
    return [part for part in parts if part]


def parse_question(question: str) -> Expr | None:
    """The arithmetic in `question` as an expression tree, or None when it is not an arithmetic question.

    A question counts as arithmetic only when every word is understood and there
    is at least one operation: "What is 5?" and "What is it?" are not. A chain
    ("Multiply 12 by 12 and then subtract 4") is read part by part, each part
    starting from the result of the one before. Raises `TooComplex` beyond the
    limits at the top of this module.
    """
    try:
        tokens = _trim_separators(_chain_commas(_drop_pause_commas(_lex(question))))
        expr: Expr | None = None
        for part in _split_chain(tokens):
            step = _Parser(_implicit_previous(part)).question()
            expr = step if expr is None else substitute(step, expr)
    except NotArithmetic:
        return None
    return expr if expr is not None and has_operation(expr) else None
