"""Module-level functions the queue tests enqueue (a worker imports them by their dotted path)."""

from __future__ import annotations

import threading

from market.auth.models import User
from market.db import db
from notify.services import notify


def tell(user_id: int, subject: str) -> dict:
    """Write a notification in the worker's own session; report which thread ran it."""
    notes = notify([db.session.get(User, user_id)], "jobs.test", subject, email=False)
    return {"notification": notes[0].id, "thread": threading.current_thread().name}


def explode(message: str) -> None:
    raise RuntimeError(message)
