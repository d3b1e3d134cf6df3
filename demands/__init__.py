"""Demand channel (数据需求) and quality objections (数据异议).

Anyone signed in posts a demand for data the catalog lacks; the platform suggests the owning
departments, an operator routes it, others add "me too", the owner answers with a standard outcome,
and publishing an entry linked to the demand closes it and tells everyone who asked. Objections
against an entry, a data item or a delivered copy go to the owner with a deadline; a correction is
announced to every holder of the data, and the objection history gives each entry a quality score.
See docs/demands.md.
"""

from __future__ import annotations

from flask import Flask


def _on_dataset_published(sender, actor=None, **_kwargs) -> None:
    from .services import on_dataset_published

    on_dataset_published(sender, actor=actor)


def due_job(now):
    """Demand and objection reminders and escalation (demands.deadlines.run_due)."""
    from .deadlines import run_due

    run = run_due(now)
    return f"{len(run.reminded)} reminders, {len(run.escalated)} escalations"


def _quality(ds):
    from .quality import page_quality

    return page_quality(ds.id)


def _active_grant(ds):
    """The signed-in user's active grant of ``ds`` (for objections to a delivered copy), or None."""
    from flask_login import current_user
    from sqlalchemy import select

    from market.db import db
    from orders.models import Grant, RequestLine
    from orders.state import LineState

    if not getattr(current_user, "is_authenticated", False):
        return None
    return db.session.scalar(select(Grant).join(RequestLine, RequestLine.id == Grant.line_id)
                             .where(Grant.dataset_id == ds.id, Grant.user_id == current_user.id,
                                    RequestLine.state == LineState.granted).order_by(Grant.id.desc()).limit(1))


def init_app(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from catalog.services import dataset_published
    from jobs import register_periodic
    from market.nav import NavItem, register_nav, register_slot

    from .api import bp as api_bp
    from .views import bp as views_bp

    app.register_blueprint(views_bp)
    app.register_blueprint(api_bp)
    dataset_published.connect(_on_dataset_published)
    register_periodic("demands.deadlines", due_job, 15)

    register_nav(
        app,
        NavItem("demands.index", _l("数据需求"), place="zone", roles="authenticated", order=30),
        NavItem("demands.objection_list", _l("数据异议"), place="user", roles="authenticated", order=50),
    )
    app.jinja_env.globals.update(demand_quality=_quality, demand_active_grant=_active_grant)
    register_slot(app, "dataset.aside", "demands/_quality_panel.html", order=50)
    register_slot(app, "cart.after", "demands/_cart_panel.html", order=50)
