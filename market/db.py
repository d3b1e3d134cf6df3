"""The SQLAlchemy handle shared by every package (Flask-SQLAlchemy, SQLAlchemy 2 style)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Enum, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)


@event.listens_for(Engine, "connect")
def _sqlite_wal(dbapi_connection, _record) -> None:
    """SQLite in write-ahead-log mode: readers never wait for a writer and a writer never waits for
    readers (in the default rollback-journal mode every commit locks readers out of the whole file), which
    is what lets several server threads and processes share one database file. Commits stay fully
    synchronous (the default ``synchronous=FULL``). The mode is stored in the file; this makes sure of it."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError:  # locked by another process switching it right now: it is WAL then
            pass
        finally:
            cursor.close()


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def str_enum(cls, name: str) -> Enum:
    """A StrEnum column stored as text with a CHECK constraint (portable: no native PG enum types)."""
    return Enum(cls, name=name, native_enum=False, create_constraint=True, length=20,
                values_callable=lambda e: [m.value for m in e], validate_strings=True)
