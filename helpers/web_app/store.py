"""Where the web app keeps its conversations: nowhere (`memory`), a SQLite file, or Postgres. Taught in chapter 08.

A session in chapter 05 lived in one process's memory: a restart lost every
conversation, and a second app process could not see the first one's. A store
keeps, outside the process:

- the session records (id, owner client, last use), so limits and idle expiry
  survive a restart;
- chapter 06's `create_agent` conversations, through LangGraph's own
  checkpointer (`AsyncSqliteSaver`, `AsyncPostgresSaver`), thread id = session id;
- chapter 03's executor's history, one row per *whole* turn in a small table
  beside the checkpointer's, in the same database. The executor is not a graph,
  so a checkpointer has nothing to checkpoint for it; a row written in one
  statement once the answer is in means a crash mid-turn leaves whole turns only.

`--store` takes `memory` (keeps nothing: as chapter 05), a path or `sqlite:///path`
(default: `default_sqlite_path()`), or a `postgresql://` URL. A bad one is refused at
start-up with a message that says what is accepted (`parse_store`), and an
unreachable database fails the start-up, in bounded time, rather than the first question.
Postgres needs the `scale-out` extra (`langgraph-checkpoint-postgres`, `psycopg`):
imported only when asked for.
"""

from __future__ import annotations

import asyncio
import os
import sys
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator, Literal

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver

APP_NAME = "hands-on-langchain-streaming"
CONNECT_TIMEOUT = 10.0  # seconds for the database to answer at start-up
SCALE_OUT_EXTRA = f"pip install '{APP_NAME}[scale-out]'"


def default_data_dir() -> Path:
    """The per-user data folder: `$XDG_DATA_HOME` or ~/.local/share on Linux, the platform's own elsewhere."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / APP_NAME


def default_sqlite_path() -> Path:
    """Where `python -m helpers.web_app` keeps conversations unless told otherwise."""
    return default_data_dir() / "web-app.sqlite"


@dataclass(frozen=True)
class StoreSpec:
    """A parsed `--store`: its kind and its target (a file path, or a Postgres URL)."""

    kind: Literal["memory", "sqlite", "postgres"]
    target: str = ""

    def describe(self) -> str:
        """For the start-up line; a Postgres URL's password is never printed."""
        if self.kind == "memory":
            return "in memory (nothing kept after the app stops)"
        if self.kind == "sqlite":
            return f"in the SQLite file {self.target}"
        from urllib.parse import urlsplit

        url = urlsplit(self.target)
        return f"in Postgres at {url.hostname or 'localhost'}{f':{url.port}' if url.port else ''}{url.path}"


STORE_HELP = ("`memory` (keeps nothing), a SQLite file (a path, or sqlite:///path), "
              "or a postgresql://user:password@host:port/database URL")


def parse_store(spec: str | None) -> StoreSpec:
    """Read `--store`; raise `ValueError` saying what is accepted if it is none of them."""
    if spec is None:
        return StoreSpec("sqlite", str(default_sqlite_path()))
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"store must be {STORE_HELP}; got {spec!r}")
    spec = spec.strip()
    if spec == "memory":
        return StoreSpec("memory")
    if spec.startswith(("postgresql://", "postgres://")):
        return StoreSpec("postgres", spec)
    if spec.startswith("sqlite:///"):
        path = spec[len("sqlite:///"):]
    elif "://" in spec or spec.startswith("sqlite:"):
        raise ValueError(f"store must be {STORE_HELP}; got {spec!r} (an unknown scheme)")
    else:
        path = spec
    if not path or path.endswith(("/", os.sep)) or Path(path).expanduser().is_dir():
        raise ValueError(f"store {spec!r} is a folder: name the SQLite file, e.g. {Path(path or '.') / 'web-app.sqlite'}")
    return StoreSpec("sqlite", str(Path(path).expanduser().absolute()))


@dataclass(frozen=True)
class SessionRecord:
    session_id: str
    client: str
    last_used: float


class ConversationStore:
    """Session records, the executor's turns, and the checkpointer, in one place. This one keeps them in memory."""

    def __init__(self, spec: StoreSpec = StoreSpec("memory"), checkpointer: BaseCheckpointSaver | None = None) -> None:
        self.spec = spec
        self.checkpointer: BaseCheckpointSaver = checkpointer or InMemorySaver()
        self._records: dict[str, SessionRecord] = {}
        self._turns: dict[str, list[tuple[str, str]]] = {}

    async def save_session(self, record: SessionRecord) -> None:
        self._records[record.session_id] = record

    async def touch_session(self, session_id: str, last_used: float) -> None:
        if (record := self._records.get(session_id)) is not None:
            self._records[session_id] = SessionRecord(session_id, record.client, last_used)

    async def load_session(self, session_id: str) -> SessionRecord | None:
        return self._records.get(session_id)

    async def load_sessions(self) -> list[SessionRecord]:
        """Every session kept, least recently used first."""
        return sorted(self._records.values(), key=lambda record: record.last_used)

    async def forget_session(self, session_id: str) -> None:
        """The record, the executor's turns and the agent's thread: nothing of the session is left."""
        self._records.pop(session_id, None)
        self._turns.pop(session_id, None)
        await self.checkpointer.adelete_thread(session_id)

    async def load_turns(self, session_id: str) -> list[tuple[str, str]]:
        return list(self._turns.get(session_id, []))

    async def add_turn(self, session_id: str, question: str, answer: str, keep: int) -> None:
        """Record one whole turn (a question and its answer) and keep only the last `keep`."""
        turns = self._turns.setdefault(session_id, [])
        turns.append((question, answer))
        del turns[:-keep]


SCHEMA = [
    """CREATE TABLE IF NOT EXISTS web_app_sessions (
           session_id TEXT PRIMARY KEY, client TEXT NOT NULL, last_used DOUBLE PRECISION NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS web_app_turns (
           session_id TEXT NOT NULL, turn INTEGER NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL,
           PRIMARY KEY (session_id, turn))""",
]


class SqlConversationStore(ConversationStore):
    """The same, in the checkpointer's database: SQLite or Postgres, the same SQL (`?` placeholders here)."""

    def __init__(self, spec: StoreSpec, checkpointer: BaseCheckpointSaver) -> None:
        super().__init__(spec, checkpointer)

    async def _run(self, statements: list[tuple[str, tuple]], fetch: bool = False) -> list[tuple]:
        """Run `statements` in one transaction; the rows of the last one if `fetch`."""
        raise NotImplementedError

    async def save_session(self, record: SessionRecord) -> None:
        await self._run([("INSERT INTO web_app_sessions (session_id, client, last_used) VALUES (?, ?, ?) "
                          "ON CONFLICT (session_id) DO UPDATE SET client = excluded.client, "
                          "last_used = excluded.last_used", (record.session_id, record.client, record.last_used))])

    async def touch_session(self, session_id: str, last_used: float) -> None:
        await self._run([("UPDATE web_app_sessions SET last_used = ? WHERE session_id = ? AND last_used < ?",
                          (last_used, session_id, last_used))])

    async def load_session(self, session_id: str) -> SessionRecord | None:
        rows = await self._run([("SELECT session_id, client, last_used FROM web_app_sessions WHERE session_id = ?",
                                 (session_id,))], fetch=True)
        return SessionRecord(*rows[0]) if rows else None

    async def load_sessions(self) -> list[SessionRecord]:
        rows = await self._run([("SELECT session_id, client, last_used FROM web_app_sessions ORDER BY last_used",
                                 ())], fetch=True)
        return [SessionRecord(*row) for row in rows]

    async def forget_session(self, session_id: str) -> None:
        await self._run([("DELETE FROM web_app_turns WHERE session_id = ?", (session_id,)),
                         ("DELETE FROM web_app_sessions WHERE session_id = ?", (session_id,))])
        await self.checkpointer.adelete_thread(session_id)

    async def load_turns(self, session_id: str) -> list[tuple[str, str]]:
        rows = await self._run([("SELECT question, answer FROM web_app_turns WHERE session_id = ? ORDER BY turn",
                                 (session_id,))], fetch=True)
        return [(question, answer) for question, answer in rows]

    async def add_turn(self, session_id: str, question: str, answer: str, keep: int) -> None:
        # One transaction: the turn is in whole, the oldest beyond `keep` go, or nothing happened.
        await self._run([
            ("INSERT INTO web_app_turns (session_id, turn, question, answer) "
             "SELECT ?, COALESCE(MAX(turn), 0) + 1, ?, ? FROM web_app_turns WHERE session_id = ?",
             (session_id, question, answer, session_id)),
            ("DELETE FROM web_app_turns WHERE session_id = ? AND turn <= "
             "(SELECT MAX(turn) FROM web_app_turns WHERE session_id = ?) - ?", (session_id, session_id, keep)),
        ])


class SqliteConversationStore(SqlConversationStore):
    """On the `AsyncSqliteSaver`'s own connection, under its lock (one connection, one writer at a time)."""

    async def _run(self, statements: list[tuple[str, tuple]], fetch: bool = False) -> list[tuple]:
        saver: Any = self.checkpointer
        rows: list[tuple] = []
        async with saver.lock:
            try:
                for sql, params in statements:
                    async with saver.conn.execute(sql, params) as cursor:
                        rows = list(await cursor.fetchall()) if fetch else []
                await saver.conn.commit()
            except BaseException:
                await saver.conn.rollback()
                raise
        return rows


class PostgresConversationStore(SqlConversationStore):
    """On a connection of the pool the `AsyncPostgresSaver` uses."""

    def __init__(self, spec: StoreSpec, checkpointer: BaseCheckpointSaver, pool: Any) -> None:
        super().__init__(spec, checkpointer)
        self.pool = pool

    async def _run(self, statements: list[tuple[str, tuple]], fetch: bool = False) -> list[tuple]:
        rows: list[tuple] = []
        async with self.pool.connection() as conn, conn.transaction():
            for sql, params in statements:
                cursor = await conn.execute(sql.replace("?", "%s"), params)
                rows = [tuple(row.values()) if isinstance(row, dict) else tuple(row)
                        for row in await cursor.fetchall()] if fetch else []
        return rows


class StoreUnavailable(RuntimeError):
    """The store could not be opened: the message says which and why."""


@asynccontextmanager
async def open_store(spec: StoreSpec | str | None) -> AsyncIterator[ConversationStore]:
    """The store `spec` names, open and set up, for as long as the `async with` lasts."""
    if not isinstance(spec, StoreSpec):
        spec = parse_store(spec)
    if spec.kind == "memory":
        yield ConversationStore()
        return
    async with AsyncExitStack() as stack:
        if spec.kind == "sqlite":
            store = await _open_sqlite(spec, stack)
        else:
            store = await _open_postgres(spec, stack)
        yield store


async def _open_sqlite(spec: StoreSpec, stack: AsyncExitStack) -> ConversationStore:
    import aiosqlite
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    path = Path(spec.target)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = await stack.enter_async_context(aiosqlite.connect(path, timeout=CONNECT_TIMEOUT))
        saver = AsyncSqliteSaver(conn)
        await saver.setup()  # also turns on WAL: readers do not wait for a writer
        store = SqliteConversationStore(spec, saver)
        for statement in SCHEMA:
            await store._run([(statement, ())])
    except (OSError, aiosqlite.Error) as error:
        raise StoreUnavailable(f"cannot open the SQLite store {path}: {error}") from error
    return store


async def _open_postgres(spec: StoreSpec, stack: AsyncExitStack) -> ConversationStore:
    try:
        import psycopg
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
        from psycopg.rows import dict_row
        from psycopg_pool import AsyncConnectionPool
    except ImportError as error:
        raise StoreUnavailable(f"a postgresql:// store needs langgraph-checkpoint-postgres and psycopg: "
                               f"{SCALE_OUT_EXTRA} ({error})") from error
    pool = AsyncConnectionPool(spec.target, open=False, min_size=1, max_size=10, timeout=CONNECT_TIMEOUT,
                               kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row})
    try:
        await pool.open(wait=True, timeout=CONNECT_TIMEOUT)
    except (psycopg.Error, asyncio.TimeoutError, Exception) as error:
        await pool.close()
        raise StoreUnavailable(f"cannot reach the Postgres store {spec.describe()[len('in Postgres at '):]}: "
                               f"{error}") from error
    stack.push_async_callback(pool.close)
    saver = AsyncPostgresSaver(pool)
    await saver.setup()
    store = PostgresConversationStore(spec, saver, pool)
    for statement in SCHEMA:
        await store._run([(statement, ())])
    return store


__all__ = ["ConversationStore", "SessionRecord", "StoreSpec", "StoreUnavailable", "default_sqlite_path",
           "open_store", "parse_store"]
