"""Conversations for the web app: one agent executor, so one chat history, per session. Taught in chapter 05.

A session id is a random token the server hands out (`POST /api/sessions`);
every question in the same conversation sends it back. The store is bounded,
so no client can make the server's memory grow without limit:

- it holds at most `max_sessions` conversations, and forgets the one used least
  recently when a new one would exceed that;
- each conversation keeps only its last `max_turns` questions and answers.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections import OrderedDict
from dataclasses import dataclass, field

from ..streaming_executor import StreamingAgentExecutor

SESSION_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")  # what `new_session_id` makes, with room to spare


def new_session_id() -> str:
    return secrets.token_urlsafe(16)  # 22 characters, 128 random bits: not guessable


@dataclass
class Session:
    """One conversation: its executor (which keeps the chat history) and a lock."""

    executor: StreamingAgentExecutor
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # one run at a time per conversation

    @property
    def busy(self) -> bool:
        return self.lock.locked()

    def trim_history(self, max_turns: int) -> None:
        """Keep the last `max_turns` turns (a turn is a question and its answer)."""
        del self.executor.chat_history[: -2 * max_turns]


class SessionStore:
    """The sessions, least recently used first, at most `max_sessions` of them."""

    def __init__(self, max_sessions: int = 1000, max_turns: int = 20) -> None:
        if max_sessions < 1 or max_turns < 1:
            raise ValueError("max_sessions and max_turns must be at least 1")
        self.max_sessions = max_sessions
        self.max_turns = max_turns
        self._sessions: OrderedDict[str, Session] = OrderedDict()

    def create(self, executor: StreamingAgentExecutor) -> str:
        """Store a new conversation and return its id; forget the oldest if the store is full."""
        session_id = new_session_id()
        self._sessions[session_id] = Session(executor)
        while len(self._sessions) > self.max_sessions:
            self._sessions.popitem(last=False)  # a run still streaming keeps its own reference
        return session_id

    def get(self, session_id: str) -> Session | None:
        """The conversation with this id, now the most recently used; None if unknown or forgotten."""
        session = self._sessions.get(session_id)
        if session is not None:
            self._sessions.move_to_end(session_id)
        return session

    def __len__(self) -> int:
        return len(self._sessions)
