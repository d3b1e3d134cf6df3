"""Chinese first, English on request (?lang=en or the switcher, remembered in the session)."""

from __future__ import annotations

from flask import Flask, g, has_app_context, has_request_context, request, session
from flask_babel import Babel, get_locale, get_translations
from jinja2 import pass_context
from markupsafe import Markup

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


def _translations():
    """The Translations of the current locale, resolved once per request (app context) and locale.

    Flask-Babel's own template callables look up the domain, the locale and its cache key on every call
    (about 145 calls per product page); here the object is kept on ``g`` next to the locale it belongs
    to, so ``?lang=`` and ``flask_babel.refresh()`` (a new locale object) still switch at once."""
    if not has_app_context():
        return get_translations()
    locale = get_locale()
    hit = getattr(g, "_market_translations", None)
    if hit is not None and hit[0] is locale:
        return hit[1]
    translations = get_translations()
    g._market_translations = (locale, translations)
    return translations


def _finish(context, text: str, variables: dict):
    """What Jinja's newstyle gettext does with a translation: Markup when autoescaping, always %-format."""
    if context.eval_ctx.autoescape:
        text = Markup(text)
    return text % variables


def _callables(get_translations_) -> dict:
    """Template ``_``/``gettext``/``ngettext``/``pgettext``/``npgettext`` reading their messages from
    ``get_translations_()`` (same newstyle semantics as Jinja's: autoescape-safe, %-formatting)."""

    @pass_context
    def gettext(context, string: str, **variables):
        return _finish(context, get_translations_().ugettext(string), variables)

    @pass_context
    def ngettext(context, singular: str, plural: str, num: int, **variables):
        variables.setdefault("num", num)
        return _finish(context, get_translations_().ungettext(singular, plural, num), variables)

    @pass_context
    def pgettext(context, msgctxt: str, string: str, **variables):
        variables.setdefault("context", msgctxt)
        return _finish(context, get_translations_().upgettext(msgctxt, string), variables)

    @pass_context
    def npgettext(context, msgctxt: str, singular: str, plural: str, num: int, **variables):
        variables.setdefault("context", msgctxt)
        variables.setdefault("num", num)
        return _finish(context, get_translations_().unpgettext(msgctxt, singular, plural, num), variables)

    return {"_": gettext, "gettext": gettext, "ngettext": ngettext, "pgettext": pgettext, "npgettext": npgettext}


def install_jinja_gettext(app: Flask) -> None:
    """Replace the template ``_``/``gettext``/``ngettext``/… that Flask-Babel installed (same newstyle
    semantics: autoescape-safe, %-formatting with keyword arguments) with ones that resolve the
    translations once per request; ``_`` calls the function directly instead of via Jinja's alias.

    Each ``render_template`` also gets callables bound to the translations of that moment (a context
    processor), so the ~145 messages of a product page do not each look up the request's locale;
    macros imported without context fall back to the globals."""
    app.jinja_env.globals.update(_callables(_translations))

    @app.context_processor
    def _bound():
        translations = _translations()
        return _callables(lambda: translations)


def init_app(app: Flask) -> None:
    from . import ROOT

    Babel(app, locale_selector=select_locale, default_translation_directories=str(ROOT / "translations"))
    install_jinja_gettext(app)

    @app.context_processor
    def vocab():
        # the locale of this render, named once (dname() and vlabel() run for every name on a page)
        locale = str(get_locale() or "zh")

        def vlabel(kind: str, value) -> str:
            return label(kind, value, locale)

        def role_label(role) -> str:
            from .auth.models import ROLE_LABELS

            value = str(getattr(role, "value", role))
            zh, en = ROLE_LABELS.get(value, (value, value))
            return en if locale == "en" else zh

        return {"vlabel": vlabel, "role_label": role_label, "current_locale": lambda: locale}
