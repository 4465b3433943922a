"""Read one string field out of JSON that arrives in fragments, in time linear in its length.

Taught in chapter 03 (the renderer shows `final_answer`'s `answer` as it streams)
and used by chapter 05's web app. A model streams `final_answer`'s arguments as
JSON text cut anywhere, for example `{"ans` `wer":"10 + ` `10 is 20."` `,"tools_used":[]}`,
and the reader wants the answer's words the moment they arrive.

The easy way, re-parsing the whole accumulated text with `parse_partial_json`
after every fragment, is quadratic: each fragment re-reads everything before
it, so a 2,000-token answer costs about a millisecond per token by its end.
`FieldReader` instead remembers where it is in the JSON (a small state machine)
and reads each character once; the field's text is kept as a list of pieces and
joined only when `value` is read, so a fragment a million characters in costs
what the first one did (appending to one growing string copies it every time).

It reads what a model sends: one JSON object whose fields may come in any order
and hold any JSON value. Only the first top-level field with the wanted name and
a string value is read; anything that is not a JSON object yields nothing.
"""

from __future__ import annotations

import re

_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_PLAIN = re.compile(r'[^"\\]+')  # a run of string characters that needs no decoding
_NESTED = re.compile(r'[^"\\{}\[\]]+')  # inside a nested value: what cannot change the depth
_SCALAR_END = re.compile(r"[\s,}]")


class FieldReader:
    """Feed JSON fragments; get back the newly arrived text of one string field.

    >>> reader = FieldReader("answer")
    >>> [reader.feed(part) for part in ['{"ans', 'wer":"10 + ', '10 is 20."', ',"tools_used":[]}']]
    ['', '10 + ', '10 is 20.', '']
    >>> reader.value
    '10 + 10 is 20.'
    """

    def __init__(self, field: str) -> None:
        self.field = field
        self._parts: list[str] | None = None  # the field's text so far, in pieces; None until its string starts
        self._state = "start"
        self._key = ""  # the key being read, or the last one read
        self._reading_key = False  # in a string that is a key, not a value
        self._capturing = False  # in the wanted field's string
        self._pending = ""  # an escape sequence cut by a fragment boundary, e.g. "\\u00"
        self._high_surrogate = ""  # the first half of a \\ud83d\\ude00 pair, waiting for its second
        self._depth = 0  # nesting inside a value that is an object or an array
        self._nested_in_string = False
        self._nested_escape = False

    def feed(self, fragment: str) -> str:
        """Read `fragment` and return the part of the field's text it completed (often "")."""
        out: list[str] = []
        text, i = fragment, 0
        while i < len(text):
            state = self._state
            if state in ("done", "failed"):
                break
            if state == "string":
                i = self._read_string(text, i, out)
            elif state == "nested":
                i = self._read_nested(text, i)
            elif state == "scalar":
                match = _SCALAR_END.search(text, i)
                if match is None:
                    break
                i = match.start()
                self._state = "after_value"
            else:
                i = self._structure(text, i)
        piece = "".join(out)
        if piece:
            assert self._parts is not None
            self._parts.append(piece)  # not `value + piece`: that copies the whole text, per fragment
        return piece

    @property
    def value(self) -> str | None:
        """The field's text so far (None until its string starts), joined when asked for."""
        if self._parts is None:
            return None
        if len(self._parts) > 1:
            self._parts[:] = ["".join(self._parts)]
        return self._parts[0] if self._parts else ""

    # -- between tokens ------------------------------------------------------------------------

    def _structure(self, text: str, i: int) -> int:
        char = text[i]
        if char.isspace():
            return i + 1
        state = self._state
        if state == "start":
            self._state = "key_or_end" if char == "{" else "failed"
        elif state == "key_or_end":
            if char == '"':
                self._key, self._state, self._capturing = "", "string", False
                self._reading_key = True
            elif char == "}":
                self._state = "done"
            else:
                self._state = "failed"
        elif state == "colon":
            self._state = "value" if char == ":" else "failed"
        elif state == "value":
            if char == '"':
                self._capturing = self._key == self.field and self._parts is None
                self._reading_key = False
                self._state = "string"
                if self._capturing:
                    self._parts = []
            elif char in "{[":
                self._depth, self._nested_in_string, self._nested_escape = 1, False, False
                self._state = "nested"
            else:
                self._state = "scalar"
                return i  # the scalar's first character is read as part of it
        elif state == "after_value":
            if char == ",":
                self._state = "key_or_end"
            elif char == "}":
                self._state = "done"
            else:
                self._state = "failed"
        return i + 1

    # -- inside a string -----------------------------------------------------------------------

    def _read_string(self, text: str, i: int, out: list[str]) -> int:
        """Read string characters from `text[i:]`; keys go to `_key`, the wanted field to `out`."""
        while i < len(text):
            if self._pending:  # in the middle of an escape sequence
                i = self._read_escape(text, i, out)
                continue
            plain = _PLAIN.match(text, i)
            if plain:
                self._emit(plain.group(), out)
                i = plain.end()
                continue
            if text[i] == "\\":
                self._pending = "\\"
                i += 1
                continue
            # the closing quote
            self._flush_surrogate(out)
            self._state = "colon" if self._reading_key else "after_value"
            return i + 1
        return i

    def _read_escape(self, text: str, i: int, out: list[str]) -> int:
        self._pending += text[i]
        i += 1
        pending = self._pending
        if len(pending) == 2 and pending[1] != "u":
            self._pending = ""
            self._emit(_ESCAPES.get(pending[1], pending[1]), out)
        elif len(pending) == 6:  # \uXXXX
            self._pending = ""
            try:
                code = int(pending[2:], 16)
            except ValueError:  # not hex: not JSON; show the characters as they are
                self._emit(pending, out)
                return i
            char = chr(code)
            if 0xD800 <= code <= 0xDBFF:
                self._flush_surrogate(out)
                self._high_surrogate = char
            elif 0xDC00 <= code <= 0xDFFF and self._high_surrogate:
                pair = (self._high_surrogate + char).encode("utf-16", "surrogatepass").decode("utf-16")
                self._high_surrogate = ""
                self._emit(pair, out)
            else:
                self._emit(char, out)
        return i

    def _emit(self, chars: str, out: list[str]) -> None:
        self._flush_surrogate(out)
        if self._reading_key:
            if len(self._key) <= len(self.field):  # a key longer than the field's name is not it: stop growing it
                self._key += chars
        elif self._capturing:
            out.append(chars)

    def _flush_surrogate(self, out: list[str]) -> None:
        """A high surrogate not followed by its pair is passed on as it is, as `json.loads` does."""
        if self._high_surrogate:
            lone, self._high_surrogate = self._high_surrogate, ""
            self._emit(lone, out)

    # -- inside a nested object or array ---------------------------------------------------------

    def _read_nested(self, text: str, i: int) -> int:
        while i < len(text):
            if self._nested_in_string:
                if self._nested_escape:
                    self._nested_escape = False
                    i += 1
                    continue
                plain = _PLAIN.match(text, i)
                if plain:
                    i = plain.end()
                    continue
                self._nested_escape = text[i] == "\\"
                self._nested_in_string = text[i] != '"'
                i += 1
                continue
            plain = _NESTED.match(text, i)
            if plain:
                i = plain.end()
                continue
            char = text[i]
            i += 1
            if char == '"':
                self._nested_in_string = True
            elif char in "{[":
                self._depth += 1
            elif char in "}]":
                self._depth -= 1
                if self._depth == 0:
                    self._state = "after_value"
                    return i
        return i
