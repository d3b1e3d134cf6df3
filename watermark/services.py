"""Watermark services: mark the rows of a copy delivered under a grant, and trace a copy back to its grant.

The decision rule of :func:`trace_table`: every grant of every entry whose rows the copy contains gets a
binomial tail probability (see :mod:`watermark.matching`). A grant is named only if that probability,
multiplied by the number of grants tried (Bonferroni), is below ``ALPHA``, it predicts at least
``MIN_EXPECTED`` marks and the copy shows at least ``MIN_FOUND_SHARE`` of them; otherwise the answer is
"no match". Several grants can pass at once only when a
copy merges copies of several grants; all of them are then named.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO

from flask import current_app
from sqlalchemy import select

from market.db import db

from .matching import EntryData, EntryMatch, GrantCandidate, GrantScore, match_entry
from .readers import Table, read_table
from .scheme import Column, Scheme, column_kind, derive_key, normalize

ALPHA = 1e-6  # chance of naming a grant for a copy that did not come from it, over all grants tried
MIN_FOUND_SHARE = 0.2  # sanity floor: a merge of k copies shows about 1/k of each grant's marks
MIN_EXPECTED = 5
MAX_TRACE_BYTES = 32 * 1024 * 1024


def watermark_key() -> bytes:
    return derive_key(current_app.config["SECRET_KEY"])


def _store():
    from delivery import store

    return store


def _columns(dataset, names: Iterable[str], key: str | None) -> list[Column]:
    """Column specs for ``names`` of an entry: numbers and free text may be marked; the key, sensitive
    items, dates, codes of other types and names the entry does not know never are."""
    items = {i.name: i for i in dataset.items}
    out = []
    for name in names:
        item = items.get(name)
        kind = column_kind(item.type, sensitive=item.sensitive, is_key=name == key) if item else "skip"
        out.append(Column(name, kind))
    return out


def scheme_for(grant_id: int, dataset_id: int, columns: list[str]) -> Scheme:
    from catalog.models import Dataset

    dataset = db.session.get(Dataset, dataset_id)
    if dataset is None:
        raise LookupError(f"dataset {dataset_id} does not exist")
    key = _store().key_column(dataset_id)
    return Scheme(watermark_key(), grant_id, _columns(dataset, columns, key), key)


def mark_rows(grant_id: int, dataset_id: int, columns: list[str], rows: Iterable[dict]) -> Iterator[dict]:
    """Yield ``rows`` (a copy delivered under ``grant_id``) with the grant's fingerprint applied.

    Streaming and deterministic: the same grant always gets the same marks on the same rows."""
    mark_row = scheme_for(grant_id, dataset_id, columns).mark_row
    for row in rows:
        yield mark_row(row)


# --- tracing ----------------------------------------------------------------------------------------------
@dataclass
class Finding:
    """One grant named by a trace, with who holds it."""

    grant_id: int
    dataset_id: int
    dataset_title: str
    requester: str
    department: str
    request_id: int
    granted_at: datetime
    downloads: list[tuple[datetime, str, int]]  # (time, format, rows) of the delivered copies on record
    score: GrantScore


@dataclass
class TraceResult:
    matched: bool
    reason: str  # why "no match", or a one-line summary (English, for the CLI and logs)
    code: str = ""  # "matched", "no_rows" (no entry's rows in the copy) or "no_fingerprint"
    rows_read: int = 0
    entries: list[EntryMatch] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # best first
    runner_up: GrantScore | None = None
    grants_tried: int = 0
    threshold_log10: float = 0.0

    @property
    def best(self) -> Finding | None:
        return self.findings[0] if self.findings else None

    @property
    def best_entry(self) -> EntryMatch | None:
        return max(self.entries, key=lambda m: m.rows_matched, default=None)


def _delivered_columns(grant) -> list[str]:
    """What the grant's copies contained: the ledger's record of its latest download, else its items."""
    try:
        from delivery.ledger import copies_of_grant

        copies = copies_of_grant(grant.id)
    except ImportError:  # pragma: no cover - delivery is part of the product
        copies = []
    for copy in reversed(copies):
        if copy.fields:
            return list(copy.fields)
    return list(grant.fields or [])


PROBE_ROWS = 16  # values per column tried against an entry's indexed key before its rows are streamed


def _probe_values(table: Table) -> list[str]:
    """A few values of every column of the copy, as written and normalised, column by column."""
    out: list[str] = []
    width = max((len(r) for r in table.rows), default=0)
    for j in range(width):
        for row in table.rows[: PROBE_ROWS + 1]:
            if j < len(row) and row[j] not in (None, ""):
                for v in (str(row[j]).strip(), normalize(row[j])):
                    if v and v not in out:
                        out.append(v)
    return out


def _key_found(store, dataset_id: int, probe: list[str]) -> bool:
    return any(store.find_by_key(dataset_id, v, limit=1) for v in probe)


def _entries(probe: list[str] | None = None) -> list[EntryData]:
    """Every entry that has stored rows and at least one grant, with its grants as candidates. With
    ``probe``, an entry with a key column is left out when none of those values is one of its keys
    (an index lookup each, instead of streaming all its rows)."""
    from catalog.models import Dataset
    from orders.models import Grant

    store = _store()
    by_dataset: dict[int, list] = {}
    for grant in db.session.scalars(select(Grant).order_by(Grant.id)):
        by_dataset.setdefault(grant.dataset_id, []).append(grant)
    out = []
    for dataset_id, grants in sorted(by_dataset.items()):
        if not store.has_rows(dataset_id):
            continue
        key = store.key_column(dataset_id)
        delivered = {g.id: _delivered_columns(g) for g in grants}
        # the probe can rule an entry out only if every copy of it carried the key column
        if (key is not None and probe is not None and all(key in cols for cols in delivered.values())
                and not _key_found(store, dataset_id, probe)):
            continue
        dataset = db.session.get(Dataset, dataset_id)
        names = [i.name for i in dataset.items]
        cands = [GrantCandidate(g.id, _columns(dataset, delivered[g.id], key)) for g in grants]
        out.append(EntryData(dataset_id, _columns(dataset, names, key), key, store.iter_rows(dataset_id, names),
                             cands))
    return out


def trace_table(table: Table, entries: list[EntryData], key: bytes) -> tuple[list[EntryMatch], list[GrantScore],
                                                                            GrantScore | None, int, float]:
    """Match the copy against ``entries``; return (entry matches, grants named best first, runner-up,
    grants tried, log10 threshold)."""
    matches = [m for m in (match_entry(table, e, key) for e in entries) if m is not None]
    scores = sorted((s for m in matches for s in m.scores), key=lambda s: (s.log10_p, -s.found))
    tried = max(1, len(scores))
    threshold = math.log10(ALPHA / tried)
    named = [s for s in scores if s.log10_p <= threshold and s.expected >= MIN_EXPECTED
             and s.found >= MIN_FOUND_SHARE * s.expected]
    runner_up = next((s for s in scores if s not in named), None)
    return matches, named, runner_up, tried, threshold


def _finding(score: GrantScore) -> Finding:
    from orders.models import Grant

    grant = db.session.get(Grant, score.grant_id)
    req = grant.line.request
    try:
        from delivery.ledger import copies_of_grant

        downloads = [(c.at, c.format, c.rows) for c in copies_of_grant(grant.id)]
    except ImportError:  # pragma: no cover
        downloads = []
    user = req.requester
    dept = req.department or getattr(user, "department", None)
    return Finding(grant.id, grant.dataset_id, grant.dataset.title,
                   getattr(user, "display_name", None) or user.username,
                   dept.name if dept is not None else "", req.id, grant.granted_at, downloads, score)


class FileTooLarge(ValueError):
    """The file is larger than the trace accepts."""


def read_upload(stream: IO[bytes] | str, limit: int = MAX_TRACE_BYTES) -> bytes:
    """The bytes of a path or stream, refusing more than ``limit``."""
    if isinstance(stream, str):
        with open(stream, "rb") as fh:
            return read_upload(fh, limit)
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(f"the file is larger than {limit // (1024 * 1024)} MB")
    return data


def trace_file(path_or_stream, filename: str = "") -> TraceResult:
    """Name the grant a copy came from, with the evidence, or say "no match" (never a guess)."""
    if not filename and isinstance(path_or_stream, str):
        filename = path_or_stream
    return trace_upload(path_or_stream, filename)


def trace_upload(path_or_stream, filename: str, *, limit: int = MAX_TRACE_BYTES,
                 max_rows: int | None = None) -> TraceResult:
    """Trace a file of at most ``limit`` bytes, using its first ``max_rows`` rows (all if None)."""
    table = read_table(read_upload(path_or_stream, limit), filename)
    if max_rows is not None:
        table.rows = table.rows[: max_rows + 1]  # + a header row it may have
    return trace_loaded(table)


def record_trace(result: TraceResult, filename: str, *, actor=None) -> None:
    """Append the trace and its verdict to the audit chain (in the caller's transaction)."""
    from audit import record_event

    best = result.best
    record_event("watermark.trace", "grant" if best else "trace", best.grant_id if best else 0, actor=actor,
                 payload={"file": filename[:200], "rows": result.rows_read, "matched": result.matched,
                          "grants": [f.grant_id for f in result.findings],
                          "log10_p": round(best.score.log10_p, 1) if best else None})


def trace_loaded(table: Table) -> TraceResult:
    rows = len(table.rows)
    matches, named, runner_up, tried, threshold = trace_table(table, _entries(_probe_values(table)),
                                                              watermark_key())
    result = TraceResult(False, "", rows_read=rows, entries=matches, runner_up=runner_up, grants_tried=tried,
                         threshold_log10=threshold)
    if not matches:
        result.code = "no_rows"
        result.reason = "no rows of the file match the stored rows of any entry delivered under a grant"
    elif not named:
        best = max(matches, key=lambda m: m.rows_matched)
        result.code = "no_fingerprint"
        result.reason = (f"{best.rows_matched} rows match entry {best.dataset_id}, but they carry no "
                         f"significant fingerprint of any of its grants (an undelivered or unmarked copy, "
                         f"or too few rows)")
    else:
        result.matched, result.code = True, "matched"
        result.findings = [_finding(s) for s in named]
        result.reason = f"grant {named[0].grant_id}: {named[0].found} of {named[0].expected} marks found"
    return result
