"""Fixtures for the jobs tests: a huey queue of its own (in a temp folder) attached to the test app for one
test, and a throwaway Redis server when the machine has one."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import replace

import pytest

from jobs import registry
from jobs.queue import attach, make_huey
from tests.conftest import free_port, stop_process


@pytest.fixture
def periodic_registry():
    """Let a test register periodic jobs without leaking them into other tests."""
    saved = dict(registry._PERIODIC)
    registry._PERIODIC.clear()
    yield registry
    registry._PERIODIC.clear()
    registry._PERIODIC.update(saved)


@pytest.fixture
def use_queue(app, tmp_path):
    """``use_queue(queue_url='', immediate=False)`` → a fresh huey on the app for this test."""
    original = app.extensions["jobs.huey"]

    def make(queue_url: str = "", immediate: bool = False):
        settings = replace(app.config["MARKET"], data_dir=tmp_path, queue_url=queue_url)
        huey = make_huey(settings, immediate=immediate)
        attach(app, huey)
        return huey

    yield make
    app.extensions["jobs.huey"] = original


@pytest.fixture
def redis_url(tmp_path):
    """A redis-server on a free loopback port (skipped when not installed); stopped by PID."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not os.path.exists(binary):
        pytest.skip("redis-server is not installed (scripts/test.sh installs it from Debian)")
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(tmp_path), "--protected-mode", "yes"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop_process(proc)
