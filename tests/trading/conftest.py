"""A real Stripe-API server (localstripe) on 127.0.0.1 for the trading tests, and an app configured for it."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

WEBHOOK_SECRET = "whsec_test_market_0123456789"
LAUNCH = """
import localstripe.resources as r
r.Store.dump_to_disk = lambda self: None  # no pickle file in the temp folder
from localstripe.server import app
from aiohttp import web
web.run_app(app, host="127.0.0.1", port={port}, print=None)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def localstripe_url():
    pytest.importorskip("localstripe")
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-c", LAUNCH.format(port=port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"localstripe did not start: {proc.stderr.read().decode()[-2000:]}")
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()  # by PID: the process this fixture started
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stderr.close()


@pytest.fixture
def stripe_app(app, localstripe_url):
    """The test app with payments on (a test key, localstripe as API base, a webhook secret), and an empty
    localstripe (the database is emptied after each test; the provider's records must go too)."""
    urllib.request.urlopen(urllib.request.Request(f"{localstripe_url}/_config/data", method="DELETE"), timeout=10)
    before = app.config["MARKET"]
    app.config["MARKET"] = dataclasses.replace(before, stripe_api_key="sk_test_market", stripe_api_base=localstripe_url,
                                               stripe_webhook_secret=WEBHOOK_SECRET)
    app.extensions.pop("trading.provider", None)
    yield app
    app.config["MARKET"] = before
    app.extensions.pop("trading.provider", None)


def sign(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """A Stripe-Signature header, made the way Stripe makes it: t=<unix time>,v1=HMAC-SHA256(secret, "t.payload")."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def event(event_id: str, type_: str, obj: dict) -> bytes:
    return json.dumps({"id": event_id, "object": "event", "type": type_, "api_version": "2024-06-20",
                       "created": int(time.time()), "data": {"object": obj}}).encode()


@pytest.fixture
def post_event(client):
    def post(event_id: str, type_: str, obj: dict, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None):
        body = event(event_id, type_, obj)
        return client.post("/api/v1/payments/webhook", data=body, content_type="application/json",
                           headers={"Stripe-Signature": sign(body, secret, timestamp)})

    return post
