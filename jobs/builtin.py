"""Periodic jobs of packages that do not register their own (notify is older than the queue)."""

from __future__ import annotations

from .registry import register_periodic


def send_outbox(now):
    """Send due e-mails from the outbox (when MARKET_SMTP_URL is set)."""
    from notify.services import send_outbox as send

    report = send()
    if not report.configured:
        return f"SMTP not configured; {report.waiting} waiting"
    return f"{report.sent} sent, {report.failed} failed, {report.waiting} waiting"


def register() -> None:
    register_periodic("notify.outbox", send_outbox, 1)
