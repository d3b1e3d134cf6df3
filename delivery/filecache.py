"""File cache of open-data downloads: an open copy (basis "open": sensitive items masked, no watermark) is
the same bytes for every caller until the entry's rows or items change, so it is rendered once, kept under
``MARKET_DATA_DIR/cache/open-downloads/`` and later sent as a plain file (the way CKAN serves resources).
Grant and owner copies are personal (fingerprinted, or unmasked) and never come here.

A cached file is named ``<dataset id>-<version>.<format>``; the version is a digest of everything its
bytes depend on — the table's last upload time and row count, the delivered and masked items in order,
and the rendering code (``formats.RENDER_VERSION`` plus the source of formats.py and access.py) — so an
upload, an item change or a sensitivity change simply asks for a file that does not exist yet.

Writing never endangers the download: the first request streams as before while ``tee`` copies each
chunk into a uniquely named temp file in the same folder; only a complete render is fsynced and moved
into place with ``os.replace`` (atomic, so readers see the old file, the new file or none — never half
of one). A disconnect, an error or an ``OSError`` while writing (a full disk) drops the temp file and
the client still gets every byte. The folder is bounded (``MAX_BYTES``, least recently sent first) and
can be deleted at any time; backups skip it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from flask import current_app

from . import access, formats, store
from .access import Delivery

log = logging.getLogger(__name__)

FOLDER = ("cache", "open-downloads")  # under MARKET_DATA_DIR
MAX_BYTES = 512 * 1024 * 1024  # the folder's bound; least recently sent files go first
TEMP_SUFFIX = ".part"
STALE_TEMP_SECONDS = 6 * 3600  # a temp file this old belongs to a process that died mid-render


@dataclass(frozen=True)
class Entry:
    """Where the open copy of one entry, in one format and one version of its data, is kept."""

    folder: Path
    dataset_id: int
    version: str
    fmt: str
    stamp: tuple[datetime, int]  # (table updated_at, rows) the version was computed from

    @property
    def name(self) -> str:
        return f"{self.dataset_id}-{self.version}.{self.fmt}"

    @property
    def path(self) -> Path:
        return self.folder / self.name

    @property
    def etag(self) -> str:
        return f"{self.version}-{self.fmt}"


def folder() -> Path:
    return Path(current_app.config["MARKET"].data_dir).joinpath(*FOLDER)


@functools.cache
def _code_digest() -> str:
    """The rendering code's fingerprint: a deployment that changes how bytes are written (formats.py)
    or masked (access.py) gets new file names without anyone remembering to bump a constant."""
    digest = hashlib.sha256(f"render:{formats.RENDER_VERSION}".encode())
    for module in (formats, access):
        try:
            digest.update(Path(module.__file__).read_bytes())
        except (OSError, TypeError):  # no source file (frozen install): the constant alone decides
            pass
    return digest.hexdigest()[:16]


def entry_for(delivery: Delivery, fmt: str) -> Entry | None:
    """The cache entry of an open delivery, or None: grant and owner copies are never cached."""
    if delivery.basis != "open":
        return None
    table = store.table_of(delivery.dataset.id)
    if table is None:
        return None
    stamp = (table.updated_at, table.rows)
    key = json.dumps([delivery.dataset.id, table.updated_at.isoformat(), table.rows, list(delivery.columns),
                      sorted(delivery.masked), _code_digest()], ensure_ascii=False)
    version = hashlib.sha256(key.encode()).hexdigest()[:24]
    return Entry(folder(), delivery.dataset.id, version, fmt, stamp)


def open_cached(entry: Entry) -> tuple[BinaryIO, os.stat_result] | None:
    """The cached file opened for reading (an open file survives a concurrent eviction) and its stat,
    or None on a miss. Marks it as just used for the least-recently-used eviction."""
    try:
        fh = open(entry.path, "rb")  # noqa: SIM115 - handed to the WSGI file wrapper, which closes it
    except OSError:
        return None
    try:
        st = os.fstat(fh.fileno())
        os.utime(fh.fileno(), ns=(time.time_ns(), st.st_mtime_ns))  # atime = last sent; mtime = written
    except OSError:
        st = os.fstat(fh.fileno())
    return fh, st


class _Partial:
    """A temp file in the cache folder receiving one render; unique name, so concurrent first
    requests never write into each other."""

    def __init__(self, entry: Entry) -> None:
        entry.folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{entry.name}.", suffix=TEMP_SUFFIX, dir=entry.folder)
        self.entry = entry
        self.path = Path(name)
        self.file = os.fdopen(fd, "wb")
        self.size = 0
        self.started = time.time()

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > MAX_BYTES:
            raise OSError(f"larger than the cache bound ({MAX_BYTES} bytes)")
        self.file.write(chunk)

    def commit(self) -> None:
        """fsync, then atomically move into place."""
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        os.replace(self.path, self.entry.path)

    def abort(self) -> None:
        try:
            self.file.close()
        except OSError:
            pass
        self.path.unlink(missing_ok=True)


def _start(entry: Entry) -> _Partial | None:
    try:
        return _Partial(entry)
    except OSError as exc:
        log.warning("open-download cache: cannot start %s (%s); serving without caching", entry.name, exc)
        return None


def is_current(entry: Entry) -> bool:
    """True if the table is still as it was when the entry's version was computed (asked of the
    database, not the session's copy: on PostgreSQL an upload may commit while a render runs)."""
    return store.table_stamp(entry.dataset_id) == entry.stamp


def tee(entry: Entry, body: Iterator[bytes]) -> Iterator[bytes]:
    """Yield ``body`` unchanged while copying it into the cache. The copy is kept only when the render
    ran to the end and the table did not change meanwhile (``is_current``); any failure to write drops
    the copy and the stream goes on."""
    partial: _Partial | None = None
    started = False
    completed = False
    try:
        for chunk in body:
            if not started:  # created lazily: a HEAD request or an unread response leaves nothing
                started = True
                partial = _start(entry)
            if partial is not None:
                try:
                    partial.write(chunk)
                except OSError as exc:
                    log.warning("open-download cache: writing %s failed (%s); serving without caching",
                                entry.name, exc)
                    partial.abort()
                    partial = None
            yield chunk
        completed = True
    finally:
        if partial is not None:
            _finish(partial, completed)


def _finish(partial: _Partial, completed: bool) -> None:
    entry = partial.entry
    if not completed:
        partial.abort()
        return
    try:
        current = is_current(entry)
    except Exception:  # the download is over; a failed check only means "do not cache"
        log.warning("open-download cache: cannot confirm %s is current; not cached", entry.name, exc_info=True)
        current = False
    if not current:
        partial.abort()
        return
    try:
        partial.commit()
    except OSError as exc:
        log.warning("open-download cache: keeping %s failed (%s); not cached", entry.name, exc)
        partial.abort()
        return
    try:
        evict(entry, partial.started)
    except OSError as exc:
        log.warning("open-download cache: eviction failed (%s)", exc)


def _cached_files(where: Path) -> list[tuple[Path, os.stat_result]]:
    out = []
    try:
        names = os.listdir(where)
    except FileNotFoundError:
        return out
    for name in names:
        path = where / name
        try:
            out.append((path, path.stat()))
        except FileNotFoundError:  # removed by a concurrent eviction
            continue
    return out


def evict(keep: Entry, render_started: float) -> None:
    """After ``keep`` was written: drop the entry's older versions, temp files abandoned by dead
    processes, then the least recently sent files until the folder fits ``MAX_BYTES``."""
    now = time.time()
    prefix = f"{keep.dataset_id}-"
    files = []
    for path, st in _cached_files(keep.folder):
        if path.name.endswith(TEMP_SUFFIX):
            if now - st.st_mtime > STALE_TEMP_SECONDS:
                path.unlink(missing_ok=True)
            continue
        # another version of this entry written before this render began is outdated; one written
        # since comes from a render that began later and may be the newer one: left for LRU / next write
        if path.name.startswith(prefix) and path.name.split(".", 1)[0] != f"{prefix}{keep.version}" \
                and st.st_mtime < render_started:
            path.unlink(missing_ok=True)
            continue
        files.append((path, st))
    total = sum(st.st_size for _p, st in files)
    for path, st in sorted(files, key=lambda f: f[1].st_atime_ns):
        if total <= MAX_BYTES:
            break
        if path == keep.path:
            continue
        path.unlink(missing_ok=True)
        total -= st.st_size


def clear() -> int:
    """Delete every cached file (tests, or an operator freeing space); returns how many."""
    removed = 0
    for path, _st in _cached_files(folder()):
        path.unlink(missing_ok=True)
        removed += 1
    return removed
