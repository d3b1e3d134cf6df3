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


# Template slots: places in shared pages where feature packages add a panel without editing the page.
# A page renders ``{% for t in slot('dataset.aside') %}{% include t %}{% endfor %}``; the included template
# sees the page's context (e.g. ``ds`` on the product page, ``lines`` on the cart page).
SLOTS = {
    "dataset.main": "product page, main column after the sample rows (context: ds, can_request)",
    "dataset.aside": "product page, right column under the buy box (context: ds)",
    "dataset.after": "product page, full width after the main columns (context: ds)",
    "home.main": "home page, first shelf (context: current_user)",
    "cart.after": "cart page, after the lines (context: cart, lines)",
    "request.after": "request detail page, after the lines (context: req, lines)",
}


def register_slot(app: Flask, slot: str, template: str, order: int = 100) -> None:
    if slot not in SLOTS:
        raise ValueError(f"unknown template slot {slot!r}; known: {', '.join(SLOTS)}")
    app.extensions.setdefault("market.slots", []).append((slot, order, template))


def init_app(app: Flask) -> None:
    app.extensions.setdefault("market.nav", [])

    @app.context_processor
    def _nav():
        def nav_items(place: str) -> list[dict]:
            items = sorted((i for i in app.extensions["market.nav"] if i.place == place), key=lambda i: i.order)
            packages = [i.endpoint.partition(".")[0] for i in items]

            def matches(i: NavItem) -> bool:
                return request.endpoint == i.endpoint and all(request.args.get(k) == v for k, v in i.values)

            # of several links to one page (全部数据 / 开放数据), only the most specific that matches is current
            best = max((i for i in items if matches(i)), key=lambda i: len(i.values), default=None)
            out = []
            for item, package in zip(items, packages, strict=True):
                if not item.visible():
                    continue
                out.append({
                    "href": url_for(item.endpoint, **dict(item.values)),
                    "label": str(item.label),
                    # a package's only zone stays current on all its pages (知识库 on an article page)
                    "current": item is best or (
                        place == "zone" and packages.count(package) == 1 and request.blueprint == package),
                    "badge": item.badge() if item.badge else None,
                    "css_class": item.css_class,
                })
            return out

        def slot(name: str) -> list[str]:
            return [t for s, _o, t in sorted(app.extensions.get("market.slots", []), key=lambda x: x[1])
                    if s == name]

        return {"nav_items": nav_items, "slot": slot}
