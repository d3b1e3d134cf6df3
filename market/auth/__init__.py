"""Authentication: Flask-Login sessions, bearer tokens, and role checks used by every view."""

from __future__ import annotations

from functools import wraps

from flask import Flask, g, request, session
from flask_login import LoginManager, current_user

from market.errors import Forbidden, Unauthorized

from .models import Role, User

login_manager = LoginManager()


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def _load(user_id: str) -> User | None:
        # a cookie session counts only while its server-side token exists (logout deletes it)
        from .services import user_for_token

        sid = session.get("sid")
        user = user_for_token(sid) if isinstance(sid, str) and sid else None
        return user if user is not None and str(user.id) == user_id else None

    @login_manager.request_loader
    def _from_bearer(req) -> User | None:
        token = bearer_token()
        if token is None:
            return None
        from .services import user_for_token

        user = user_for_token(token)
        if user is not None:
            g.bearer_auth = True
        return user

    @login_manager.unauthorized_handler
    def _unauthorized():
        from flask import redirect, url_for

        if request.path.startswith("/api/"):
            raise Unauthorized("Log in or send 'Authorization: Bearer <token>' (POST /api/v1/auth/token).")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return None


def require_roles(*roles: Role):
    """View decorator: the caller must be logged in with one of ``roles`` (server-side check)."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if roles and current_user.role not in roles:
                raise Forbidden("Your role may not do this.", code="forbidden_role")
            return view(*args, **kwargs)

        return wrapper

    return decorator


login_required = require_roles()
