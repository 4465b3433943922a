"""Read the JSON Schemas that tools and `response_format` carry, the way Pydantic and LangChain write them.

A tool's `parameters` and a `json_schema` response format are JSON Schema, and
Pydantic writes nested models as `$ref`s into `$defs`, optional fields as
`anyOf: [{...}, {"type": "null"}]`, and enums as `enum` lists. The course
model fills such schemas with values (`arguments.py`, `structured.py`); this
module answers the questions the filler asks: what type is this, which
alternatives does it allow, what does this `$ref` point to. Used by the course
model behind chapters 02 (tools) and 06-07 (structured output).
"""

from __future__ import annotations

import re
from typing import Any

MAX_DEPTH = 8  # nesting the filler follows; deeper (or recursive) schemas get minimal values

_TYPES = ("object", "array", "string", "integer", "number", "boolean", "null")


def resolve(schema: Any, root: dict[str, Any]) -> dict[str, Any]:
    """`schema` with `$ref`s (into `#/$defs/...` or `#/definitions/...`) and one-element `allOf`s followed."""
    for _ in range(MAX_DEPTH):  # a chain of references, never a loop
        if not isinstance(schema, dict):
            return {}
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            target: Any = root
            for part in ref[2:].split("/"):
                target = target.get(part) if isinstance(target, dict) else None
            siblings = {key: value for key, value in schema.items() if key != "$ref"}
            schema = {**(target if isinstance(target, dict) else {}), **siblings}
            continue
        all_of = schema.get("allOf")
        if isinstance(all_of, list) and len(all_of) == 1:
            schema = {**{k: v for k, v in schema.items() if k != "allOf"}, **resolve(all_of[0], root)}
            continue
        return schema
    return {}


def alternatives(schema: dict[str, Any]) -> list[Any]:
    """The branches of an `anyOf` / `oneOf`, or [] when the schema has none."""
    for key in ("anyOf", "oneOf"):
        branches = schema.get(key)
        if isinstance(branches, list) and branches:
            return branches
    return []


def type_of(schema: dict[str, Any]) -> str:
    """The schema's JSON type, inferred when `type` is missing; a nullable `["string", "null"]` is "string"."""
    declared = schema.get("type")
    if isinstance(declared, list):
        real = [t for t in declared if t in _TYPES and t != "null"]
        declared = real[0] if real else ("null" if "null" in declared else None)
    if declared in _TYPES:
        return declared
    if "const" in schema:
        return _type_of_value(schema["const"])
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return _type_of_value(schema["enum"][0])
    if "properties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return "string"


def _type_of_value(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if value is None:
        return "null"
    return {dict: "object", list: "array"}.get(type(value), "string")


def properties(schema: dict[str, Any]) -> dict[str, Any]:
    """An object schema's properties, or {} when it declares none."""
    found = schema.get("properties")
    return found if isinstance(found, dict) else {}


def required(schema: dict[str, Any]) -> list[str]:
    """The names an object schema requires, in its properties' order."""
    names = schema.get("required")
    if not isinstance(names, list):
        return []
    return [name for name in properties(schema) if name in names] + [
        name for name in names if isinstance(name, str) and name not in properties(schema)
    ]


def is_nullable(schema: dict[str, Any], root: dict[str, Any]) -> bool:
    """Whether `null` is allowed: `Optional[...]` in Pydantic."""
    declared = schema.get("type")
    if declared == "null" or (isinstance(declared, list) and "null" in declared):
        return True
    return any(type_of(resolve(branch, root)) == "null" for branch in alternatives(schema))


def words_of(name: str) -> list[str]:
    """The lower-case words of an identifier: "targetLanguage" and "target_language" → target, language."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name)
    return re.findall(r"[a-z]+|\d+", spaced.lower())
