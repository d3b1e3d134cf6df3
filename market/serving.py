"""`market serve --processes N`: several worker processes answering on one listening socket.

One Python process serves requests on one core at a time (the GIL), so a long download or a burst of
product pages makes every other request wait its turn. With ``--processes N`` the parent binds the
socket once, starts N workers (``market serve --worker-fd FD``, each a fresh interpreter with its own
app, database pool and index reader) that inherit it, and the kernel hands each new connection to
whichever worker accepts first — the gunicorn/uWSGI pre-fork model, without a new dependency.

The parent only supervises: a worker that dies is started again (a crash loop — more than
``MAX_RESTARTS`` deaths within ``RESTART_WINDOW`` seconds — stops the server with exit status 1 rather
than spinning), and SIGTERM/SIGINT stop every worker (SIGKILL after ``STOP_GRACE`` seconds). A worker
whose parent disappears (SIGKILL of the supervisor) stops by itself within a second.

Everything the workers share lives in the database or the data folder, never in one process's memory:
login throttling, API quotas and the audit chain are rows; the embedded index reopens what another
process committed; the anonymous page cache is dropped in every worker when a catalog change touches a
stamp file (``market/pagecache.py``); the embedded job queue runs in one worker under a file lock.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable

MAX_RESTARTS = 5
RESTART_WINDOW = 60.0
STOP_GRACE = 10.0
BACKLOG = 1024
PARENT_ENV = "MARKET_SERVE_SUPERVISOR_PID"  # set for workers: the pid they must outlive


def bind(host: str, port: int) -> socket.socket:
    """The listening socket every worker inherits (IPv6 when ``host`` is an IPv6 address)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host, port), family=family, backlog=BACKLOG)
    sock.set_inheritable(True)
    return sock


def worker_socket(fd: int) -> socket.socket:
    """The inherited listening socket in a worker."""
    sock = socket.socket(fileno=fd)
    sock.setblocking(False)
    return sock


def exit_with_parent(poll: float = 1.0) -> None:
    """In a worker: stop when the supervisor is gone (its children would otherwise serve on, orphaned)."""
    parent = int(os.environ.get(PARENT_ENV) or os.getppid())

    def watch():
        while True:
            if os.getppid() != parent:
                os.kill(os.getpid(), signal.SIGTERM)
                return
            time.sleep(poll)

    threading.Thread(target=watch, name="market-parent-watch", daemon=True).start()


class Supervisor:
    """Start ``processes`` workers with ``command(fd)`` and keep them running until told to stop."""

    def __init__(self, sock: socket.socket, processes: int, command: Callable[[int], list[str]],
                 echo: Callable[[str], None] = print):
        self.sock = sock
        self.processes = processes
        self.command = command
        self.echo = echo
        self.workers: list[subprocess.Popen] = []
        self.deaths: deque[float] = deque()
        self.stopping = False

    def _spawn(self) -> subprocess.Popen:
        fd = self.sock.fileno()
        return subprocess.Popen(self.command(fd), pass_fds=(fd,), env={**os.environ, PARENT_ENV: str(os.getpid())})

    def _on_signal(self, signum, _frame) -> None:
        self.stopping = True

    def run(self) -> int:
        """Supervise until SIGTERM/SIGINT (exit status 0) or a crash loop (exit status 1)."""
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        status = 0
        try:
            self.workers = [self._spawn() for _ in range(self.processes)]
            self.echo(f"Workers: {', '.join(str(w.pid) for w in self.workers)}")
            while not self.stopping:
                time.sleep(0.2)
                for i, worker in enumerate(self.workers):
                    code = worker.poll()
                    if code is None or self.stopping:
                        continue
                    now = time.monotonic()
                    self.deaths.append(now)
                    while self.deaths and now - self.deaths[0] > RESTART_WINDOW:
                        self.deaths.popleft()
                    if len(self.deaths) > MAX_RESTARTS:
                        self.echo(f"Worker {worker.pid} exited ({code}); {len(self.deaths)} workers died within "
                                  f"{RESTART_WINDOW:.0f} s — stopping (see the log above for the cause).")
                        self.stopping, status = True, 1
                        break
                    self.workers[i] = self._spawn()
                    self.echo(f"Worker {worker.pid} exited ({code}); started worker {self.workers[i].pid}.")
        finally:
            self._stop_all()
            for s, handler in previous.items():
                signal.signal(s, handler)
            self.sock.close()
        return status

    def _stop_all(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                worker.terminate()
        deadline = time.monotonic() + STOP_GRACE
        for worker in self.workers:
            try:
                worker.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()


def worker_command(fd: int, threads: int, run_jobs: bool | None) -> list[str]:
    jobs = [] if run_jobs is None else ["--jobs" if run_jobs else "--no-jobs"]
    return [sys.executable, "-m", "market", "serve", "--worker-fd", str(fd), "--threads", str(threads), *jobs]
