"""Stamp files: how one process tells the others on the same data folder "this changed, drop your copy".

A change replaces ``MARKET_DATA_DIR/cache/<name>.stamp`` (a new inode every time, so two changes within
one clock tick still differ); a reader compares the file's (inode, mtime) with what it saw last — one
``stat``, microseconds. Used by the anonymous page cache and the per-process generation caches.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from flask import current_app, has_app_context

Stamp = tuple[int, int] | None


def path_for(name: str, app=None) -> Path | None:
    """The stamp file ``name`` of ``app`` (default: the current app), or None outside an app."""
    if app is None:
        if not has_app_context():
            return None
        app = current_app
    return Path(app.config["MARKET"].data_dir) / "cache" / f"{name}.stamp"


def replace(path: Path | None) -> None:
    """Announce a change. A full or read-only disk only delays it: readers also expire by age."""
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(str(time.time_ns()))
        os.replace(tmp, path)
    except OSError:
        pass


def read(path: Path | None) -> Stamp:
    if path is None:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns
