"""The harvest operation: read a source page by page, create new entries, update changed ones, leave
equal ones alone, and retire entries the source no longer lists. One ``HarvestRun`` per harvest
holds its report (created / updated / unchanged / retired / failed)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator
from urllib.parse import urlparse

from sqlalchemy import select

from catalog.importing.rows import category_code, dataset_code, department_code
from catalog.models import Category, DataItem, Dataset, Department
from catalog.services import record_change
from catalog.vocab import DatasetStatus, Library
from market.db import db, utcnow

from ..models import HarvestedDataset, HarvestRun, HarvestSource, RunState, SourceKind
from .ckan import ckan_pages
from .dcat import dcat_pages
from .http import FetchFailed
from .records import Record, fingerprint, record_values

log = logging.getLogger(__name__)
COMMIT_EVERY = 200
MAX_PROBLEMS = 500  # kept on the run; the count of failures is always exact
SIMPLE = ("title", "summary", "update_frequency", "update_frequency_text", "open_attribute", "open_condition_text",
          "share_attribute", "level", "delivery_modes", "published_at", "source_updated_at", "region", "url",
          "record_count")


class HarvestFailed(Exception):
    """The source could not be read to the end; nothing was retired."""

    def __init__(self, message: str, run: HarvestRun | None = None):
        super().__init__(message)
        self.run = run


def get_or_create_source(kind: SourceKind, url: str, organization: str | None = None) -> HarvestSource:
    """The registered source for (kind, url, organization), created on first use."""
    organization = organization or ""
    source = db.session.scalar(select(HarvestSource).where(HarvestSource.kind == kind, HarvestSource.url == url,
                                                           HarvestSource.organization == organization))
    if source is None:
        parts = urlparse(url)
        title = parts.netloc + parts.path.rstrip("/") + (f" ({organization})" if organization else "")
        source = HarvestSource(kind=kind, url=url, organization=organization, title=title[:300])
        db.session.add(source)
        db.session.flush()
    return source


def _short_hash(text: str, n: int = 12) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:n]


class _Writer:
    """Applies records of one source; keeps departments, categories and links in memory."""

    def __init__(self, source: HarvestSource, run: HarvestRun):
        self.source, self.run = source, run
        self.departments = dict(db.session.execute(select(Department.name, Department.id)).all())
        self.categories = dict(db.session.execute(select(Category.name, Category.id)).all())
        rows = db.session.execute(select(HarvestedDataset.remote_id, HarvestedDataset.dataset_id,
                                         HarvestedDataset.fingerprint, Dataset.status)
                                  .join(Dataset, Dataset.id == HarvestedDataset.dataset_id)
                                  .where(HarvestedDataset.source_id == source.id))
        # remote id -> (entry id, fingerprint, published?): unchanged records cost no query
        self.links = {r.remote_id: (r.dataset_id, r.fingerprint, r.status == DatasetStatus.published) for r in rows}
        self.seen: set[str] = set()

    def _named(self, model, cache: dict, name: str, make_code) -> int:
        if name not in cache:
            code = make_code(name)
            if db.session.scalar(select(model.id).where(model.code == code)) is not None:
                code = f"{code[:40]}-{_short_hash(name, 20)}"
            extra = {"library": Library.theme} if model is Category else {}
            obj = model(code=code, name=name, **extra)
            db.session.add(obj)
            db.session.flush()
            cache[name] = obj.id
        return cache[name]

    def _code(self, remote_id: str) -> str:
        code = dataset_code(remote_id)
        if db.session.scalar(select(Dataset.id).where(Dataset.code == code)) is not None:
            code = f"{code[:90]}-{_short_hash(f'{self.source.id}:{remote_id}', 20)}"
        return code

    def _assign(self, ds: Dataset, values: dict) -> None:
        for key in SIMPLE:
            setattr(ds, key, values[key])
        ds.department_id = self._named(Department, self.departments, values["department"], department_code)
        ds.category_id = (self._named(Category, self.categories, values["category"], category_code)
                          if values["category"] else None)
        if sorted(ds.tags) != values["tags"]:
            ds.tags = values["tags"]
        if ds.formats != values["formats"]:
            ds.formats = values["formats"]
        existing = {i.name: i for i in ds.items}
        rows = []
        for n, item in enumerate(values["items"]):
            row = existing.pop(item["name"], None) or DataItem()
            for key, value in {"position": n, **item}.items():
                if getattr(row, key, None) != value:
                    setattr(row, key, value)
            rows.append(row)
        ds.items = rows

    def apply(self, record: Record) -> str:
        """Write one record; return what happened: created, updated, unchanged or failed."""
        if record.remote_id in self.seen:
            self._problem(f"record {record.remote_id}: id: listed twice by the source; the first one counts")
            return "failed"
        self.seen.add(record.remote_id)
        values, problems = record_values(record)
        if values is None:
            for problem in problems:
                self._problem(str(problem))
            return "failed"
        print_ = fingerprint(values)
        known = self.links.get(record.remote_id)
        if known is None:
            ds = Dataset(code=self._code(record.remote_id), status=DatasetStatus.published)
            with db.session.no_autoflush:
                self._assign(ds, values)
            ds.published_at = ds.published_at or ds.source_updated_at or utcnow().date()
            db.session.add(ds)
            db.session.flush()
            db.session.add(HarvestedDataset(dataset_id=ds.id, source_id=self.source.id, remote_id=record.remote_id,
                                            remote_url=(record.remote_url or "")[:500] or None, fingerprint=print_))
            record_change(ds, "harvested", changes={"source": self.source.url, "remote_id": record.remote_id})
            self.links[record.remote_id] = (ds.id, print_, True)
            return "created"
        dataset_id, old_print, published = known
        if old_print == print_ and published:
            return "unchanged"
        ds = db.session.get(Dataset, dataset_id)
        before = {k: _plain(getattr(ds, k)) for k in SIMPLE}
        old_status = ds.status.value
        with db.session.no_autoflush:
            self._assign(ds, values)
        ds.status = DatasetStatus.published
        ds.published_at = ds.published_at or utcnow().date()
        diff = {k: [before[k], _plain(getattr(ds, k))] for k in SIMPLE if before[k] != _plain(getattr(ds, k))}
        if old_status != "published":
            diff["status"] = [old_status, "published"]
        link = db.session.get(HarvestedDataset, dataset_id)
        link.fingerprint, link.harvested_at = print_, utcnow()
        link.remote_url = (record.remote_url or "")[:500] or None
        record_change(ds, "updated", changes={**diff, "harvest_source": self.source.url})
        self.links[record.remote_id] = (dataset_id, print_, True)
        return "updated"

    def retire_missing(self) -> int:
        """Retire the published entries of this source that the source no longer lists."""
        gone = [dataset_id for remote_id, (dataset_id, _, published) in self.links.items()
                if published and remote_id not in self.seen]
        retired = 0
        for start in range(0, len(gone), COMMIT_EVERY):
            for ds in db.session.scalars(select(Dataset).where(Dataset.id.in_(gone[start:start + COMMIT_EVERY]),
                                                               Dataset.status == DatasetStatus.published)):
                ds.status = DatasetStatus.retired
                record_change(ds, "retired", changes={"status": ["published", "retired"],
                                                      "reason": f"removed at harvest source {self.source.url}"})
                retired += 1
            db.session.commit()
        return retired

    def _problem(self, text: str) -> None:
        if len(self.run.problems) < MAX_PROBLEMS:
            self.run.problems = [*self.run.problems, text]


def _plain(value):
    value = getattr(value, "value", value)
    return value.isoformat() if hasattr(value, "isoformat") else value


def harvest(source: HarvestSource, pages: Iterable[tuple[int, list[Record]]], *,
            on_total: Callable[[int], None] | None = None,
            on_progress: Callable[[int], None] | None = None, trigger: str = "cli") -> HarvestRun:
    """Harvest ``pages`` of ``source`` into the catalog and return the finished run.

    Entries are committed every few hundred records; entries the source no longer lists are retired
    only when every page was read. A failure to read the source ends the run as ``failed`` (what was
    already written stays; nothing is retired) and raises ``HarvestFailed``.
    """
    run = HarvestRun(source_id=source.id, state=RunState.running, problems=[], trigger=trigger)
    db.session.add(run)
    db.session.commit()
    writer = _Writer(source, run)
    total_sent = False
    pending = 0
    try:
        for total, records in pages:
            if on_total and not total_sent:
                on_total(total)
                total_sent = True
            for record in records:
                outcome = writer.apply(record)
                setattr(run, outcome, getattr(run, outcome) + 1)
                run.seen += 1
                pending += 1
                if pending >= COMMIT_EVERY:
                    db.session.commit()
                    pending = 0
            if on_progress:
                on_progress(len(records))
        db.session.commit()
        run.retired = writer.retire_missing()
    except FetchFailed as exc:
        db.session.rollback()
        run = db.session.get(HarvestRun, run.id)
        run.state, run.error, run.finished_at = RunState.failed, str(exc), utcnow()
        source.last_run_at = run.finished_at
        db.session.commit()
        raise HarvestFailed(str(exc), run) from None
    run.state, run.finished_at = RunState.finished, utcnow()
    source.last_run_at = run.finished_at
    db.session.commit()
    log.info("harvested %s: %s", source.url, report_line(run))
    return run


def harvest_ckan(url: str, *, organization: str | None = None, rows: int | None = None, **callbacks) -> HarvestRun:
    """Harvest a CKAN catalog (optionally one organization) through its ``package_search``."""
    source = get_or_create_source(SourceKind.ckan, url, organization)
    db.session.commit()
    pages = ckan_pages(url, organization=organization, **({"rows": rows} if rows else {}))
    return harvest(source, pages, **callbacks)


def harvest_dcat(url: str, **callbacks) -> HarvestRun:
    """Harvest a DCAT catalog document (Turtle, JSON-LD or RDF/XML), following hydra next pages."""
    source = get_or_create_source(SourceKind.dcat, url)
    db.session.commit()
    return harvest(source, dcat_pages(url), **callbacks)


def report_line(run: HarvestRun) -> str:
    return (f"{run.seen} records: {run.created} created, {run.updated} updated, {run.unchanged} unchanged, "
            f"{run.retired} retired, {run.failed} failed")


def iter_problems(run: HarvestRun) -> Iterator[str]:
    yield from run.problems or []
