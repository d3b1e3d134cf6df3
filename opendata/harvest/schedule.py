"""Scheduled harvests: operators keep harvest sources (URL, kind, organization filter, interval,
enabled) and the job queue's periodic job ``opendata.harvest`` runs the due ones, incrementally,
each run keeping its report (created / updated / unchanged / retired / failed, errors)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from audit.services import record_event
from catalog.models import Dataset
from catalog.services import record_change
from catalog.vocab import DatasetStatus
from market.db import db, utcnow
from market.errors import NotFound, ValidationFailed

from ..models import HarvestedDataset, HarvestRun, HarvestSource, RunState, SourceKind
from .ckan import ckan_pages
from .dcat import dcat_pages
from .services import HarvestFailed, harvest, report_line

log = logging.getLogger(__name__)
JOB_NAME = "opendata.harvest"
JOB_EVERY_MINUTES = 5  # how often the job looks for due sources
MIN_INTERVAL, MAX_INTERVAL = 15, 60 * 24 * 31  # a source's interval in minutes
DEFAULT_INTERVAL = 60 * 24
MAX_URL = 500
MAX_ORGANIZATION = 200


def validate_source(kind: str, url: str, organization: str, interval: int | None) -> dict[str, str]:
    """Problems with a source's settings, by field (empty when fine)."""
    problems: dict[str, str] = {}
    if kind not in {k.value for k in SourceKind}:
        problems["kind"] = "ckan 或 dcat"
    url = (url or "").strip()
    if not url.lower().startswith(("http://", "https://")) or len(url) > MAX_URL or " " in url:
        problems["url"] = f"以 http:// 或 https:// 开头、不超过 {MAX_URL} 个字符的网址"
    if organization and (kind != SourceKind.ckan.value or len(organization) > MAX_ORGANIZATION):
        problems["organization"] = f"仅 CKAN 来源可按组织筛选，不超过 {MAX_ORGANIZATION} 个字符"
    if interval is not None and not MIN_INTERVAL <= interval <= MAX_INTERVAL:
        problems["interval"] = f"{MIN_INTERVAL}–{MAX_INTERVAL} 分钟"
    return problems


def save_source(kind: str, url: str, *, organization: str = "", interval: int | None = DEFAULT_INTERVAL,
                enabled: bool = True, actor=None) -> HarvestSource:
    """Register a scheduled source, or reschedule the existing one with the same kind, URL and
    organization (in the caller's transaction)."""
    from .services import get_or_create_source

    url, organization = (url or "").strip(), (organization or "").strip()
    problems = validate_source(kind, url, organization, interval)
    if problems:
        raise ValidationFailed("；".join(f"{k}：{v}" for k, v in problems.items()),
                               fields={k: [v] for k, v in problems.items()})
    source = get_or_create_source(SourceKind(kind), url, organization)
    source.interval_minutes, source.enabled = interval, enabled
    record_event("harvest.source_saved", "harvest_source", source.id, actor=actor,
                 payload={"kind": kind, "url": url, "organization": organization, "interval": interval,
                          "enabled": enabled})
    return source


def set_enabled(source_id: int, enabled: bool, *, actor=None) -> HarvestSource:
    source = _source(source_id)
    source.enabled = enabled
    record_event("harvest.source_enabled" if enabled else "harvest.source_disabled", "harvest_source",
                 source.id, actor=actor, payload={"url": source.url})
    return source


def remove_source(source_id: int, *, actor=None) -> int:
    """Delete a source, its runs and links; the entries it harvested are retired (nobody keeps them
    up to date any more). Returns how many entries were retired. In the caller's transaction."""
    source = _source(source_id)
    ids = list(db.session.scalars(select(HarvestedDataset.dataset_id).where(HarvestedDataset.source_id == source.id)))
    retired = 0
    for start in range(0, len(ids), 500):
        for ds in db.session.scalars(select(Dataset).where(Dataset.id.in_(ids[start:start + 500]),
                                                           Dataset.status == DatasetStatus.published)):
            ds.status = DatasetStatus.retired
            record_change(ds, "retired", changes={"status": ["published", "retired"],
                                                  "reason": f"harvest source removed: {source.url}"})
            retired += 1
    db.session.execute(delete(HarvestedDataset).where(HarvestedDataset.source_id == source.id))
    db.session.execute(delete(HarvestRun).where(HarvestRun.source_id == source.id))
    record_event("harvest.source_removed", "harvest_source", source.id, actor=actor,
                 payload={"url": source.url, "kind": source.kind.value, "organization": source.organization,
                          "entries_retired": retired})
    db.session.delete(source)
    db.session.flush()
    return retired


def _source(source_id: int) -> HarvestSource:
    source = db.session.get(HarvestSource, source_id)
    if source is None:
        raise NotFound(f"没有编号为 {source_id} 的采集来源。")
    return source


def is_due(source: HarvestSource, now: datetime) -> bool:
    if not source.enabled or not source.interval_minutes:
        return False
    return source.last_run_at is None or source.last_run_at + timedelta(minutes=source.interval_minutes) <= now


def next_run_at(source: HarvestSource) -> datetime | None:
    if not source.enabled or not source.interval_minutes:
        return None
    return source.last_run_at + timedelta(minutes=source.interval_minutes) if source.last_run_at else None


def run_source(source: HarvestSource, *, trigger: str = "schedule") -> HarvestRun:
    """Harvest one source now; a failed run is kept (state failed, its error) rather than raised."""
    pages = (ckan_pages(source.url, organization=source.organization or None) if source.kind == SourceKind.ckan
             else dcat_pages(source.url))
    try:
        return harvest(source, pages, trigger=trigger)
    except HarvestFailed as exc:
        return exc.run
    except Exception as exc:  # a bug or a malformed source must not stop the other sources
        log.exception("harvest of %s failed", source.url)
        db.session.rollback()
        run = db.session.scalar(select(HarvestRun).where(HarvestRun.source_id == source.id,
                                                         HarvestRun.state == RunState.running)
                                .order_by(HarvestRun.id.desc()))
        if run is None:
            run = HarvestRun(source_id=source.id, problems=[], trigger=trigger)
            db.session.add(run)
        run.state, run.error, run.finished_at = RunState.failed, f"{type(exc).__name__}: {exc}"[:2000], utcnow()
        source = db.session.get(HarvestSource, source.id)
        source.last_run_at = run.finished_at
        db.session.commit()
        return run


def harvest_due(now: datetime) -> str | None:
    """Harvest every enabled source whose interval has passed since its last run."""
    due = [s for s in db.session.scalars(select(HarvestSource).where(HarvestSource.enabled.is_(True),
                                                                    HarvestSource.interval_minutes.is_not(None))
                                         .order_by(HarvestSource.id)) if is_due(s, now)]
    lines = []
    for source in due:
        run = run_source(source)
        source = db.session.get(HarvestSource, source.id)
        # the schedule counts from the job's time, so one due source runs once per interval
        source.last_run_at = now
        db.session.commit()
        lines.append(f"{source.label}: {run.state.value}, {report_line(run)}")
    return "; ".join(lines) if lines else None


def register_job() -> None:
    from jobs import register_periodic

    register_periodic(JOB_NAME, harvest_due, every_minutes=JOB_EVERY_MINUTES,
                      description="Harvest due open-data sources (目录级联)")


def recent_runs(source_ids: list[int], per_source: int = 5) -> dict[int, list[HarvestRun]]:
    out: dict[int, list[HarvestRun]] = {i: [] for i in source_ids}
    for source_id in source_ids:
        out[source_id] = list(db.session.scalars(select(HarvestRun).where(HarvestRun.source_id == source_id)
                                                 .order_by(HarvestRun.id.desc()).limit(per_source)))
    return out
