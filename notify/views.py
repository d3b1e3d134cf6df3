"""The message inbox page (消息)."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from market.auth import login_required
from market.db import db
from market.security import is_safe_path

from .models import Notification
from .services import list_notifications, mark_read

bp = Blueprint("notify", __name__)
PER_PAGE = 30


@bp.get("/notifications")
@login_required
def inbox():
    unread_only = request.args.get("unread") == "1"
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), 10_000)
    rows, total = list_notifications(current_user, unread_only=unread_only, page=page, per_page=PER_PAGE)
    pages = max(1, -(-total // PER_PAGE))
    return render_template("notify/inbox.html", rows=rows, total=total, page=page, pages=pages,
                           unread_only=unread_only)


@bp.post("/notifications/read")
@login_required
def read_all():
    changed = mark_read(current_user)
    db.session.commit()
    from flask import flash

    flash(_("已将 %(n)s 条消息标为已读。", n=changed), "success")
    return redirect(url_for("notify.inbox"))


@bp.post("/notifications/<int:note_id>/open")
@login_required
def open_note(note_id: int):
    """Mark one message read and go to what it is about (only a site-relative link is followed)."""
    note = db.session.get(Notification, note_id)
    if note is None or note.user_id != current_user.id:
        abort(404)
    mark_read(current_user, [note.id])
    db.session.commit()
    link = note.link if is_safe_path(note.link) else ""
    return redirect(link or url_for("notify.inbox"))
