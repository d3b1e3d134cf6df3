"""Recommendation panels (product page, cart, home) and the scenario bundles pages."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from catalog.permissions import can_view, request_block_reason
from market.auth import require_roles
from market.auth.models import Role
from market.db import db
from market.errors import MarketError
from orders.permissions import can_shop
from orders.services import add_to_cart

from . import bundles as bundle_services
from . import services

bp = Blueprint("recs", __name__)
PANEL_SIZE = {"dataset": 6, "cart": 6, "home": 8}


def _bundle_view(bundle, held: set[int]) -> dict:
    """A bundle as the current user sees it: the entries they may view, each with its status."""
    items = []
    for bi in bundle.items:
        ds = bi.dataset
        if not can_view(ds, current_user):
            continue
        block = request_block_reason(ds, current_user)
        items.append({"ds": ds, "note": bi.note, "held": ds.id in held, "block_reason": block})
    addable = [i for i in items if not i["held"] and i["block_reason"] is None]
    return {"bundle": bundle, "items": items, "addable": len(addable)}


def slot_context(kind: str, ds=None, lines=None) -> dict:
    """Data for a recommendation panel: ``kind`` is dataset, cart or home."""
    user = current_user._get_current_object()  # resolved once: the checks below ask for it per candidate
    held = services.held_ids(user)
    if kind == "dataset":
        recs = services.for_dataset(ds, user, k=PANEL_SIZE[kind], held=held)
        bundles = bundle_services.bundles_with([ds.id], limit=2)
    elif kind == "cart":
        ids = [cl.item.dataset_id for cl in (lines or [])]
        recs = services.for_cart(user, ids, k=PANEL_SIZE[kind], held=held)
        bundles = bundle_services.bundles_with(ids, limit=2)
    else:
        recs = services.for_user(user, k=PANEL_SIZE[kind], held=held)
        bundles = []
    return {"recs": recs, "bundles": [_bundle_view(b, held) for b in bundles], "can_shop": can_shop(user)}


@bp.get("/bundles")
def bundles():
    rows = bundle_services.list_bundles(include_inactive=getattr(current_user, "is_operator", False))
    held = services.held_ids(current_user)
    return render_template("recs/bundles.html", bundles=[_bundle_view(b, held) for b in rows],
                           can_shop=can_shop(current_user))


@bp.post("/bundles/<int:bundle_id>/cart")
@require_roles(Role.requester, Role.officer)
def add_bundle(bundle_id: int):
    """Put every entry of the bundle the user may request and does not hold yet into the cart."""
    bundle = bundle_services.get_bundle(bundle_id)
    view = _bundle_view(bundle, services.held_ids(current_user))
    added, skipped = 0, 0
    for item in view["items"]:
        if item["held"] or item["block_reason"]:
            skipped += 1
            continue
        try:
            add_to_cart(current_user, item["ds"].id)
            added += 1
        except MarketError:
            skipped += 1
    db.session.commit()
    if added:
        flash(_("已把“%(b)s”的 %(n)s 项加入数据篮。", b=bundle.name, n=added), "success")
    if skipped:
        flash(_("%(n)s 项未加入：已拥有、正在申请，或您不能申请。", n=skipped), "info")
    return redirect(url_for("orders.cart"))


def _form_codes() -> list[str]:
    raw = request.form.get("datasets", "")[:5000]
    return [c for c in raw.replace("，", ",").replace(",", "\n").split() if c]


@bp.route("/bundles/new", methods=["GET", "POST"])
@require_roles(Role.operator)
def new_bundle():
    return _edit(None)


@bp.route("/bundles/<int:bundle_id>/edit", methods=["GET", "POST"])
@require_roles(Role.operator)
def edit_bundle(bundle_id: int):
    return _edit(bundle_services.get_bundle(bundle_id))


def _edit(bundle):
    values = {"name": bundle.name if bundle else "", "description": bundle.description if bundle else "",
              "datasets": "\n".join(i.dataset.code for i in bundle.items) if bundle else "",
              "active": bundle.active if bundle else True}
    errors = {}
    if request.method == "POST":
        values = {"name": request.form.get("name", "")[:200], "description": request.form.get("description", "")[:2000],
                  "datasets": request.form.get("datasets", "")[:5000], "active": request.form.get("active") == "on"}
        try:
            saved = bundle_services.save_bundle(bundle, user=current_user, name=values["name"],
                                                description=values["description"], codes=_form_codes(),
                                                active=values["active"])
            db.session.commit()
            flash(_("场景套餐“%(n)s”已保存。", n=saved.name), "success")
            return redirect(url_for("recs.bundles", _anchor=f"bundle-{saved.id}"))
        except MarketError as exc:
            db.session.rollback()
            errors = exc.fields or {}
            flash(exc.message, "error")
    return render_template("recs/bundle_form.html", bundle=bundle, values=values, errors=errors), \
        422 if errors else 200


@bp.post("/bundles/<int:bundle_id>/delete")
@require_roles(Role.operator)
def delete_bundle(bundle_id: int):
    bundle = bundle_services.get_bundle(bundle_id)
    name = bundle.name
    bundle_services.delete_bundle(bundle, user=current_user)
    db.session.commit()
    flash(_("场景套餐“%(n)s”已删除。", n=name), "success")
    return redirect(url_for("recs.bundles"))
