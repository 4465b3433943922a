"""Structured output: answer with JSON when `response_format` asks for it.

Two kinds of `response_format` ask for JSON:

- `{"type": "json_schema", "json_schema": {"schema": ...}}`: the answer is a
  JSON object valid for the schema (strict or not). Values the question states
  are used ("Alice is 30" → `name` Alice, `age` 30, by `arguments.py`); the
  rest get deterministic, plausible values (`plausible.py`), free text taken
  from the course model's own answer to the question, sentence by sentence.
- `{"type": "json_object"}`: any JSON object. The keys are the ones the
  conversation asks for in quotes ("with 'setup' and 'punchline' keys"), or the
  properties of a JSON schema written into a message (as LangChain's format
  instructions do); with neither, `{"answer": <the text answer>}`.

The JSON text is then streamed token by token like any answer. Used by the
course model behind chapters 06-07 (structured output and agents).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Iterator

from . import schemas
from .arguments import fill
from .plausible import plausible_value

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,40}")
_QUOTED_KEY = re.compile(r"""["'`]([A-Za-z_][A-Za-z0-9_]{0,40})["'`]""")
_MAX_SCHEMA_TEXT = 50_000  # characters of a message searched for an embedded JSON schema


@dataclass(frozen=True)
class JsonFormat:
    """What JSON the request asks for: any object (`json_object`) or one valid for `schema` (`json_schema`)."""

    kind: str  # "json_object" or "json_schema"
    schema: dict[str, Any] | None = None


def json_format(response_format: Any) -> JsonFormat | None:
    """The request's `response_format` (the server's parsed `ResponseFormat`, or the raw dict), or None for text."""
    if response_format is None:
        return None
    if isinstance(response_format, dict):
        kind = response_format.get("type")
        spec = response_format.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, dict) else None
    else:
        kind, schema = getattr(response_format, "type", None), getattr(response_format, "schema", None)
    if kind not in ("json_object", "json_schema"):
        return None
    return JsonFormat(kind, schema if isinstance(schema, dict) else None)


def json_answer(wanted: JsonFormat, text: str, prose: list[str], context: list[str]) -> str:
    """The JSON answer, as compact text: values from `text`, free text from `prose`, keys as asked.

    `context` is the conversation's other text (system and user messages) where
    a `json_object` request may name its keys.
    """
    sentences: Iterator[str] = iter(prose)
    if wanted.kind == "json_schema":
        schema = wanted.schema or {"type": "object"}
    else:
        schema = _schema_from_messages(context) or _schema_from_keys(context)
        if schema is None:
            return _dump({"answer": " ".join(prose)})
    if _is_object(schema):
        return _dump(fill(schema, text, invent=True, prose=sentences).values)
    return _dump(plausible_value("answer", schema, schema, sentences))


def _is_object(schema: dict[str, Any]) -> bool:
    resolved = schemas.resolve(schema, schema)
    return schemas.type_of(resolved) == "object" and not schemas.alternatives(resolved)


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _schema_from_keys(context: list[str]) -> dict[str, Any] | None:
    """An all-string object schema with the keys the conversation names in quotes."""
    keys: list[str] = []
    for text in context:
        for key in _QUOTED_KEY.findall(text[:_MAX_SCHEMA_TEXT]):
            if key not in keys:
                keys.append(key)
    if not keys:
        return None
    return {"type": "object", "properties": {key: {"type": "string"} for key in keys}, "required": keys}


def _schema_from_messages(context: list[str]) -> dict[str, Any] | None:
    """A JSON schema written into a message (LangChain's format instructions put one between ``` fences)."""
    decoder = json.JSONDecoder()
    for text in context:
        text = text[:_MAX_SCHEMA_TEXT]
        at = text.find('"properties"')
        if at < 0:
            continue
        starts = [i for i in range(at, -1, -1) if text[i] == "{"][:20]  # the nearest braces before it
        for start in reversed(starts):  # the outermost first
            try:
                candidate, _ = decoder.raw_decode(text, start)
            except (json.JSONDecodeError, RecursionError):
                continue
            if isinstance(candidate, dict) and isinstance(candidate.get("properties"), dict):
                return candidate
    return None
