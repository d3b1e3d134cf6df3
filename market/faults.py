"""Fault injection for the crash tests (tests/reliability): kill this process in the middle of a transaction.

Set ``MARKET_FAULT_KILL_SQL`` to a piece of SQL (case-insensitive, e.g. ``INSERT INTO request_lines``) and
optionally ``MARKET_FAULT_KILL_AFTER=N`` (default 1): right after the N-th statement containing it has run —
inside its transaction, before any commit — the process sends itself SIGKILL, as a power cut or the OOM
killer would. Unset (always, outside those tests) nothing is installed and nothing is checked.
"""

from __future__ import annotations

import os
import signal
import threading

from sqlalchemy import event
from sqlalchemy.engine import Engine


def install_from_env() -> bool:
    needle = os.environ.get("MARKET_FAULT_KILL_SQL", "").strip().lower()
    if not needle:
        return False
    after = int(os.environ.get("MARKET_FAULT_KILL_AFTER", "1") or "1")
    seen = {"n": 0}
    lock = threading.Lock()

    @event.listens_for(Engine, "after_cursor_execute")
    def _maybe_die(conn, cursor, statement, parameters, context, executemany):
        if needle in " ".join(statement.lower().split()):
            with lock:
                seen["n"] += 1
                if seen["n"] >= after:
                    os.kill(os.getpid(), signal.SIGKILL)

    return True
