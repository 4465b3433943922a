"""Which Chat Completions parameters the course model accepts, refuses, or does not know.

A parameter the course model cannot honour is refused with a 400 that names it,
instead of being silently ignored: a learner who asks for `logprobs` or `n=3` and
gets an answer without them would believe the feature works. Parameters that
only tune sampling, billing or bookkeeping (`temperature`, `seed`, `user`, ...)
cannot change a deterministic model's answer, so they are accepted, type-checked
as OpenAI checks them. An unknown name is refused as OpenAI refuses it
("Unrecognized request argument supplied"), which catches typos such as `temprature`.
Used by `request.py`; the course model is taught in chapter 01.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from .errors import bad_request

# Read by request.py and the brain: they change what the answer is or how it is sent.
USED = frozenset({
    "model", "messages", "tools", "tool_choice", "parallel_tool_calls", "stream", "stream_options",
    "max_tokens", "max_completion_tokens", "stop", "n", "response_format",
})

# Parameters the course model cannot honour, and why (the 400's message).
REFUSED: dict[str, str] = {
    "audio": "The course model cannot produce audio output; it answers in text only.",
    "prediction": "The course model does not support predicted outputs ('prediction').",
    "functions": "'functions' is the deprecated form of 'tools'; send 'tools' instead.",
    "function_call": "'function_call' is the deprecated form of 'tool_choice'; send 'tool_choice' instead.",
    "web_search_options": "The course model is offline: it cannot search the web.",
}


def _number(low: float, high: float) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and low <= v <= high


def _string(v: Any) -> bool:
    return isinstance(v, str)


def _boolean(v: Any) -> bool:
    return isinstance(v, bool)


def _string_map(v: Any) -> bool:
    return isinstance(v, dict) and all(isinstance(x, str) for x in v.values())


# Accepted and checked, then ignored: none of them can change a deterministic answer.
HARMLESS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "temperature": (_number(0, 2), "a number between 0 and 2"),
    "top_p": (_number(0, 1), "a number between 0 and 1"),
    "frequency_penalty": (_number(-2, 2), "a number between -2 and 2"),
    "presence_penalty": (_number(-2, 2), "a number between -2 and 2"),
    "seed": (lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer"),
    "user": (_string, "a string"),
    "safety_identifier": (_string, "a string"),
    "prompt_cache_key": (_string, "a string"),
    "prompt_cache_retention": (_string, "a string"),
    "metadata": (_string_map, "an object of strings"),
    "store": (_boolean, "a boolean"),
    "service_tier": (_string, "a string"),
    "reasoning_effort": (_string, "a string"),
    "verbosity": (_string, "a string"),
}


def check_parameters(body: dict[str, Any]) -> None:
    """Chat Completions' parameters: refuse what cannot be honoured or is unknown; type-check the harmless ones."""
    check_known(body, used=USED, refused=REFUSED, harmless=HARMLESS, special=_SPECIAL,
                unknown="Unrecognized request argument supplied: {key}", unknown_code=None)


def check_known(body: dict[str, Any], *, used: frozenset[str], refused: dict[str, str],
                harmless: dict[str, tuple[Callable[[Any], bool], str]], unknown: str, unknown_code: str | None,
                special: dict[str, Callable[[Any], None]] | None = None) -> None:
    """One API's parameters against its tables, as OpenAI answers them: a 400 naming the parameter.

    `used`: read elsewhere; `refused`: a reason the course model cannot honour it; `harmless`: a type
    check only; `special`: a check of its own; anything else is `unknown` (a message with `{key}`, and
    `unknown_code`), worded as the API does. Shared by Chat Completions (here) and the Responses API (`responses_request.py`).
    """
    for key, value in body.items():
        if value is None or key in used:
            continue
        if key in refused:
            raise bad_request(refused[key], key, "unsupported_parameter")
        if key in harmless:
            valid, expected = harmless[key]
            if not valid(value):
                raise bad_request(f"Invalid value for '{key}': expected {expected}.", key)
            continue
        check = (special or {}).get(key)
        if check is None:
            raise bad_request(unknown.format(key=key), key, unknown_code)
        check(value)


def read_bool(body: dict[str, Any], key: str, *, default: bool) -> bool:
    """A boolean parameter, `default` when absent or null; a 400 for any other type (`"yes"`, 1)."""
    value = body.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise bad_request(f"Invalid type for '{key}': expected a boolean.", key)
    return value


def _logprobs(value: Any) -> None:
    if value is not False:
        raise bad_request("The course model does not return log probabilities: 'logprobs' must be false.",
                          "logprobs", "unsupported_parameter")


def _top_logprobs(value: Any) -> None:
    if value != 0 or isinstance(value, bool):
        raise bad_request("The course model does not return log probabilities: 'top_logprobs' must be 0.",
                          "top_logprobs", "unsupported_parameter")


def _logit_bias(value: Any) -> None:
    if not isinstance(value, dict):
        raise bad_request("Invalid type for 'logit_bias': expected an object.", "logit_bias")
    if value:
        raise bad_request("The course model has no token probabilities to bias: 'logit_bias' must be empty.",
                          "logit_bias", "unsupported_parameter")


def _modalities(value: Any) -> None:
    if not isinstance(value, list) or not all(isinstance(m, str) for m in value):
        raise bad_request("Invalid type for 'modalities': expected an array of strings.", "modalities")
    if set(value) - {"text"}:
        raise bad_request("The course model answers in text only: 'modalities' may only contain 'text'.",
                          "modalities", "unsupported_parameter")


_SPECIAL: dict[str, Callable[[Any], None]] = {
    "logprobs": _logprobs,
    "top_logprobs": _top_logprobs,
    "logit_bias": _logit_bias,
    "modalities": _modalities,
}
