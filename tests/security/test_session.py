"""Sessions and passwords: logout ends the session, the session cookie is locked down, password policy.
(Session renewal at login, login throttling and the CLI's password message are covered in
tests/market/test_auth.py.)"""

from __future__ import annotations

import pytest

from market.errors import ValidationFailed
from tests.conftest import csrf_token


def test_logout_ends_access_and_the_next_request_is_anonymous(client, login, make_user):
    login(make_user("requester"))
    assert client.get("/cart").status_code == 200
    resp = client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert resp.status_code == 302
    after = client.get("/cart")
    assert after.status_code == 302 and "/login" in after.headers["Location"]
    assert client.get("/api/v1/cart").status_code == 401


def test_session_cookie_is_httponly_and_samesite(client, make_user):
    user = make_user("requester")
    token = csrf_token(client, "/login")
    resp = client.post("/login", data={"username": user.username, "password": "passw0rd!", "csrf_token": token})
    cookie = next(v for k, v in resp.headers.items() if k == "Set-Cookie" and v.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("password, why", [("short1!", "at least 8"), ("12345678", "mix"),
                                           ("abcdefgh", "mix"), ("", "at least 8")])
def test_password_policy_refuses_weak_passwords(app, password, why):
    from market.auth.services import create_user

    with pytest.raises(ValidationFailed) as exc:
        create_user("weakling", password, "public")
    assert why in exc.value.fields["password"][0]



def test_a_copy_of_the_session_cookie_dies_at_logout(client, login, make_user):
    login(make_user("requester"))
    copied = client.get_cookie("session").value  # what a thief (or a shared computer) keeps
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    client.set_cookie("session", copied)
    resp = client.get("/cart")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert client.get("/api/v1/cart").status_code == 401


def test_logging_in_again_after_logout_works(client, login, make_user):
    user = login(make_user("requester"))
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    login(user)
    assert client.get("/cart").status_code == 200


@pytest.mark.parametrize("target", ["//evil.example/", "/\\evil.example", "/\\/evil.example", "https://evil.example/",
                                    "/\tevil", "javascript:alert(1)"])
def test_login_next_never_leaves_the_site(client, make_user, target):
    from tests.conftest import csrf_token

    user = make_user("requester")
    token = csrf_token(client, "/login")
    resp = client.post(f"/login?next={target}", data={"username": user.username, "password": "passw0rd!",
                                                      "csrf_token": token, "next": target})
    assert resp.status_code == 302
    location = resp.headers["Location"]
    assert location in ("/", "http://localhost/") or location.startswith("/") and "evil" not in location


def test_is_safe_path():
    from market.security import is_safe_path

    assert is_safe_path("/requests/7?x=1")
    for bad in ("", None, "//a", "/\\a", "http://a/", "/a\nb", "a/b"):
        assert not is_safe_path(bad)
