"""Secrets never reach the logs: a sign-in, a Bearer token, an API key and a bad sign-in are run with every
logger at DEBUG and the captured records (message and arguments) are searched for the secrets."""

from __future__ import annotations

import logging

from tests.conftest import csrf_token

PASSWORD = "S3cret-Passw0rd!"


def test_password_token_and_api_key_never_logged(app, client, make_user, caplog):
    user = make_user("requester", password=PASSWORD)
    caplog.set_level(logging.DEBUG)
    token = csrf_token(client, "/login")
    assert client.post("/login", data={"username": user.username, "password": "wrong-" + PASSWORD,
                                       "csrf_token": token}).status_code in (200, 401, 422)
    token = csrf_token(client, "/login")
    assert client.post("/login", data={"username": user.username, "password": PASSWORD,
                                       "csrf_token": token}).status_code == 302
    client = app.test_client()  # a script, not the browser session
    resp = client.post("/api/v1/auth/token", json={"username": user.username, "password": PASSWORD})
    assert resp.status_code == 201
    bearer = resp.get_json()["token"]
    headers = {"Authorization": f"Bearer {bearer}"}
    resp = client.post("/api/v1/api-keys", json={"name": "日志测试"}, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    secret = next(v for k, v in resp.get_json().items() if k in ("secret", "key", "api_key"))
    assert client.get("/api/v1/api-keys", headers={"X-API-Key": secret}).status_code in (200, 401, 403)
    assert client.get("/api/v1/datasets", headers={"X-API-Key": secret + "x"}).status_code < 500
    logged = "\n".join(f"{r.getMessage()} {r.args!r} {getattr(r, '__dict__', {})!r}" for r in caplog.records)
    # the audit trail is a log too: every event's payload, as stored
    import json

    from audit.models import AuditEvent
    from market.db import db

    events = db.session.scalars(db.select(AuditEvent)).all()
    assert any("api_key" in e.action for e in events), [e.action for e in events]  # the key creation is audited
    logged += "\n".join(json.dumps(e.payload, ensure_ascii=False) for e in events)
    for value in (PASSWORD, bearer, secret):
        assert value not in logged, "a secret reached the logs"
        assert value[:12] not in logged or len(value) < 16  # not even a long prefix

