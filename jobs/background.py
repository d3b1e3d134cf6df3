"""Run the queue inside the serving process: the embedded single-machine default, so ``make run`` (one
``market serve``) needs no separate worker.

``start_in_process(app)`` takes an exclusive, non-blocking file lock on ``MARKET_DATA_DIR/jobs.lock``;
the process that gets it starts a huey consumer (worker threads + the scheduler that ticks the periodic
jobs every minute) as daemon threads. A second ``market serve`` on the same data folder does not get the
lock and only serves pages. The lock is released when the process exits (the OS drops it, even on a crash).
"""

from __future__ import annotations

import fcntl
import logging
import os

from huey.consumer import Consumer

log = logging.getLogger("market.jobs")


class EmbeddedConsumer(Consumer):
    """A huey consumer that leaves signal handling to its host (the web server keeps Ctrl+C)."""

    def _set_signal_handlers(self):
        pass


class Background:
    def __init__(self, consumer: EmbeddedConsumer, lock_fd: int):
        self.consumer = consumer
        self._lock_fd = lock_fd

    def stop(self) -> None:
        self.consumer.stop(graceful=True)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
        finally:
            os.close(self._lock_fd)


def acquire_lock(path) -> int | None:
    """The fd holding an exclusive lock on ``path``, or None when another process holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def start_in_process(app, *, workers: int = 2) -> Background | None:
    """Start the consumer in this process if no other process on this data folder runs it."""
    settings = app.config["MARKET"]
    fd = acquire_lock(settings.data_dir / "jobs.lock")
    if fd is None:
        log.info("jobs: another process holds %s; this one only serves", settings.data_dir / "jobs.lock")
        return None
    consumer = EmbeddedConsumer(app.extensions["jobs.huey"], workers=workers, worker_type="thread",
                                check_worker_health=False, max_delay=5.0)
    consumer.start()
    return Background(consumer, fd)
