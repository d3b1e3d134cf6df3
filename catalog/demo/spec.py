"""The shape of a catalog template: one template becomes one entry, or one entry per variant."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Template:
    title: str  # may hold "{v}", filled from ``variants``
    category: str
    fields: tuple[str, ...]
    tags: tuple[str, ...]
    freq: str = "monthly"
    use: str = ""
    variants: tuple[str, ...] = ()
    public: bool = False  # public-facing data (timetables, facilities, monitoring): level 1, often open
    level: int = 0  # a floor on the level (security-relevant data without personal items)
    rows: int = 10_000  # order of magnitude of the record count
    product: bool = False  # worth selling as a priced data product

    def titles(self) -> list[str]:
        return [self.title.format(v=v) for v in self.variants] if self.variants else [self.title]


def t(
    title: str,
    category: str,
    fields: str,
    tags: str,
    freq: str = "monthly",
    use: str = "",
    *,
    v: str = "",
    public: bool = False,
    level: int = 0,
    rows: int = 10_000,
    product: bool = False,
) -> Template:
    """A template in one line: ``fields``, ``tags`` and variants ``v`` are space-separated."""
    return Template(
        title,
        category,
        tuple(fields.split()),
        tuple(tags.split()),
        freq,
        use,
        tuple(v.split()),
        public,
        level,
        rows,
        product,
    )
