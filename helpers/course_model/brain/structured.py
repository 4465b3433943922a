"""Structured output: answer with JSON when `response_format` asks for it.

Two kinds of `response_format` ask for JSON:

- `{"type": "json_schema", "json_schema": {"schema": ...}}`: the answer is a
  JSON object valid for the schema (strict or not). Values the question states
  are used ("Alice is 30" → `name` Alice, `age` 30, by `arguments.py`); the
  rest get deterministic, plausible values (`plausible.py`), free text taken
  from the course model's own answer to the question, sentence by sentence.
- `{"type": "json_object"}`: any JSON object. The keys are the ones the
  conversation asks for (`json_keys.py`: the last JSON schema written into a
  message, as LangChain's format instructions do, else keys named beside
  "keys"/"fields", quoted or not); with none, `{"answer": <the text answer>}`.

After a calculation or tool results, the values come from them too: a
`result` field takes the calculation's value (`outcome.py`), and free text the
sentences the brain gives as `prose` (for tool results, the results as
sentences, `result_prose.py`).

The JSON text is then streamed token by token like any answer. Used by the
course model behind chapters 06-07 (structured output and agents).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterator

from ..reading import schemas
from ..reading.arguments import fill
from ..reading.json_keys import requested_schema
from ..reading.outcome import Outcome
from ..reading.plausible import plausible_value


@dataclass(frozen=True)
class JsonFormat:
    """What JSON the request asks for: any object (`json_object`) or one valid for `schema` (`json_schema`)."""

    kind: str  # "json_object" or "json_schema"
    schema: dict[str, Any] | None = None
    about: str = ""  # json_schema's name and description: what the answer is about ("A money exchange quote.")


def json_format(response_format: Any) -> JsonFormat | None:
    """The request's `response_format` (the server's parsed `ResponseFormat`, or the raw dict), or None for text."""
    if response_format is None:
        return None
    if isinstance(response_format, dict):
        kind = response_format.get("type")
        spec = response_format.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, dict) else None
        named = [spec.get("name"), spec.get("description")] if isinstance(spec, dict) else []
    else:
        kind, schema = getattr(response_format, "type", None), getattr(response_format, "schema", None)
        named = [getattr(response_format, "name", None), getattr(response_format, "description", None)]
    if kind not in ("json_object", "json_schema"):
        return None
    schema = schema if isinstance(schema, dict) else None
    if schema is not None:
        named += [schema.get("title"), schema.get("description")]
    return JsonFormat(kind, schema, " ".join(part for part in named if isinstance(part, str)))


def json_answer(wanted: JsonFormat, text: str, prose: list[str], context: list[str],
                outcome: Outcome | None = None) -> str:
    """The JSON answer, as compact text: values from `text`, free text from `prose`, keys as asked.

    `context` is the conversation's other text (system and user messages) where
    a `json_object` request may name its keys; `outcome` a finished calculation.
    """
    sentences: Iterator[str] = iter(prose)
    if wanted.kind == "json_schema":
        schema = wanted.schema or {"type": "object"}
    else:
        schema = requested_schema(context)
        if schema is None:
            return _dump({"answer": " ".join(prose)})
    if _is_object(schema):
        return _dump(fill(schema, text, invent=True, prose=sentences, outcome=outcome,
                          about=wanted.about or None).values)
    return _dump(plausible_value("answer", schema, schema, sentences))


def _is_object(schema: dict[str, Any]) -> bool:
    resolved = schemas.resolve(schema, schema)
    return schemas.type_of(resolved) == "object" and not schemas.alternatives(resolved)


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
