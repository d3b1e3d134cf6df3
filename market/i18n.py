"""Chinese first, English on request (?lang=en or the switcher, remembered in the session)."""

from __future__ import annotations

from flask import Flask, has_request_context, request, session
from flask_babel import Babel, get_locale

from catalog.vocab import label

LOCALES = ("zh", "en")


def select_locale() -> str:
    if not has_request_context():  # CLI commands and jobs: gettext in an app context must not fail
        return "zh"
    lang = request.args.get("lang")
    if lang in LOCALES:
        session["lang"] = lang
        return lang
    return session.get("lang") if session.get("lang") in LOCALES else "zh"


def init_app(app: Flask) -> None:
    from . import ROOT

    Babel(app, locale_selector=select_locale, default_translation_directories=str(ROOT / "translations"))

    @app.context_processor
    def vocab():
        def vlabel(kind: str, value) -> str:
            return label(kind, value, str(get_locale() or "zh"))

        def role_label(role) -> str:
            from .auth.models import ROLE_LABELS

            value = str(getattr(role, "value", role))
            zh, en = ROLE_LABELS.get(value, (value, value))
            return en if str(get_locale() or "zh") == "en" else zh

        return {"vlabel": vlabel, "role_label": role_label, "current_locale": lambda: str(get_locale() or "zh")}
