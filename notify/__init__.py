"""Notifications (消息): an in-app inbox for every party at every transition, and e-mail through an outbox.

Other packages call :func:`notify.services.notify` inside their own transaction; the rows commit (or roll
back) with the change they announce. E-mails wait in the outbox until ``market notify send`` (or the job
queue) hands them to SMTP when ``MARKET_SMTP_URL`` is set.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from market.nav import NavItem, register_nav

    from .api import bp as api_bp
    from .views import bp as views_bp

    app.register_blueprint(views_bp)
    app.register_blueprint(api_bp)

    def unread() -> int:
        from flask_login import current_user

        from .services import unread_count

        return unread_count(current_user) or None  # no badge when nothing is unread

    register_nav(app, NavItem("notify.inbox", _l("消息"), place="user", roles="authenticated", order=90,
                              badge=unread, css_class="notify-link"))
