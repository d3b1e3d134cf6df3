"""Public Data Resource Supermarket (公共数据资源超市): the app factory. It only wires."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build the WSGI app from ``MARKET_*`` settings (or ``test_config`` overrides)."""
    import importlib

    from flask_wtf.csrf import CSRFProtect

    from . import auth, faults, i18n, nav, pagecache, security
    from .config import Settings
    from .db import db
    from .errors import register_error_handlers
    from .features import FEATURE_PACKAGES
    from .models import import_all_models

    import_all_models()
    faults.install_from_env()  # crash tests only; a no-op unless MARKET_FAULT_KILL_SQL is set
    test_config = dict(test_config or {})
    settings = test_config.pop("MARKET", None) or Settings.from_env()
    app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"),
                instance_path=str(settings.data_dir))
    app.config.update(settings.flask_config())
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # checked in security.csrf_guard (Bearer calls exempt)
    app.config.update(test_config)

    db.init_app(app)
    csrf = CSRFProtect(app)
    app.extensions["market.csrf"] = csrf
    auth.init_app(app)
    i18n.init_app(app)
    nav.init_app(app)
    pagecache.init_app(app)
    security.init_app(app)
    register_error_handlers(app)
    for name in FEATURE_PACKAGES:
        init = getattr(importlib.import_module(name), "init_app", None)
        if init is not None:
            init(app)

    from .api import bp as api_bp
    from .auth.api import bp as auth_api_bp
    from .auth.views import bp as auth_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(auth_api_bp)
    app.register_blueprint(api_bp)
    return app
