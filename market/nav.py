"""Portal navigation: each package registers its zones and personal links; base.html renders them.

Two places: ``zone`` links form the portal bar under the header (数据超市, 开放数据, 数据需求, 知识库, 规则库,
数据看板 …), ``user`` links sit in the account menu (数据篮, 我的申请, 审批待办, 消息 …). A link shows only for
the roles it names (``None`` = everyone, signed in or not; ``"authenticated"`` = anyone signed in).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, request, url_for
from flask_login import current_user


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object  # a lazy_gettext string: translated when rendered
    place: str = "zone"  # "zone" or "user"
    roles: tuple[str, ...] | str | None = None
    order: int = 100
    badge: Callable[[], object] | None = None  # e.g. unread count (None = no badge); called only when shown
    css_class: str = ""
    values: tuple[tuple[str, str], ...] = ()

    def visible(self) -> bool:
        if self.roles is None:
            return True
        if not getattr(current_user, "is_authenticated", False):
            return False
        if self.roles == "authenticated":
            return True
        return current_user.role.value in self.roles


def register_nav(app: Flask, *items: NavItem) -> None:
    app.extensions.setdefault("market.nav", []).extend(items)


def init_app(app: Flask) -> None:
    app.extensions.setdefault("market.nav", [])

    @app.context_processor
    def _nav():
        def nav_items(place: str) -> list[dict]:
            items = sorted((i for i in app.extensions["market.nav"] if i.place == place), key=lambda i: i.order)
            out = []
            for item in items:
                if not item.visible():
                    continue
                out.append({
                    "href": url_for(item.endpoint, **dict(item.values)),
                    "label": str(item.label),
                    "current": request.endpoint == item.endpoint,
                    "badge": item.badge() if item.badge else None,
                    "css_class": item.css_class,
                })
            return out

        return {"nav_items": nav_items}
