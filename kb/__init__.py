"""Knowledge base (知识库): policies, standards, guides and case studies in safely rendered Markdown, with
attachments; managed by operators, readable by everyone."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from market.nav import NavItem, register_nav

    from .views import bp

    app.register_blueprint(bp)
    register_nav(app, NavItem("kb.index", _l("知识库"), order=40))
