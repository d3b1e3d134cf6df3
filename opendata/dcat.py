"""DCAT-AP graphs of the open catalog, built with rdflib.

Our attributes map onto the EU vocabularies where one exists (open attribute → dct:accessRights
PUBLIC/RESTRICTED/NON_PUBLIC, update frequency → dct:accrualPeriodicity) and are also kept
verbatim in our own namespace ``MKT`` (see docs/opendata.md), so our harvester reads them back
without loss. Data items become a CSVW-style schema the dataset ``dct:conformsTo``.
"""

from __future__ import annotations

import warnings
from urllib.parse import quote

from flask import url_for
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, XSD

from catalog.models import Dataset
from catalog.vocab import OpenAttribute, UpdateFrequency

from .packages import MEDIA_TYPES, landing_page, resource_dicts

MKT = Namespace("urn:public-data-market:ns#")
FORMAT_NS = "urn:public-data-market:format:"
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
CSVW = Namespace("http://www.w3.org/ns/csvw#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
EU = "http://publications.europa.eu/resource/authority/"
ACCESS_RIGHTS = {OpenAttribute.open: "PUBLIC", OpenAttribute.conditional: "RESTRICTED",
                 OpenAttribute.closed: "NON_PUBLIC"}
FREQUENCIES = {UpdateFrequency.realtime: "UPDATE_CONT", UpdateFrequency.daily: "DAILY",
               UpdateFrequency.weekly: "WEEKLY", UpdateFrequency.monthly: "MONTHLY",
               UpdateFrequency.quarterly: "QUARTERLY", UpdateFrequency.yearly: "ANNUAL",
               UpdateFrequency.irregular: "IRREG"}
# our format name -> code in the EU file-type table
FILE_TYPES = {"CSV": "CSV", "JSON": "JSON", "XML": "XML", "XLSX": "XLSX", "XLS": "XLS", "PDF": "PDF", "ZIP": "ZIP",
              "GEOJSON": "GEOJSON", "RDF": "RDF_XML", "TXT": "TXT", "HTML": "HTML", "DOCX": "DOCX", "SHP": "SHP"}
LANGUAGE = URIRef(EU + "language/ZHO")
PREFIXES = {"dcat": DCAT, "dct": DCTERMS, "foaf": FOAF, "skos": SKOS, "vcard": VCARD, "csvw": CSVW,
            "hydra": HYDRA, "mkt": MKT, "xsd": XSD, "rdfs": RDFS}
JSONLD_CONTEXT = {k: str(v) for k, v in PREFIXES.items()}


def new_graph() -> Graph:
    g = Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)
    return g


def format_uri(fmt: str) -> URIRef:
    code = FILE_TYPES.get(fmt)
    return URIRef(f"{EU}file-type/{code}") if code else URIRef(FORMAT_NS + quote(fmt, safe=""))


def _department(g: Graph, dept) -> URIRef:
    uri = URIRef(url_for("catalog.browse", department=dept.code, _external=True))
    g.add((uri, RDF.type, FOAF.Organization))
    g.add((uri, FOAF.name, Literal(dept.name, lang="zh")))
    g.add((uri, DCTERMS.identifier, Literal(dept.code)))
    return uri


def _theme(g: Graph, cat) -> URIRef:
    uri = URIRef(url_for("catalog.browse", category=cat.code, _external=True))
    g.add((uri, RDF.type, SKOS.Concept))
    g.add((uri, SKOS.prefLabel, Literal(cat.name, lang="zh")))
    g.add((uri, SKOS.notation, Literal(cat.code)))
    g.add((uri, SKOS.inScheme, URIRef(url_for("catalog.home", _external=True) + "#themes")))
    return uri


def _schema(g: Graph, ds: Dataset, uri: URIRef) -> None:
    schema = URIRef(f"{uri}#schema")
    g.add((uri, DCTERMS.conformsTo, schema))
    g.add((schema, RDF.type, DCTERMS.Standard))
    g.add((schema, RDF.type, CSVW.Schema))
    g.add((schema, DCTERMS.title, Literal(f"{ds.title} 信息项", lang="zh")))
    for n, item in enumerate(ds.items):
        col = BNode()
        g.add((schema, CSVW.column, col))
        g.add((col, RDF.type, CSVW.Column))
        g.add((col, CSVW.name, Literal(item.name)))
        g.add((col, CSVW.datatype, Literal(item.type or "string")))
        if item.description:
            g.add((col, DCTERMS.description, Literal(item.description, lang="zh")))
        g.add((col, MKT.sensitive, Literal(bool(item.sensitive))))
        g.add((col, MKT.position, Literal(n)))


def add_dataset(g: Graph, ds: Dataset) -> URIRef:
    """Add one catalog entry as a dcat:Dataset; return its IRI (its product page)."""
    uri = URIRef(landing_page(ds))
    g.add((uri, RDF.type, DCAT.Dataset))
    g.add((uri, DCTERMS.identifier, Literal(ds.code)))
    g.add((uri, DCTERMS.title, Literal(ds.title, lang="zh")))
    g.add((uri, DCTERMS.description, Literal(ds.summary or ds.title, lang="zh")))
    publisher = _department(g, ds.department)
    g.add((uri, DCTERMS.publisher, publisher))
    contact = BNode()
    g.add((uri, DCAT.contactPoint, contact))
    g.add((contact, RDF.type, VCARD.Organization))
    g.add((contact, VCARD.fn, Literal(ds.department.name, lang="zh")))
    g.add((contact, VCARD.hasURL, publisher))
    if ds.category is not None:
        g.add((uri, DCAT.theme, _theme(g, ds.category)))
    for tag in ds.tags:
        g.add((uri, DCAT.keyword, Literal(tag, lang="zh")))
    if ds.published_at:
        g.add((uri, DCTERMS.issued, Literal(ds.published_at, datatype=XSD.date)))
    modified = ds.source_updated_at or (ds.updated_at.date() if ds.updated_at else None)
    if modified:
        g.add((uri, DCTERMS.modified, Literal(modified, datatype=XSD.date)))
    g.add((uri, DCTERMS.language, LANGUAGE))
    g.add((uri, DCAT.landingPage, uri))
    g.add((uri, DCTERMS.accessRights, URIRef(f"{EU}access-right/{ACCESS_RIGHTS[ds.open_attribute]}")))
    g.add((uri, DCTERMS.accrualPeriodicity, URIRef(f"{EU}frequency/{FREQUENCIES[ds.update_frequency]}")))
    g.add((uri, MKT.openAttribute, Literal(ds.open_attribute.value)))
    g.add((uri, MKT.shareAttribute, Literal(ds.share_attribute.value)))
    g.add((uri, MKT.level, Literal(ds.level)))
    g.add((uri, MKT.updateFrequency, Literal(ds.update_frequency.value)))
    for key, value in (("updateFrequencyText", ds.update_frequency_text), ("openConditionText",
                       ds.open_condition_text), ("region", ds.region)):
        if value:
            g.add((uri, MKT[key], Literal(value)))
    if ds.record_count is not None:
        g.add((uri, MKT.recordCount, Literal(ds.record_count)))
    for mode in ds.delivery_modes or []:
        g.add((uri, MKT.deliveryMode, Literal(mode)))
    _schema(g, ds, uri)
    formats = set(ds.formats)
    for res in resource_dicts(ds):
        if res["format"] not in formats:
            continue  # delivery modes without a file format are told by mkt:deliveryMode
        dist = URIRef(f"{uri}#distribution-{quote(res['format'], safe='')}")
        g.add((uri, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCTERMS.title, Literal(res["name"], lang="zh")))
        g.add((dist, DCTERMS.format, format_uri(res["format"])))
        g.add((format_uri(res["format"]), RDFS.label, Literal(res["format"])))
        if res["format"] in MEDIA_TYPES:
            g.add((dist, DCAT.mediaType,
                   URIRef(f"https://www.iana.org/assignments/media-types/{MEDIA_TYPES[res['format']]}")))
        g.add((dist, DCAT.accessURL, uri))
        g.add((dist, MKT.deliveryMode, Literal(res["delivery_mode"])))
    return uri


def catalog_graph(datasets, *, total: int, page: int, per_page: int, page_url) -> Graph:
    """The catalog node, one page of datasets, and hydra paging links (``page_url(n)`` makes them)."""
    g = new_graph()
    home = url_for("catalog.home", _external=True)
    catalog = URIRef(home)
    g.add((catalog, RDF.type, DCAT.Catalog))
    g.add((catalog, DCTERMS.title, Literal("公共数据资源超市", lang="zh")))
    g.add((catalog, DCTERMS.title, Literal("Public Data Resource Supermarket", lang="en")))
    g.add((catalog, DCTERMS.description, Literal("城市公共数据开放目录", lang="zh")))
    operator = BNode()
    g.add((catalog, DCTERMS.publisher, operator))
    g.add((operator, RDF.type, FOAF.Organization))
    g.add((operator, FOAF.name, Literal("大数据管理局", lang="zh")))
    g.add((catalog, DCTERMS.language, LANGUAGE))
    g.add((catalog, FOAF.homepage, catalog))
    themes = URIRef(home + "#themes")
    g.add((catalog, DCAT.themeTaxonomy, themes))
    g.add((themes, RDF.type, SKOS.ConceptScheme))
    g.add((themes, DCTERMS.title, Literal("基础库与主题库", lang="zh")))
    for ds in datasets:
        g.add((catalog, DCAT.dataset, add_dataset(g, ds)))
    last = max(1, -(-total // per_page))
    view = URIRef(page_url(page))
    g.add((view, RDF.type, HYDRA.PagedCollection))
    g.add((view, HYDRA.totalItems, Literal(total)))
    g.add((view, HYDRA.itemsPerPage, Literal(per_page)))
    g.add((view, HYDRA.firstPage, URIRef(page_url(1))))
    g.add((view, HYDRA.lastPage, URIRef(page_url(last))))
    if page < last:
        g.add((view, HYDRA.nextPage, URIRef(page_url(page + 1))))
    if page > 1:
        g.add((view, HYDRA.previousPage, URIRef(page_url(page - 1))))
    return g


def serialize(g: Graph, fmt: str) -> str:
    if fmt == "jsonld":
        return g.serialize(format="json-ld", context=JSONLD_CONTEXT, auto_compact=True)
    return g.serialize(format="turtle")


def parse_rdf(data, fmt: str, public_id: str | None = None) -> Graph:
    """Parse RDF text into a graph.

    rdflib 7.5+'s own JSON-LD parser builds a ConjunctiveGraph internally and warns about its own
    deprecation; that warning is about rdflib's code, not ours, so it is silenced here only.
    """
    g = Graph()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"(ConjunctiveGraph|Dataset\.default_context) is deprecated",
                                category=DeprecationWarning)
        g.parse(data=data, format=fmt, publicID=public_id)
    return g
