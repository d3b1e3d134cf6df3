"""Create notifications, read them, and deliver the e-mail outbox."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import unquote, urlparse

from flask import current_app
from sqlalchemy import func, select, update

from market.db import db, utcnow

from .models import Notification, OutboxEmail

MAX_ATTEMPTS = 8
SUBJECT_MAX = 300


def notify(users: Iterable, kind: str, subject: str, body: str = "", link: str = "", *,
           email: bool = True) -> list[Notification]:
    """Tell each user (deduplicated, inactive accounts skipped) about an event, in the caller's transaction.

    ``users`` are User objects (or None, skipped). A user with an e-mail address also gets the message in
    the outbox when ``email`` is true. Nothing is committed here.
    """
    seen: set[int] = set()
    made: list[tuple[Notification, str]] = []
    subject = subject[:SUBJECT_MAX]
    for user in users:
        if user is None or user.id in seen or not getattr(user, "active", True):
            continue
        seen.add(user.id)
        note = Notification(user_id=user.id, kind=kind, subject=subject, body=body, link=link)
        db.session.add(note)
        made.append((note, getattr(user, "email", "") if email else ""))
    if made:
        db.session.flush()
        text = _email_body(body, link)
        db.session.add_all(OutboxEmail(notification_id=note.id, to_addr=addr, subject=subject, body=text)
                           for note, addr in made if addr)
        db.session.flush()
    return [note for note, _ in made]


def _email_body(body: str, link: str) -> str:
    settings = current_app.config["MARKET"]
    parts = [body.strip()] if body.strip() else []
    if link:
        parts.append(settings.base_url + link)
    parts.append("—\n公共数据资源超市 Public Data Resource Supermarket")
    return "\n\n".join(parts)


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def list_notifications(user, *, unread_only: bool = False, page: int = 1, per_page: int = 30
                       ) -> tuple[list[Notification], int]:
    query = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(query.order_by(Notification.id.desc())
                              .limit(per_page).offset((page - 1) * per_page)).all()
    return list(rows), total


def mark_read(user, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (all of them when ``ids`` is None); returns how many changed.
    Ids of other users' notifications are ignored, never an error that would reveal they exist."""
    stmt = (update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
            .values(read_at=utcnow()))
    if ids is not None:
        ids = [int(i) for i in ids][:500]
        if not ids:
            return 0
        stmt = stmt.where(Notification.id.in_(ids))
    return db.session.execute(stmt.execution_options(synchronize_session=False)).rowcount or 0


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    waiting: int = 0  # still in the outbox (not configured, or backing off)
    configured: bool = True


def send_outbox(limit: int = 200, *, connect=None) -> SendReport:
    """Hand due outbox e-mails to SMTP. Without ``MARKET_SMTP_URL`` nothing is sent and the mails wait.

    Each mail is committed on its own: a crash mid-batch never sends one twice or loses one. A failure is
    retried with exponential back-off up to MAX_ATTEMPTS, keeping the last error for the operator.
    ``connect`` (tests) returns an object with ``send_message`` and ``quit`` instead of a real SMTP session.
    """
    settings = current_app.config["MARKET"]
    report = SendReport()
    due_q = select(OutboxEmail).where(OutboxEmail.sent_at.is_(None), OutboxEmail.attempts < MAX_ATTEMPTS,
                                      OutboxEmail.next_attempt_at <= utcnow())
    report.waiting = db.session.scalar(select(func.count()).select_from(due_q.subquery())) or 0
    if not settings.smtp_url and connect is None:
        report.configured = False
        return report
    due = db.session.scalars(due_q.order_by(OutboxEmail.id).limit(limit)).all()
    if not due:
        return report
    session = (connect or _smtp_connect)(settings.smtp_url)
    try:
        for mail in due:
            msg = EmailMessage()
            msg["From"] = settings.mail_from
            msg["To"] = mail.to_addr
            msg["Subject"] = mail.subject
            msg.set_content(mail.body)
            mail.attempts += 1
            try:
                session.send_message(msg)
            except (smtplib.SMTPException, OSError) as exc:
                mail.last_error = f"{type(exc).__name__}: {exc}"[:1000]
                mail.next_attempt_at = utcnow() + timedelta(minutes=2 ** mail.attempts)
                report.failed += 1
            else:
                mail.sent_at = utcnow()
                mail.last_error = ""
                report.sent += 1
            db.session.commit()
    finally:
        try:
            session.quit()
        except (smtplib.SMTPException, OSError):
            pass
    report.waiting = max(0, report.waiting - report.sent)
    return report


def _smtp_connect(url: str):
    parts = urlparse(url)
    if parts.scheme == "smtps":
        session = smtplib.SMTP_SSL(parts.hostname, parts.port or 465, timeout=30,
                                   context=ssl.create_default_context())
    else:
        session = smtplib.SMTP(parts.hostname, parts.port or 587, timeout=30)
        session.ehlo()
        if session.has_extn("starttls"):
            session.starttls(context=ssl.create_default_context())
            session.ehlo()
    if parts.username:
        session.login(unquote(parts.username), unquote(parts.password or ""))
    return session
