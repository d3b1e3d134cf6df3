"""Search fixtures: an osmem-server for the session, and ``backend``: each of the three backends, ready
with an empty index, so one contract suite runs against all of them.

osmem-server (PyPI ``osmem-server``, a Go binary in the wheel) is an in-memory server speaking the
OpenSearch API. We start it ourselves rather than through its pytest plugin so that it listens on
127.0.0.1 with a port the kernel picks (``-addr 127.0.0.1:0``: no race for a free port), and stop
it by PID. It also exits on its own if pytest dies (``-parent-pid``, and its stdin pipe closing).
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import threading
from uuid import uuid4

import pytest

from search.adapters import dataset_document

STARTUP_TIMEOUT = 15.0


def _drain(stream) -> None:
    for _ in stream:  # keep the pipe from filling up if the server ever logs to stdout
        pass


@pytest.fixture(scope="session")
def search_cluster(tmp_path_factory):
    """Base URL of an osmem-server started for this test session on 127.0.0.1 and a free port."""
    from osmem_server import resolve_binary

    log = tmp_path_factory.mktemp("osmem") / "stderr.log"
    with log.open("w") as err:
        proc = subprocess.Popen([resolve_binary(), "-addr", "127.0.0.1:0", "-parent-pid", str(os.getpid())],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True)
    ready = {}
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if sel.select(STARTUP_TIMEOUT):
            line = proc.stdout.readline()
            ready = json.loads(line) if line.startswith("{") else {}
    if "url" not in ready:
        proc.kill()
        proc.wait()
        pytest.fail(f"osmem-server did not start within {STARTUP_TIMEOUT} s: {log.read_text()[-2000:]}")
    drain = threading.Thread(target=_drain, args=(proc.stdout,), daemon=True)
    drain.start()
    yield ready["url"]
    os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    drain.join(timeout=5)  # the pipe reaches end-of-file once the server is gone
    proc.stdout.close()
    proc.stdin.close()


@pytest.fixture
def make_opensearch_backend(search_cluster):
    """Create cluster backends on fresh, unique aliases; their indexes are deleted after the test."""
    from search.opensearch import OpenSearchBackend
    from search.synonyms import current_synonyms

    made = []

    def make(alias: str | None = None, **options) -> OpenSearchBackend:
        alias = alias or f"test-{uuid4().hex[:12]}"
        options.setdefault("refresh", True)
        options.setdefault("synonyms", current_synonyms)
        backend = OpenSearchBackend(search_cluster, alias, **options)
        made.append(backend)
        return backend

    yield make
    for backend in made:
        for name in backend.client.indices.get_alias(index=f"{backend.alias}-*"):
            backend.client.indices.delete(index=name, ignore_unavailable=True)
        backend.client.close()


@pytest.fixture(params=["database", "embedded", pytest.param("opensearch", marks=pytest.mark.opensearch)])
def backend(request, app, tmp_path, monkeypatch):
    """Each backend in turn, answering from an empty index (the database backend reads the tables)."""
    # the app's own index is not the one under test: keeping it in sync would only cost time
    monkeypatch.setitem(app.config, "SEARCH_SYNC_DISABLED", True)
    if request.param == "database":
        from search.sql import SqlBackend

        return SqlBackend()
    if request.param == "embedded":
        from search.embedded import EmbeddedBackend
        from search.synonyms import current_synonyms

        return EmbeddedBackend(tmp_path / "search", synonyms=current_synonyms)
    backend = request.getfixturevalue("make_opensearch_backend")()
    backend.rebuild(iter(()))  # an empty index behind the alias, as after `market reindex` of nothing
    return backend


@pytest.fixture
def put(backend):
    """Index these datasets into the backend under test, the way the after-commit hook does."""

    def put(*datasets) -> None:
        backend.index([dataset_document(ds) for ds in datasets])

    return put
