"""On-disk life of the embedded tantivy index: generations, one writer at a time, fresh readers.

Layout under ``MARKET_DATA_DIR/search/``::

    CURRENT           name of the live generation directory (replaced atomically with os.replace)
    gen-<ns>/         one complete tantivy index per generation
    writer.lock       flock held by whoever writes (any thread of any process)
    rebuild.lock      flock held by a running ``market reindex``
    journal.jsonl     exists only while a rebuild runs: the updates made meanwhile

Multi-process design. tantivy allows one writer per index directory and fails fast otherwise, so
every write (the after-commit update of a web worker, the swap at the end of a rebuild) takes an
exclusive ``flock`` on ``writer.lock`` first, retrying for up to ``LOCK_TIMEOUT`` seconds; writes
are small and short (open writer, apply, commit, close), so waiting is rare. Inside the lock the
writer re-reads ``CURRENT``, so it always writes into the live generation. Readers never lock:
before each query they ``stat`` ``CURRENT`` and the generation's ``meta.json`` (two syscalls,
microseconds), reopen the index when ``CURRENT`` names another generation and ``reload()`` when a
commit changed ``meta.json`` — so a write in one process is visible to the next query in every
other process, without the 0.5 s delay of tantivy's own watcher.

A rebuild fills a new generation without holding the writer lock (searches and updates go on in
the live one). Updates made meanwhile are also appended to ``journal.jsonl``; at the end the
rebuild takes the writer lock, replays the journal into the new generation, swaps ``CURRENT`` and
removes the journal, so nothing committed during a rebuild is lost. Older generations are deleted
(the previous one is kept for readers that still have it open).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import tantivy

LOCK_TIMEOUT = 30.0
WRITER_HEAP = 15_000_000  # tantivy's minimum: updates after commit are small


class IndexUnavailable(RuntimeError):
    """The index directory is missing or unreadable; the message says which and how to repair."""


class IndexBusy(RuntimeError):
    """Another process held the writer lock for longer than ``LOCK_TIMEOUT``."""


@contextmanager
def _flock(path: Path, timeout: float | None) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if deadline is None or time.monotonic() > deadline:
                    raise IndexBusy(f"{path} is held by another process") from None
                time.sleep(0.005)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _stamp(path: Path) -> tuple[int, int, int]:
    st = os.stat(path)
    return st.st_ino, st.st_mtime_ns, st.st_size


class IndexStore:
    def __init__(self, root: Path, schema_factory: Callable[[], tantivy.Schema]):
        self.root = Path(root)
        self._schema_factory = schema_factory
        self._mutex = threading.Lock()
        self._gen: str | None = None
        self._index: tantivy.Index | None = None
        self._stamps: tuple | None = None

    # --- paths --------------------------------------------------------------------------------
    @property
    def current_file(self) -> Path:
        return self.root / "CURRENT"

    @property
    def journal(self) -> Path:
        return self.root / "journal.jsonl"

    def ensure(self) -> None:
        """Create an empty first generation when the folder has never held an index."""
        if self.root.exists():
            return
        self.root.mkdir(parents=True, exist_ok=True)
        with _flock(self.root / "writer.lock", LOCK_TIMEOUT):
            if not self.current_file.exists():
                name = self._new_generation()
                tantivy.Index(self._schema_factory(), path=str(self.root / name)).writer(
                    WRITER_HEAP, 1).commit()
                self._point_to(name)

    def _new_generation(self) -> str:
        name = f"gen-{time.time_ns()}-{os.getpid()}"
        (self.root / name).mkdir()
        return name

    def _point_to(self, name: str) -> None:
        tmp = self.root / f"CURRENT.{os.getpid()}.tmp"
        tmp.write_text(name)
        os.replace(tmp, self.current_file)

    # --- reading ------------------------------------------------------------------------------
    def _refresh(self) -> tantivy.Index:
        """The live index, reopened or reloaded when another writer changed it."""
        try:
            cur = _stamp(self.current_file)
        except FileNotFoundError:
            raise IndexUnavailable(f"search index missing: {self.current_file} does not exist; "
                                   "run `market reindex`") from None
        with self._mutex:
            if self._stamps is None or self._stamps[0] != cur:
                name = self.current_file.read_text().strip()
                path = self.root / name
                try:
                    meta = _stamp(path / "meta.json")
                    index = tantivy.Index.open(str(path))
                    index.config_reader("manual")
                except FileNotFoundError:
                    raise IndexUnavailable(f"search index missing: {path} has no meta.json; "
                                           "run `market reindex`") from None
                except (ValueError, OSError) as exc:
                    raise IndexUnavailable(f"search index at {path} is corrupt ({exc}); "
                                           "run `market reindex`") from None
                self._gen, self._index, self._stamps = name, index, (cur, meta)
                return index
            try:
                meta = _stamp(self.root / self._gen / "meta.json")
            except FileNotFoundError:
                raise IndexUnavailable(f"search index missing: {self.root / self._gen} has no meta.json; "
                                       "run `market reindex`") from None
            if meta != self._stamps[1]:
                try:
                    self._index.reload()
                except ValueError as exc:
                    raise IndexUnavailable(f"search index at {self.root / self._gen} is corrupt ({exc}); "
                                           "run `market reindex`") from None
                self._stamps = (cur, meta)
            return self._index

    def searcher(self) -> tantivy.Searcher:
        """A searcher on the latest committed state of the live generation."""
        index = self._refresh()
        try:
            return index.searcher()
        except ValueError as exc:
            raise IndexUnavailable(f"search index at {self.root / self._gen} is corrupt ({exc}); "
                                   "run `market reindex`") from None

    @property
    def schema(self) -> tantivy.Schema:
        return self._refresh().schema

    # --- writing ------------------------------------------------------------------------------
    def write(self, ops: list[tuple[str, list]], apply: Callable[[tantivy.IndexWriter, str, list], None]) -> None:
        """Apply ``ops`` (("index", docs) / ("delete", ids)) under the writer lock and commit."""
        if not ops:
            return
        with _flock(self.root / "writer.lock", LOCK_TIMEOUT):
            index = self._refresh()
            writer = index.writer(WRITER_HEAP, 1)
            try:
                for kind, payload in ops:
                    apply(writer, kind, payload)
                writer.commit()
                writer.wait_merging_threads()  # merges small segments now and releases tantivy's lock
            except BaseException:
                writer.rollback()
                raise
            finally:
                del writer
            if self.journal.exists():
                with self.journal.open("a", encoding="utf-8") as fh:
                    for kind, payload in ops:
                        fh.write(json.dumps([kind, payload], ensure_ascii=False) + "\n")

    def rebuild(self, fill: Callable[[tantivy.IndexWriter], int],
                apply: Callable[[tantivy.IndexWriter, str, list], None], heap: int = 256_000_000) -> int:
        """Build a new generation with ``fill(writer)``, replay concurrent updates, swap atomically."""
        self.root.mkdir(parents=True, exist_ok=True)
        with _flock(self.root / "rebuild.lock", 0):
            with _flock(self.root / "writer.lock", LOCK_TIMEOUT):
                self.journal.write_text("")
            name = self._new_generation()
            try:
                index = tantivy.Index(self._schema_factory(), path=str(self.root / name))
                # one indexing thread gives one segment: faster queries than several small ones
                writer = index.writer(heap, 1)
                count = fill(writer)
                writer.commit()
                writer.wait_merging_threads()
                del writer
                with _flock(self.root / "writer.lock", LOCK_TIMEOUT):
                    lines = self.journal.read_text(encoding="utf-8").splitlines()
                    if lines:
                        writer = index.writer(WRITER_HEAP, 1)
                        for line in lines:
                            kind, payload = json.loads(line)
                            apply(writer, kind, payload)
                        writer.commit()
                        writer.wait_merging_threads()
                        del writer
                    previous = self.current_file.read_text().strip() if self.current_file.exists() else None
                    self._point_to(name)
                    self.journal.unlink()
            except BaseException:
                self.journal.unlink(missing_ok=True)
                shutil.rmtree(self.root / name, ignore_errors=True)
                raise
        for old in self.root.glob("gen-*"):
            if old.name not in (name, previous):
                shutil.rmtree(old, ignore_errors=True)
        return count
