"""Public applicants' identity page and the operators' verification queue; operator pages: harvest sources (目录级联) — add, schedule, pause, remove — and every source's
recent runs with their reports."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from market.auth import require_roles
from market.auth.models import Role
from market.db import db
from market.errors import MarketError

from . import applicants
from .harvest import schedule
from .models import ApplicantKind, ApplicantStatus, HarvestSource, PublicApplicant

bp = Blueprint("opendata", __name__)


@bp.get("/harvest/sources")
@require_roles(Role.operator)
def harvest_sources():
    sources = list(db.session.scalars(select(HarvestSource).order_by(HarvestSource.id)))
    runs = schedule.recent_runs([s.id for s in sources])
    return render_template("opendata/harvest_sources.html", sources=sources, runs=runs,
                           next_run_at=schedule.next_run_at, form=request.args,
                           min_interval=schedule.MIN_INTERVAL, max_interval=schedule.MAX_INTERVAL,
                           default_interval=schedule.DEFAULT_INTERVAL)


@bp.post("/harvest/sources")
@require_roles(Role.operator)
def harvest_source_add():
    form = request.form
    raw_interval = (form.get("interval") or "").strip()
    try:
        interval = int(raw_interval) if raw_interval else schedule.DEFAULT_INTERVAL
    except ValueError:
        interval = -1
    try:
        source = schedule.save_source(form.get("kind", ""), form.get("url", "")[:1000],
                                      organization=form.get("organization", "")[:1000], interval=interval,
                                      enabled=form.get("enabled") == "on", actor=current_user)
    except MarketError as exc:
        flash(_("未能保存采集来源：%(m)s", m=exc.message), "error")
        return redirect(url_for("opendata.harvest_sources"))
    db.session.commit()
    flash(_("已保存采集来源“%(s)s”，每 %(n)s 分钟采集一次。", s=source.label, n=source.interval_minutes), "success")
    return redirect(url_for("opendata.harvest_sources"))


@bp.post("/harvest/sources/<int:source_id>/toggle")
@require_roles(Role.operator)
def harvest_source_toggle(source_id: int):
    source = db.session.get(HarvestSource, source_id)
    enabled = not source.enabled if source is not None else True
    source = schedule.set_enabled(source_id, enabled, actor=current_user)
    db.session.commit()
    flash(_("已启用“%(s)s”的定时采集。", s=source.label) if enabled else
          _("已暂停“%(s)s”的定时采集。", s=source.label), "success")
    return redirect(url_for("opendata.harvest_sources"))


@bp.post("/harvest/sources/<int:source_id>/remove")
@require_roles(Role.operator)
def harvest_source_remove(source_id: int):
    source = db.session.get(HarvestSource, source_id)
    label = source.label if source is not None else str(source_id)
    retired = schedule.remove_source(source_id, actor=current_user)
    db.session.commit()
    flash(_("已删除采集来源“%(s)s”，其采集的 %(n)s 个目录已下架。", s=label, n=retired), "success")
    return redirect(url_for("opendata.harvest_sources"))


# --- public applicants (enterprises, citizens) ----------------------------------------------------
@bp.route("/account/applicant", methods=["GET", "POST"])
@require_roles(Role.public)
def applicant_identity():
    """The public account's applicant identity: enterprise (name + 统一社会信用代码) or citizen."""
    applicant = applicants.applicant_of(current_user)
    errors: dict[str, str] = {}
    values = {"kind": applicant.kind.value if applicant else "enterprise", "name": applicant.name if applicant else "",
              "uscc": (applicant.uscc or "") if applicant else ""}
    if request.method == "POST":
        values = {k: request.form.get(k, "")[:300] for k in ("kind", "name", "uscc")}
        try:
            applicant = applicants.submit_identity(current_user, **values)
        except MarketError as exc:
            errors = {k: v[0] for k, v in exc.fields.items()} or {"_": exc.message}
        else:
            db.session.commit()
            flash(_("已提交企业身份，平台核验通过后即可申请有条件开放数据。") if applicant.status.value == "pending"
                  else _("已登记申请身份，现在可以申请有条件开放数据了。"), "success")
            return redirect(url_for("opendata.applicant_identity"))
    return render_template("opendata/applicant.html", applicant=applicant, values=values, errors=errors), \
        422 if errors else 200


@bp.get("/applicants")
@require_roles(Role.operator)
def applicant_queue():
    pending = list(db.session.scalars(select(PublicApplicant).where(
        PublicApplicant.kind == ApplicantKind.enterprise, PublicApplicant.status == ApplicantStatus.pending)
        .order_by(PublicApplicant.submitted_at).limit(200)))
    decided = list(db.session.scalars(select(PublicApplicant).where(
        PublicApplicant.kind == ApplicantKind.enterprise, PublicApplicant.status != ApplicantStatus.pending)
        .order_by(PublicApplicant.decided_at.desc()).limit(50)))
    return render_template("opendata/applicants.html", pending=pending, decided=decided)


@bp.post("/applicants/<int:applicant_id>/decide")
@require_roles(Role.operator)
def applicant_decide(applicant_id: int):
    verified = request.form.get("decision") == "verify"
    try:
        applicant = applicants.decide(applicant_id, verified=verified, reason=request.form.get("reason", "")[:1000],
                                      actor=current_user)
    except MarketError as exc:
        if exc.status == 404:
            raise
        flash(exc.message, "error")
        return redirect(url_for("opendata.applicant_queue"))
    db.session.commit()
    flash(_("已核验“%(n)s”。", n=applicant.name) if verified else _("已驳回“%(n)s”。", n=applicant.name), "success")
    return redirect(url_for("opendata.applicant_queue"))
