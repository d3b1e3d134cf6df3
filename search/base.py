"""The search contract: what every backend (embedded index, OpenSearch/Elasticsearch, database
fallback) accepts and returns. The shop, the JSON API and the CKAN API only speak these types."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

# Facets shown in the shop, in display order. Each maps to a keyword field of the document.
FACETS = ("department", "category", "share_attribute", "open_attribute", "level", "format",
          "update_frequency", "tag")
SORTS = ("relevance", "popular", "newest", "rating")

# sort=rating ranks by a Bayesian average: the mean pulled towards RATING_PRIOR_MEAN by RATING_PRIOR_WEIGHT
# imaginary reviews, so one 5-star review does not outrank forty 4.8-star ones (ratings/ uses the same weight)
RATING_PRIOR_MEAN = 3.5
RATING_PRIOR_WEIGHT = 5


def ranking_rating(avg: float | None, count: int | None) -> float:
    n = count or 0
    return (RATING_PRIOR_WEIGHT * RATING_PRIOR_MEAN + (avg or 0.0) * n) / (RATING_PRIOR_WEIGHT + n)


@dataclass
class SearchQuery:
    q: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)  # facet -> selected values (OR within)
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    # visibility, decided by the caller's permissions, never by user input:
    statuses: tuple[str, ...] = ("published",)
    open_only: bool = False  # anonymous and public users see open data only
    department_scope: int | None = None  # owners' "my entries" view
    facet_size: int = 50

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


@dataclass
class Hit:
    id: int
    score: float = 0.0
    highlights: dict[str, str] = field(default_factory=dict)  # field -> escaped HTML with <mark>


@dataclass
class FacetValue:
    value: str
    count: int
    label: str = ""


@dataclass
class SearchPage:
    hits: list[Hit]
    total: int
    facets: dict[str, list[FacetValue]]
    did_you_mean: str | None = None
    backend: str = ""
    notice: str | None = None  # e.g. "search index unavailable, results filtered from the database"

    @property
    def ids(self) -> list[int]:
        return [h.id for h in self.hits]


@runtime_checkable
class SearchBackend(Protocol):
    name: str

    def index(self, documents: list[dict]) -> None:
        """Add or replace documents (each has an integer ``id``)."""

    def delete(self, ids: list[int]) -> None:
        """Remove documents by id; unknown ids are ignored."""

    def query(self, query: SearchQuery) -> SearchPage:
        """Answer one page: hits in order, total, facet counts (disjunctive within a facet)."""

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Title completions for the search box."""

    def ping(self) -> bool:
        """True when the backend answers and its index is readable."""

    def rebuild(self, documents) -> int:
        """Replace the whole index with ``documents`` (an iterable); return how many were indexed."""
