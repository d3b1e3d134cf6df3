"""Login and logout pages."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from market.db import db
from market.errors import TooManyRequests

from ..security import is_safe_path
from .services import authenticate, issue_token, revoke_token

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only follow same-site relative redirects (no open redirect)."""
    if is_safe_path(target):
        return target
    return url_for("catalog.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(_safe_next(request.args.get("next")))
        return render_template("auth/login.html", next=request.args.get("next", ""))
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    errors = {}
    if not username:
        errors["username"] = _("请输入用户名")
    if not password:
        errors["password"] = _("请输入密码")
    if errors:
        return render_template("auth/login.html", errors=errors, username=username,
                               next=request.form.get("next", "")), 400
    try:
        user = authenticate(username, password, address=request.remote_addr or "-")
    except TooManyRequests:
        return render_template("auth/login.html", username=username, next=request.form.get("next", ""),
                               errors={"form": _("登录失败次数过多，请稍后再试。")}), 429
    if user is None:
        return render_template("auth/login.html", username=username, next=request.form.get("next", ""),
                               errors={"form": _("用户名或密码错误。")}), 401
    lang = session.get("lang")
    session.clear()  # no session fixation: a fresh session after login
    if lang:
        session["lang"] = lang
    # the signed cookie alone cannot be revoked: it also carries a server-side token that logout deletes,
    # so a copy of the cookie taken before logout stops working (see market.auth user_loader)
    session["sid"] = issue_token(user)
    login_user(user)
    db.session.commit()
    flash(_("欢迎，%(name)s", name=user.display_name), "success")
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/logout", methods=["POST"])
def logout():
    if sid := session.get("sid"):
        revoke_token(sid)
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("您已退出登录。"), "info")
    return redirect(url_for("catalog.home"))
