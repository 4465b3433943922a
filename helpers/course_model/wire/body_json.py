"""Decode a request body into JSON safely: bounded depth and digits, valid Unicode, no NaN.

`json.loads` alone lets hostile bodies through to code that then fails with a 500:
100,000 nested brackets overflow the stack, a 5,000-digit number trips Python's
integer-string limit, `"\\ud800"` decodes to a lone surrogate that cannot be encoded
back to UTF-8, `NaN` is not JSON at all, and `1e400` silently becomes infinity (which
then fails in arithmetic, or goes back out as `Infinity`, not JSON). Each becomes a clear
400 here instead, naming where it is (`response_format.json_schema.schema.properties.a.minimum`).
Used by `request.py`; the course model is taught in chapter 01.
"""

from __future__ import annotations

import json
import math
from typing import Any

from .errors import bad_request

MAX_DEPTH = 64  # nesting levels: tool schemas need a dozen, nothing legitimate needs 64
MAX_INT_DIGITS = 4300  # Python's own limit for int(str)


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise bad_request(f"A number in the request has more than {MAX_INT_DIGITS:,} digits.")
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _BeyondFloat(text)
    return value


class _BeyondFloat(Exception):
    """A number too large for a float; `load_body` finds where it is and names it in a 400."""


def _refuse_constant(name: str) -> Any:
    raise bad_request(f"{name} is not valid JSON: the request body must be standard JSON.")


def load_body(raw: bytes) -> tuple[dict[str, Any], str]:
    """Decode `raw` into a JSON object and its canonical text (sorted keys), or raise a 400."""
    try:
        text = raw.decode("utf-8")
        body = json.loads(text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_refuse_constant)
    except _BeyondFloat as beyond:
        raise _beyond_float(text, str(beyond)) from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise bad_request(
            "We could not parse the JSON body of your request. The course model expects a JSON object."
        ) from None
    except RecursionError:
        raise _too_deep() from None
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    if _depth(body) > MAX_DEPTH:
        raise _too_deep()
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    try:
        canonical.encode("utf-8")
    except UnicodeEncodeError:
        raise bad_request(
            "The request contains a lone surrogate (an escape such as \\ud800 without its pair), "
            "which is not valid Unicode."
        ) from None
    return body, canonical


def _beyond_float(text: str, number: str) -> Exception:
    """A 400 for `number` (beyond a float), naming its place in the body when it can be found."""
    param = None
    try:  # again, keeping the number as text, to find its path (the first parse stopped at it)
        body = json.loads(text, parse_int=_parse_int, parse_float=lambda t: _Big(t) if math.isinf(float(t)) else 0.0,
                          parse_constant=_refuse_constant)
        param = _path_of_big(body)
    except Exception:  # noqa: BLE001 - the message still names the number
        pass
    where = f"'{param}'" if param else "the request"
    return bad_request(f"The number {number[:40]} in {where} is beyond the range of a floating-point number "
                       "(about 1.8e308), so no model could use it.", param)


class _Big(str):
    """A number beyond a float, kept as its text."""


def _path_of_big(value: Any) -> str | None:
    """The parameter path (`tools[0].function.parameters.properties.x.minimum`) of the first `_Big`, iteratively."""
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, path = stack.pop()
        if isinstance(item, _Big):
            return path
        if isinstance(item, dict):
            stack.extend((child, f"{path}.{key}" if path else str(key)) for key, child in reversed(item.items()))
        elif isinstance(item, list):
            stack.extend((child, f"{path}[{i}]") for i, child in reversed(list(enumerate(item))))
    return None


def _too_deep() -> Exception:
    return bad_request(f"The request body is nested more than {MAX_DEPTH} levels deep.")


def _depth(value: Any) -> int:
    """The nesting depth of a decoded JSON value, without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            items = item.values()
        elif isinstance(item, list):
            items = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in items)
    return deepest
