"""Passwords, authentication with throttling, and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import delete, func, select

from catalog.models import Department
from market.db import db, utcnow
from market.errors import TooManyRequests, ValidationFailed

from .models import ApiToken, LoginFailure, Role, User

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")
EMAIL_RE = re.compile(r"^[^@\s<>]{1,64}@[A-Za-z0-9.-]{1,185}\.[A-Za-z]{2,}$")
MIN_PASSWORD = 8


def _hasher() -> PasswordHasher:
    settings = current_app.config["MARKET"]
    return PasswordHasher(time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_cost)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def check_password_policy(password: str) -> str | None:
    """Return why ``password`` is refused, or None."""
    if len(password) < MIN_PASSWORD:
        return f"at least {MIN_PASSWORD} characters"
    if password.isdigit() or password.isalpha():
        return "mix letters with digits or symbols"
    return None


def create_user(username: str, password: str, role: str, *, department_code: str | None = None,
                display_name: str = "", email: str = "") -> User:
    """Create an account; raise ValidationFailed naming each bad field."""
    errors: dict[str, list[str]] = {}
    if not USERNAME_RE.match(username or ""):
        errors["username"] = ["3–64 letters, digits, '.', '_' or '-'"]
    elif db.session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        errors["username"] = [f"'{username}' is taken"]
    if why := check_password_policy(password or ""):
        errors["password"] = [why]
    try:
        role_value = Role(role)
    except ValueError:
        errors["role"] = [f"one of {', '.join(r.value for r in Role)}"]
        role_value = None
    department = None
    if department_code:
        department = db.session.scalar(select(Department).where(Department.code == department_code))
        if department is None:
            errors["department"] = [f"no department with code '{department_code}'"]
    elif role_value in (Role.requester, Role.officer):
        errors["department"] = ["department staff (requester, officer) need a department"]
    if email and not EMAIL_RE.match(email):
        errors["email"] = [f"'{email}' is not an e-mail address"]
    if errors:
        raise ValidationFailed("The account was not created: " + "; ".join(
            f"{k}: {v[0]}" for k, v in errors.items()), fields=errors)
    user = User(username=username, password_hash=hash_password(password), role=role_value,
                department=department, display_name=display_name or username, email=email)
    db.session.add(user)
    db.session.flush()
    return user


def _throttle_key(username: str, address: str) -> str:
    return f"{(username or '').strip().lower()}|{address}"[:200]


def authenticate(username: str, password: str, *, address: str) -> User | None:
    """Return the user if the credentials match; count failures and refuse with 429 when throttled.

    Failures are stored rows (not process memory) so every worker enforces the same limit.
    """
    settings = current_app.config["MARKET"]
    key = _throttle_key(username, address)
    since = utcnow() - timedelta(seconds=settings.login_window_seconds)
    failures = db.session.scalar(
        select(func.count()).select_from(LoginFailure).where(LoginFailure.key == key, LoginFailure.at >= since))
    if failures >= settings.login_max_failures:
        raise TooManyRequests(
            f"Too many failed logins for this account from your address; wait "
            f"{settings.login_window_seconds // 60 or 1} minutes and try again.", code="login_throttled")
    user = db.session.scalar(select(User).where(func.lower(User.username) == (username or "").strip().lower()))
    ok = False
    if user is not None and user.active:
        try:
            ok = _hasher().verify(user.password_hash, password or "")
        except (VerificationError, InvalidHashError):
            ok = False
    else:
        _hasher().hash("timing-equaliser")  # keep unknown users as slow as wrong passwords
    if not ok:
        db.session.add(LoginFailure(key=key))
        db.session.commit()  # a failure must count even though the request ends in an error
        return None
    db.session.execute(delete(LoginFailure).where(LoginFailure.key == key))
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def issue_token(user: User) -> str:
    """Create an API token for ``user`` and return its clear text (shown once)."""
    token = secrets.token_urlsafe(32)
    ttl = current_app.config["MARKET"].token_ttl_days
    db.session.add(ApiToken(user=user, token_hash=_digest(token), expires_at=utcnow() + timedelta(days=ttl)))
    return token


def revoke_token(token: str) -> None:
    """Delete a token; logout uses it to end the server-side half of a cookie session."""
    db.session.execute(delete(ApiToken).where(ApiToken.token_hash == _digest(token)))


def user_for_token(token: str) -> User | None:
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if row is None or row.expires_at < utcnow() or not row.user.active:
        return None
    return row.user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
