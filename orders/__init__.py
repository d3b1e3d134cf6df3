"""Orders aggregate: cart (数据篮), access requests (数据申请), approvals (审批) and grants (授权)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from .api import bp as api_bp
    from .views import bp as views_bp

    app.register_blueprint(views_bp)
    app.register_blueprint(api_bp)
