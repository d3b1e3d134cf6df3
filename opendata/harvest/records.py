"""One harvested record: its common-schema row (checked by the importer's ``normalise_row``), our
exact attributes when the source publishes them, and the values a catalog entry gets from it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date

from flask import g, has_request_context, request
from marshmallow import ValidationError
from sqlalchemy import select

from catalog.importing import Problem, normalise_row
from catalog.models import Dataset
from catalog.schemas import DataItemInput
from catalog.services import check_invariants
from catalog.vocab import DeliveryMode, OpenAttribute, ShareAttribute, UpdateFrequency
from market.db import db
from market.errors import ValidationFailed
from market.generations import Generation

from ..models import HarvestedDataset

MODE_ORDER = [m.value for m in DeliveryMode]
ENUMS = {"open_attribute": OpenAttribute, "share_attribute": ShareAttribute, "update_frequency": UpdateFrequency}


@dataclass
class Record:
    """What a source says about one entry. ``overrides`` hold our own attributes, exactly."""

    remote_id: str
    row: dict
    overrides: dict = field(default_factory=dict)
    remote_url: str | None = None
    problems: list[tuple[str, str]] = field(default_factory=list)  # (field, reason) of the source's shape


def _jsonable(value):
    if isinstance(value, date):
        return value.isoformat()
    return getattr(value, "value", value)


def fingerprint(values: dict) -> str:
    """A stable hash of the values: equal values, equal fingerprint (re-harvests change nothing)."""
    text = json.dumps({k: _jsonable(v) for k, v in values.items()}, sort_keys=True, ensure_ascii=False,
                      default=_jsonable)
    return hashlib.sha256(text.encode()).hexdigest()


def _override(values: dict, overrides: dict, location: str) -> list[Problem]:
    problems = []
    for key, value in overrides.items():
        if value is None and key not in ("update_frequency_text", "open_condition_text"):
            continue
        try:
            if key in ENUMS:
                value = ENUMS[key](value)
            elif key == "level":
                value = int(value)
                if not 1 <= value <= 4:
                    raise ValueError("must be 1 to 4")
            elif key == "delivery_modes":
                unknown = [m for m in value if m not in MODE_ORDER]
                if unknown:
                    raise ValueError(f"unknown delivery mode(s) {', '.join(unknown)}")
                value = sorted(set(value), key=MODE_ORDER.index)
            elif key == "items":
                value = DataItemInput(many=True).load(value)
            elif key == "formats":
                value = list(dict.fromkeys(v.strip().upper() for v in value if v.strip()))
        except (ValueError, TypeError) as exc:
            problems.append(Problem(location, key, f"invalid value {value!r}: {exc}"))
            continue
        except ValidationError as exc:
            problems.append(Problem(location, key, f"invalid data items: {exc.messages}"))
            continue
        values[key] = value
    return problems


def record_values(record: Record) -> tuple[dict | None, list[Problem]]:
    """The values of the catalog entry the record makes, or None and every problem found."""
    location = f"record {record.remote_id}"
    entry, problems = normalise_row(record.row, location)
    problems = [Problem(location, f, reason) for f, reason in record.problems] + problems
    if entry is None or problems:
        return None, problems
    values = {**entry.columns(), "department": entry.publisher, "category": entry.category,
              "tags": entry.tags, "formats": entry.formats,
              "items": [{"name": n, "type": "string", "description": "", "sensitive": False} for n in entry.items]}
    problems = _override(values, record.overrides, location)
    if problems:
        return None, problems
    values["tags"] = sorted(values["tags"])
    values["delivery_modes"] = sorted(set(values["delivery_modes"]), key=MODE_ORDER.index)
    probe = Dataset(level=values["level"], delivery_modes=values["delivery_modes"],
                    share_attribute=values["share_attribute"], open_attribute=values["open_attribute"])
    try:
        check_invariants(probe)  # the catalog's own rules hold for harvested entries too
    except ValidationFailed as exc:
        return None, [Problem(location, key, msgs[0]) for key, msgs in exc.fields.items()]
    return values, []


HARVESTED = Generation("opendata.harvested", HarvestedDataset)


def _harvested_ids() -> frozenset[int]:
    """Ids of the entries that have a harvest link, kept per process (most product pages are of our own
    entries and need no query); refreshed after a link is added or removed, here or
    in another process such as a harvest run (market/generations.py stamp files)."""
    return HARVESTED.get("ids", lambda: frozenset(db.session.scalars(select(HarvestedDataset.dataset_id))))


def _read_memo() -> dict | None:
    """Harvest links already looked up in this read-only request (GET/HEAD): a product page asks up to
    three times (permission checks, panels, the source box), mostly for entries that have none. None
    outside such a request (jobs, the CLI, form posts), where links may be created meanwhile."""
    if not has_request_context() or request.method not in ("GET", "HEAD"):
        return None
    memo = g.get("_harvest_links")
    if memo is None:
        memo = g._harvest_links = {}
    return memo


def is_harvested(dataset: Dataset) -> bool:
    """True when the entry came from a harvest source (it is then read-only here)."""
    if dataset.id is None:
        return False
    if _read_memo() is not None:
        return harvest_origin(dataset) is not None
    return db.session.scalar(select(HarvestedDataset.dataset_id)
                             .where(HarvestedDataset.dataset_id == dataset.id)) is not None


def harvest_origin(dataset: Dataset) -> HarvestedDataset | None:
    """The harvest link of an entry (source, remote id and page), or None for our own entries."""
    if getattr(dataset, "id", None) is None:
        return None
    memo = _read_memo()
    if memo is not None and dataset.id in memo:
        return memo[dataset.id]
    if memo is not None and dataset.id not in _harvested_ids():
        origin = None
    else:
        origin = db.session.get(HarvestedDataset, dataset.id)
    if memo is not None:
        memo[dataset.id] = origin
    return origin
