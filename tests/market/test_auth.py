"""Login, throttling, sessions, CSRF and API tokens."""

from datetime import timedelta

from sqlalchemy import select

from market.auth.models import ApiToken, LoginFailure, User
from market.db import db, utcnow
from tests.conftest import csrf_token


def post_login(client, username, password, token=None):
    token = token or csrf_token(client, "/login")
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def test_login_and_logout(client, make_user):
    user = make_user("requester")
    resp = post_login(client, user.username, "passw0rd!")
    assert resp.status_code == 302
    assert user.display_name in client.get("/").get_data(as_text=True)
    resp = client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert resp.status_code == 302
    assert "/login" in client.get("/").get_data(as_text=True)


def test_passwords_are_argon2_hashed(make_user):
    user = make_user("requester")
    assert user.password_hash.startswith("$argon2id$")
    assert "passw0rd!" not in user.password_hash


def test_wrong_password_is_a_clear_message(client, make_user):
    user = make_user("requester")
    resp = post_login(client, user.username, "wrong-password1")
    assert resp.status_code == 401
    assert "用户名或密码错误" in resp.get_data(as_text=True)


def test_empty_fields_name_the_field(client):
    resp = post_login(client, "", "")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "请输入用户名" in html and "请输入密码" in html


def test_login_without_csrf_token_is_refused(client, make_user):
    user = make_user("requester")
    resp = client.post("/login", data={"username": user.username, "password": "passw0rd!"})
    assert resp.status_code == 400
    assert "CSRF" in resp.get_data(as_text=True)


def test_logout_needs_post_with_csrf(client, make_user, login):
    login(make_user("requester"))
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/manage").status_code in (302, 403)  # still the same session


def test_throttling_after_repeated_failures(app, client, make_user):
    user = make_user("requester")
    limit = app.config["MARKET"].login_max_failures
    for _ in range(limit):
        assert post_login(client, user.username, "bad-passw0rd").status_code == 401
    resp = post_login(client, user.username, "passw0rd!")  # even the right password waits
    assert resp.status_code == 429
    assert "稍后再试" in resp.get_data(as_text=True)


def test_throttle_window_expires(app, client, make_user):
    user = make_user("requester")
    for _ in range(app.config["MARKET"].login_max_failures):
        post_login(client, user.username, "bad-passw0rd")
    old = utcnow() - timedelta(seconds=app.config["MARKET"].login_window_seconds + 1)
    db.session.execute(LoginFailure.__table__.update().values(at=old))
    db.session.commit()
    assert post_login(client, user.username, "passw0rd!").status_code == 302


def test_session_is_renewed_at_login(client, make_user):
    user = make_user("requester")
    client.get("/login")
    with client.session_transaction() as sess:
        sess["planted"] = "attacker"
    post_login(client, user.username, "passw0rd!")
    with client.session_transaction() as sess:
        assert "planted" not in sess


def test_open_redirect_is_ignored(client, make_user):
    user = make_user("requester")
    token = csrf_token(client, "/login")
    resp = client.post("/login", data={"username": user.username, "password": "passw0rd!", "csrf_token": token,
                                       "next": "//evil.example/x"})
    assert resp.status_code == 302
    assert "evil.example" not in resp.headers["Location"]


def test_inactive_user_cannot_log_in(client, make_user):
    user = make_user("requester")
    user.active = False
    db.session.commit()
    assert post_login(client, user.username, "passw0rd!").status_code == 401


# --- API tokens ---------------------------------------------------------------------------------
def test_token_grants_bearer_access(client, make_user):
    user = make_user("officer")
    resp = client.post("/api/v1/auth/token", json={"username": user.username, "password": "passw0rd!"})
    assert resp.status_code == 201
    token = resp.get_json()["token"]
    stored = db.session.scalar(select(ApiToken))
    assert token not in stored.token_hash  # only the digest is stored
    resp = client.post("/api/v1/datasets", headers={"Authorization": f"Bearer {token}"},
                       json={"title": "新目录", "share_attribute": "conditional", "open_attribute": "closed",
                             "level": 2})
    assert resp.status_code == 201, resp.get_json()


def test_token_with_bad_credentials(client, make_user):
    user = make_user("requester")
    resp = client.post("/api/v1/auth/token", json={"username": user.username, "password": "nope-nope1"})
    assert resp.status_code == 401
    assert resp.get_json()["error"]["code"] == "bad_credentials"


def test_token_request_validation(client):
    resp = client.post("/api/v1/auth/token", json={"username": "x"})
    assert resp.status_code == 422
    assert "password" in resp.get_json()["error"]["fields"]
    resp = client.post("/api/v1/auth/token", data="not json", content_type="text/plain")
    assert resp.status_code == 400
    assert resp.get_json()["error"]["code"] == "bad_json"


def test_expired_or_unknown_token_is_401(client, make_user, api_token):
    headers = api_token(make_user("officer"))
    db.session.execute(ApiToken.__table__.update().values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    resp = client.post("/api/v1/datasets", headers=headers, json={})
    assert resp.status_code == 401
    resp = client.post("/api/v1/datasets", headers={"Authorization": "Bearer made-up"}, json={})
    assert resp.status_code == 401
    assert resp.get_json()["error"]["code"] == "unauthorized"


def test_cookie_authenticated_api_write_needs_csrf(client, make_user, login):
    login(make_user("officer"))
    body = {"title": "新目录", "share_attribute": "conditional", "open_attribute": "closed", "level": 2}
    resp = client.post("/api/v1/datasets", json=body)
    assert resp.status_code == 400
    assert resp.get_json()["error"]["code"] == "csrf_failed"
    resp = client.post("/api/v1/datasets", json=body, headers={"X-CSRFToken": csrf_token(client)})
    assert resp.status_code == 201


def test_users_create_cli(runner, make_department):
    from market.cli import cli

    dept = make_department()
    result = runner.invoke(cli, ["users", "create", "alice", "--password", "s3cret-pass", "--role", "officer",
                                 "--department", dept.code])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User).where(User.username == "alice")).department_id == dept.id
    result = runner.invoke(cli, ["users", "create", "bob", "--password", "12345678", "--role", "requester"])
    assert result.exit_code != 0
    assert "password" in result.output and "department" in result.output
