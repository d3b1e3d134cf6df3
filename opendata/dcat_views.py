"""DCAT-AP endpoints: ``/catalog.jsonld`` and ``/catalog.ttl`` (paged: ``?page=N&per_page=M``, hydra
links to the other pages) and ``/datasets/<id>.jsonld`` / ``.ttl`` for one entry.

The export is the open catalog: published entries that are not 不予开放, whoever asks.
"""

from __future__ import annotations

from flask import Blueprint, Response, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from catalog.models import Dataset
from catalog.vocab import DatasetStatus, OpenAttribute
from market.db import db
from market.errors import NotFound, ValidationFailed

from .dcat import add_dataset, catalog_graph, new_graph, serialize

bp = Blueprint("dcat", __name__)
MEDIA = {"jsonld": "application/ld+json; charset=utf-8", "ttl": "text/turtle; charset=utf-8"}
DEFAULT_PER_PAGE, MAX_PER_PAGE = 100, 1000
OPEN_CATALOG = (Dataset.status == DatasetStatus.published, Dataset.open_attribute != OpenAttribute.closed)


def _positive(name: str, default: int, maximum: int | None = None) -> int:
    raw = request.args.get(name, "")
    if raw == "":
        return default
    if not raw.isdigit() or int(raw) < 1 or (maximum and int(raw) > maximum):
        limit = f" and at most {maximum}" if maximum else ""
        raise ValidationFailed(f"{name}: must be a whole number from 1{limit}", fields={name: ["invalid"]})
    return int(raw)


def _catalog(fmt: str) -> Response:
    page = _positive("page", 1)
    per_page = _positive("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)
    total = db.session.scalar(select(func.count()).select_from(Dataset).where(*OPEN_CATALOG)) or 0
    rows = db.session.scalars(select(Dataset).where(*OPEN_CATALOG).order_by(Dataset.id)
                              .options(selectinload(Dataset.items))
                              .offset((page - 1) * per_page).limit(per_page)).all()
    endpoint = f"dcat.catalog_{fmt}"

    def page_url(n: int) -> str:
        args = {"page": n} if per_page == DEFAULT_PER_PAGE else {"page": n, "per_page": per_page}
        return url_for(endpoint, _external=True, **args)

    graph = catalog_graph(rows, total=total, page=page, per_page=per_page, page_url=page_url)
    return Response(serialize(graph, fmt), content_type=MEDIA[fmt])


def _dataset(dataset_id: int, fmt: str) -> Response:
    ds = db.session.scalar(select(Dataset).where(Dataset.id == dataset_id, *OPEN_CATALOG))
    if ds is None:
        raise NotFound(f"No open catalog entry {dataset_id}.")
    g = new_graph()
    add_dataset(g, ds)
    return Response(serialize(g, fmt), content_type=MEDIA[fmt])


@bp.get("/catalog.jsonld")
def catalog_jsonld():
    return _catalog("jsonld")


@bp.get("/catalog.ttl")
def catalog_ttl():
    return _catalog("ttl")


@bp.get("/datasets/<int:dataset_id>.jsonld")
def dataset_jsonld(dataset_id: int):
    return _dataset(dataset_id, "jsonld")


@bp.get("/datasets/<int:dataset_id>.ttl")
def dataset_ttl(dataset_id: int):
    return _dataset(dataset_id, "ttl")
