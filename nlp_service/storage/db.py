"""Engine, sessions and migrations. SQLite file by default, PostgreSQL by URL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"


def _alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer; crash-safe
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
            dbapi_conn.isolation_level = None  # SQLAlchemy's "begin" below starts each transaction itself

        @event.listens_for(engine, "begin")
        def _begin_immediate(conn) -> None:
            # Take the write lock up front: two writers that both began deferred would fail with "database is
            # locked" when the second upgrades; IMMEDIATE makes it wait (up to the 30 s timeout) instead. In
            # WAL mode readers are never blocked by it.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision; a no-op when it is already there."""
    with engine.begin() as conn:
        cfg = _alembic_config(str(engine.url))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


class Database:
    def __init__(self, url: str, auto_migrate: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url)
        if auto_migrate:
            migrate(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._local = threading.local()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed on success, rolled back whole on any error.

        Never open one inside another in the same thread: on SQLite each takes the write lock up front, so the
        inner one would wait for the outer (its own thread) until the timeout. That is refused at once instead.
        """
        if getattr(self._local, "open", False):
            raise RuntimeError("a database session is already open in this thread; pass it down instead")
        self._local.open = True
        try:
            with self._sessions() as s, s.begin():
                yield s
        finally:
            self._local.open = False

    def tables(self) -> list[str]:
        return sorted(inspect(self.engine).get_table_names())

    def dispose(self) -> None:
        self.engine.dispose()
