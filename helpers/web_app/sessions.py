"""Conversations for the web app: one agent conversation, so one chat history, per session. Taught in chapter 05.

A session id is a random token the server hands out (`POST /api/sessions`);
every question in the same conversation sends it back. The store is bounded, so
no client can make the server's memory grow without limit, and no client can
push anybody else out:

- each client (an IP address) may hold `max_per_client` conversations; a new one
  beyond that replaces that client's *own* least recently used conversation;
- a conversation nobody has used for `idle_seconds` expires;
- the whole store holds at most `max_sessions`; when it is full of conversations
  in recent use, a new one is refused (503, try again later) rather than
  evicting somebody's live conversation;
- a conversation that is answering a question is never evicted;
- each conversation keeps only its last `max_turns` questions and answers.

With a persistent store (`store.py`, chapter 08) the same store writes every
session record through to it, forgets there what it forgets here, and on start-up
(`restore`) or for a session another app process made (`open`) takes the record
back, so a restart, or another process, keeps every session and its history. The
limits count the sessions this process knows; `busy` is this process's own.
"""

from __future__ import annotations

import re
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

from langchain_core.messages import BaseMessage

from .agents import Conversation
from .store import ConversationStore, SessionRecord

SESSION_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")  # what `new_session_id` makes, with room to spare


def new_session_id() -> str:
    return secrets.token_urlsafe(16)  # 22 characters, 128 random bits: not guessable


class SessionLimit(Exception):
    """No new conversation now: `status` is the HTTP status to answer, `retry_after` a hint in seconds."""

    def __init__(self, status: int, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.status, self.retry_after = status, retry_after


@dataclass
class Session:
    """One conversation: the agent's side of it (which keeps the chat history), its client, and whether it is busy."""

    conversation: Conversation
    client: str = "unknown"
    last_used: float = 0.0
    busy: bool = False  # a run has it: one run at a time per conversation

    def claim(self) -> Callable[[], None] | None:
        """Take the session for one run, now; return what gives it back, or None if a run already has it.

        Of two questions sent at once, exactly one gets the session: the check and the
        take are one step, with no `await` between them. (Taking it only once the
        response starts streaming, as the app once did, left a gap in which a second
        question passed the check, then waited.) The returned function gives the
        session back the first time it is called and does nothing after, so the run can
        call it as soon as it ends and its response again when it closes, without ever
        freeing a later run's claim.
        """
        if self.busy:
            return None
        self.busy = True
        claimed = [True]

        def release() -> None:
            if claimed:
                claimed.clear()
                self.busy = False

        return release

    @property
    def chat_history(self) -> list[BaseMessage]:
        """The turns so far, one `HumanMessage` and one `AIMessage` each, whichever agent answers."""
        return self.conversation.chat_history

    def trim_history(self, max_turns: int) -> None:
        """Keep the last `max_turns` turns (a turn is a question and its answer)."""
        del self.conversation.chat_history[: -2 * max_turns]


class SessionStore:
    """The sessions, least recently used first; bounded per client, by idleness, and in all."""

    def __init__(
        self,
        max_sessions: int = 1000,
        max_turns: int = 20,
        *,
        max_per_client: int = 20,
        idle_seconds: float = 30 * 60,
        clock: Callable[[], float] = time.time,
        store: ConversationStore | None = None,
    ) -> None:
        if max_sessions < 1 or max_turns < 1 or max_per_client < 1 or idle_seconds <= 0:
            raise ValueError("max_sessions, max_turns, max_per_client and idle_seconds must be positive")
        self.max_sessions = max_sessions
        self.max_turns = max_turns
        self.max_per_client = max_per_client
        self.idle_seconds = idle_seconds
        self._clock = clock
        self._sessions: OrderedDict[str, Session] = OrderedDict()  # least recently used first
        self._by_client: dict[str, OrderedDict[str, None]] = {}  # the same order, per client
        # Wall-clock time (the default), so a last use written to a store means the same after a restart.
        self.store = store  # where records are written through; None: memory only
        self._forgotten: list[str] = []  # forgotten here, still to forget in the store

    def create(self, conversation: Conversation, client: str = "unknown", session_id: str | None = None) -> str:
        """Store a new conversation for `client` and return its id; raise `SessionLimit` if there is no room.

        `session_id`: one made beforehand with `new_session_id()` (the conversation may need it: it names
        the agent's thread in a checkpointer).
        """
        self._expire_idle()
        mine = self._by_client.get(client, OrderedDict())
        if len(mine) >= self.max_per_client:
            oldest_idle = next((sid for sid in mine if not self._sessions[sid].busy), None)
            if oldest_idle is None:
                raise SessionLimit(429, "Too many conversations from your address are still answering: "
                                        "wait for one to finish.", retry_after=5)
            self._forget(oldest_idle)  # the client's own least recently used conversation, nobody else's
        if len(self._sessions) >= self.max_sessions:
            raise SessionLimit(503, "The server has too many conversations open right now: "
                                    "try again in a few minutes.", retry_after=60)
        session_id = session_id or new_session_id()
        self._sessions[session_id] = Session(conversation, client, self._clock())
        self._by_client.setdefault(client, OrderedDict())[session_id] = None
        return session_id

    def get(self, session_id: str) -> Session | None:
        """The conversation with this id, now the most recently used; None if unknown, expired or forgotten."""
        session = self._sessions.get(session_id)
        if session is None:
            return None
        now = self._clock()
        if now - session.last_used > self.idle_seconds and not session.busy:
            self._forget(session_id)
            return None
        session.last_used = now
        self._sessions.move_to_end(session_id)
        self._by_client[session.client].move_to_end(session_id)
        return session

    def _expire_idle(self) -> None:
        """Forget conversations idle for longer than `idle_seconds` (they are at the front)."""
        now = self._clock()
        for session_id, session in list(self._sessions.items()):
            if now - session.last_used <= self.idle_seconds:
                break
            if not session.busy:  # a run still streaming keeps its session
                self._forget(session_id)

    async def acreate(self, make_conversation: Callable[[str], Conversation], client: str = "unknown",
                      session_id: str | None = None) -> str:
        """`create` a conversation made for its id, written to the store (with whatever it evicted).

        `session_id`: an id derived beforehand (an AG-UI thread's, see `agui.py`); by default a new random one.
        """
        session_id = session_id or new_session_id()
        self.create(make_conversation(session_id), client, session_id)
        await self._write_through(session_id)
        return session_id

    async def open(self, session_id: str, make_conversation: Callable[[str], Conversation]) -> Session | None:
        """`get`, and with a store: take back a session this process does not know (made before a restart,
        or by another process), and read its history again (another process may have added turns)."""
        session = self.get(session_id)
        if self.store is None:
            return session
        if session is None:
            record = await self.store.load_session(session_id)
            if record is None or self._clock() - record.last_used > self.idle_seconds:
                return None
            session = self._adopt(record, make_conversation)
            session.last_used = self._clock()
        if not session.busy:
            await session.conversation.load()  # the store's history, whoever added to it
        await self._write_through(session_id)
        return session

    async def restore(self, make_conversation: Callable[[str], Conversation]) -> int:
        """On start-up: take back every session the store kept that has not expired; return how many."""
        if self.store is None:
            return 0
        for record in await self.store.load_sessions():  # least recently used first
            if self._clock() - record.last_used > self.idle_seconds or len(self._sessions) >= self.max_sessions:
                self._forgotten.append(record.session_id)  # expired, or no room: gone, as it would have been
                continue
            self._adopt(record, make_conversation)
        await self._flush_forgotten()
        return len(self._sessions)

    def _adopt(self, record: SessionRecord, make_conversation: Callable[[str], Conversation]) -> Session:
        """A stored session back in this process's index; its history is read when it is next used."""
        session = Session(make_conversation(record.session_id), record.client, record.last_used)
        self._sessions[record.session_id] = session
        self._sessions.move_to_end(record.session_id)
        self._by_client.setdefault(record.client, OrderedDict())[record.session_id] = None
        return session

    async def _write_through(self, session_id: str) -> None:
        """The session's record to the store, and what this process forgot, forgotten there too."""
        if self.store is None:
            self._forgotten.clear()
            return
        if (session := self._sessions.get(session_id)) is not None:
            await self.store.save_session(SessionRecord(session_id, session.client, session.last_used))
        await self._flush_forgotten()

    async def _flush_forgotten(self) -> None:
        while self._forgotten:
            await self.store.forget_session(self._forgotten.pop())

    def _forget(self, session_id: str) -> None:
        self._forgotten.append(session_id)
        session = self._sessions.pop(session_id)  # a run still streaming keeps its own reference
        mine = self._by_client[session.client]
        del mine[session_id]
        if not mine:
            del self._by_client[session.client]

    def __len__(self) -> int:
        return len(self._sessions)
