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
    """Refuse what cannot be honoured or is unknown; type-check the harmless ones. Raises a 400."""
    for key, value in body.items():
        if value is None or key in USED:
            continue
        if key in REFUSED:
            raise bad_request(REFUSED[key], key, "unsupported_parameter")
        if key in HARMLESS:
            valid, expected = HARMLESS[key]
            if not valid(value):
                raise bad_request(f"Invalid value for '{key}': expected {expected}.", key)
            continue
        special = _SPECIAL.get(key)
        if special is None:
            raise bad_request(f"Unrecognized request argument supplied: {key}", key)
        special(value)


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
