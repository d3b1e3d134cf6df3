"""The watermark's part of the demo city: a leaked-copy sample operators can trace right away."""

from __future__ import annotations

import csv
import random
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from market.db import db

SAMPLE_ROWS = 500


def write_trace_sample(folder: Path) -> tuple[Path, int] | None:
    """Write what a careless holder might leak — 500 rows of a delivered copy, header removed, shuffled —
    for the first grant of an entry with stored rows; (path, grant id), or None without such a grant."""
    from delivery import store
    from orders.models import Grant

    from .services import _delivered_columns, mark_rows

    for grant in db.session.scalars(select(Grant).order_by(Grant.id)):
        if "download" not in (grant.delivery_modes or []) or not store.has_rows(grant.dataset_id):
            continue
        columns = [c for c in store.columns_of(grant.dataset_id) if c in set(_delivered_columns(grant))]
        rows = list(mark_rows(grant.id, grant.dataset_id, columns, store.iter_rows(grant.dataset_id, columns)))
        if len(rows) < SAMPLE_ROWS:
            continue
        random.Random(grant.id).shuffle(rows)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "trace-sample.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            for row in rows[:SAMPLE_ROWS]:
                writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
        return path, grant.id
    return None


def seed_demo_extra(result) -> str:
    written = write_trace_sample(Path(current_app.config["MARKET"].data_dir) / "demo")
    if written is None:
        return "No grant of an entry with data rows yet: no trace sample written"
    path, grant_id = written
    return (f"Trace sample: {path} ({SAMPLE_ROWS} rows of a copy of grant {grant_id}, header removed, shuffled); "
            f"try `market trace {path}` or upload it at /trace as operator")
