"""OpenAI-style errors, so clients show the course model's complaints as they would OpenAI's."""

from __future__ import annotations

import json
from typing import Any


class ApiError(Exception):
    """A request the course model refuses, with the HTTP status and OpenAI error body to send."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code

    def body(self) -> dict[str, Any]:
        """The JSON body OpenAI sends for an error: `{"error": {message, type, param, code}}`."""
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }


def bad_request(message: str, param: str | None = None, code: str | None = None) -> ApiError:
    """A 400 for a request that is malformed or asks for something the model cannot do."""
    return ApiError(400, message, param=param, code=code)


def server_error(error: BaseException) -> ApiError:
    """A 500 for a bug in the course model itself: still an OpenAI-style body, never an HTML page."""
    return ApiError(500, f"The course model failed: {error!r}", type="server_error")


def payload(error: ApiError) -> bytes:
    """The error's JSON body as bytes, ready to send."""
    return json.dumps(error.body(), separators=(",", ":")).encode("utf-8")
