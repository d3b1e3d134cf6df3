"""Read a DCAT catalog (Turtle, JSON-LD or RDF/XML, paged with hydra links) as harvest records."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import unquote

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS

from catalog.vocab import OpenAttribute, UpdateFrequency

from ..dcat import ACCESS_RIGHTS, CSVW, FILE_TYPES, FREQUENCIES, HYDRA, MKT, parse_rdf
from .http import FetchFailed, fetch
from .records import Record

ACCEPT = "text/turtle, application/ld+json;q=0.9, application/rdf+xml;q=0.8"
PARSERS = {"turtle": "turtle", "ld+json": "json-ld", "json": "json-ld", "rdf+xml": "xml", "xml": "xml",
           "n-triples": "nt"}
SUFFIXES = {".ttl": "turtle", ".jsonld": "json-ld", ".json": "json-ld", ".rdf": "xml", ".xml": "xml", ".nt": "nt"}
ACCESS_OF = {code: value for value, code in ACCESS_RIGHTS.items()}
FREQUENCY_OF = {code: value for value, code in FREQUENCIES.items()} | {"CONT": UpdateFrequency.realtime}
FORMAT_OF = {code: name for name, code in FILE_TYPES.items()}
MAX_PAGES = 100_000


def _parser(content_type: str, url: str) -> str:
    kind = content_type.split(";")[0].strip().lower()
    for key, parser in PARSERS.items():
        if kind.endswith(key):
            return parser
    path = url.split("?")[0].lower()
    return next((p for suffix, p in SUFFIXES.items() if path.endswith(suffix)), "turtle")


def _text(g: Graph, node, prop) -> str | None:
    """The value of ``prop``, preferring Chinese, then untagged, then any language."""
    values = [v for v in g.objects(node, prop) if isinstance(v, Literal)]
    for lang in ("zh", None):
        for value in values:
            if (value.language or None) == lang or (lang == "zh" and (value.language or "").startswith("zh")):
                return str(value)
    return str(values[0]) if values else None


def _code(uri) -> str:
    """The last segment of a vocabulary IRI: …/frequency/DAILY → DAILY, urn:…:format:X → X."""
    text = str(uri).rstrip("/")
    return unquote(text.rsplit("/", 1)[-1].rsplit(":", 1)[-1].rsplit("#", 1)[-1])


def _format_name(g: Graph, node) -> str | None:
    if isinstance(node, Literal):
        return str(node)
    label = _text(g, node, RDFS.label)
    return label or FORMAT_OF.get(_code(node), _code(node))


def _items(g: Graph, ds) -> list[dict] | None:
    columns = []
    for schema in g.objects(ds, DCTERMS.conformsTo):
        for col in g.objects(schema, CSVW.column):
            name = _text(g, col, CSVW.name)
            if not name:
                continue
            position = g.value(col, MKT.position)
            sensitive = g.value(col, MKT.sensitive)
            columns.append((int(position) if position is not None else len(columns), {
                "name": name, "type": _text(g, col, CSVW.datatype) or "string",
                "description": _text(g, col, DCTERMS.description) or "",
                "sensitive": bool(sensitive.toPython()) if sensitive is not None else False}))
    return [c for _, c in sorted(columns, key=lambda c: c[0])] if columns else None


def dataset_record(g: Graph, ds) -> Record:
    """One dcat:Dataset node as a record (our ``mkt:`` properties, when present, are taken exactly)."""
    publisher = g.value(ds, DCTERMS.publisher)
    theme = g.value(ds, DCAT.theme)
    access = g.value(ds, DCTERMS.accessRights)
    frequency = g.value(ds, DCTERMS.accrualPeriodicity)
    formats = sorted({f for dist in g.objects(ds, DCAT.distribution)
                      for f in (_format_name(g, node) for node in g.objects(dist, DCTERMS["format"])) if f})
    landing = g.value(ds, DCAT.landingPage)
    identifier = _text(g, ds, DCTERMS.identifier) or str(ds)
    row = {
        "id": identifier,
        "title": _text(g, ds, DCTERMS.title),
        "description": _text(g, ds, DCTERMS.description),
        "publisher": (_text(g, publisher, FOAF.name) or _text(g, publisher, SKOS.prefLabel)) if publisher else None,
        "category": (_text(g, theme, SKOS.prefLabel) or _code(theme)) if theme is not None else None,
        "tags": sorted({str(k) for k in g.objects(ds, DCAT.keyword)}),
        "formats": formats,
        "update_frequency": _text(g, ds, MKT.updateFrequencyText),
        "published": _text(g, ds, DCTERMS.issued),
        "updated": _text(g, ds, DCTERMS.modified),
        "url": str(landing) if landing is not None else (str(ds) if isinstance(ds, URIRef) else None),
        "region": _text(g, ds, MKT.region),
        "record_count": _text(g, ds, MKT.recordCount),
    }
    overrides: dict = {}
    open_attribute = _text(g, ds, MKT.openAttribute)
    if open_attribute is None and access is not None:
        open_attribute = ACCESS_OF.get(_code(access), OpenAttribute.conditional).value
    if open_attribute is not None:
        overrides["open_attribute"] = open_attribute
    frequency_value = _text(g, ds, MKT.updateFrequency)
    if frequency_value is None and frequency is not None:
        frequency_value = getattr(FREQUENCY_OF.get(_code(frequency)), "value", None)
        row["update_frequency"] = row["update_frequency"] or _code(frequency)  # the mapper reads the code
    if frequency_value is not None:
        overrides["update_frequency"] = frequency_value
        overrides["update_frequency_text"] = _text(g, ds, MKT.updateFrequencyText)
    for key, prop in (("share_attribute", MKT.shareAttribute), ("level", MKT.level)):
        if (value := _text(g, ds, prop)) is not None:
            overrides[key] = value
    if (g.value(ds, MKT.openAttribute)) is not None:
        overrides["open_condition_text"] = _text(g, ds, MKT.openConditionText)
    modes = sorted({str(m) for m in g.objects(ds, MKT.deliveryMode)})
    if modes:
        overrides["delivery_modes"] = modes
    items = _items(g, ds)
    if items is not None:
        overrides["items"] = items
    return Record(remote_id=identifier, row=row, overrides=overrides, remote_url=row["url"])


def _total(g: Graph) -> int | None:
    value = next(iter(g.objects(None, HYDRA.totalItems)), None)
    return int(value) if value is not None else None


def dcat_pages(url: str) -> Iterator[tuple[int, list[Record]]]:
    """Yield (total, records of one document) for the document at ``url`` and every hydra next page."""
    seen: set[str] = set()
    next_url: str | None = url
    while next_url and next_url not in seen and len(seen) < MAX_PAGES:
        seen.add(next_url)
        body, content_type = fetch(next_url, accept=ACCEPT)
        try:
            g = parse_rdf(body, _parser(content_type, next_url), next_url)
        except Exception as exc:  # noqa: BLE001 - any parser failure means the same: not readable RDF
            raise FetchFailed(f"{next_url}: not readable RDF ({type(exc).__name__}: {exc})") from None
        datasets = sorted(set(g.subjects(RDF.type, DCAT.Dataset)), key=str)
        records = [dataset_record(g, ds) for ds in datasets]
        total = _total(g)
        yield (total if total is not None else len(records)), records
        following = next(iter(g.objects(None, HYDRA.nextPage)), None)
        next_url = str(following) if following is not None else None
