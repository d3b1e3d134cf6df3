"""DCAT-AP export: valid RDF, the open catalog's dataset count, EU vocabularies, paging."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

from opendata.dcat import CSVW, HYDRA, MKT, parse_rdf
from search.base import SearchQuery
from search.service import search_datasets

EU = "http://publications.europa.eu/resource/authority/"


@pytest.fixture
def entries(make_department, make_category, make_dataset):
    dept, cat = make_department(name="市交通局"), make_category(name="交通")
    return {
        "open": make_dataset("公交线路", department=dept, category=cat, tags=["公交"], formats=["CSV", "JSON"],
                             update_frequency="daily", items=[("线路名称", False), ("司机工号", True)]),
        "conditional": make_dataset("出租车轨迹", department=dept, open_attribute="conditional",
                                    update_frequency="realtime", level=3),
        "closed": make_dataset("驾驶人信息", department=dept, open_attribute="closed", level=4),
        "draft": make_dataset("草稿", department=dept, status="draft"),
        "more": [make_dataset(f"路网数据{n}", department=dept) for n in range(3)],
    }


def _graph(client, path: str, fmt: str) -> Graph:
    resp = client.get(path)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    return parse_rdf(resp.get_data(as_text=True), fmt)


@pytest.mark.parametrize(("path", "fmt"), [("/catalog.ttl?per_page=1000", "turtle"),
                                           ("/catalog.jsonld?per_page=1000", "json-ld")])
def test_catalog_holds_exactly_the_open_catalog(client, entries, path, fmt):
    g = _graph(client, path, fmt)
    datasets = set(g.subjects(RDF.type, DCAT.Dataset))
    open_total = search_datasets(SearchQuery(open_only=True)).total
    assert len(datasets) == open_total == 5
    catalog = next(g.subjects(RDF.type, DCAT.Catalog))
    assert set(g.objects(catalog, DCAT.dataset)) == datasets
    codes = {str(g.value(d, DCTERMS.identifier)) for d in datasets}
    assert entries["closed"].code not in codes and entries["draft"].code not in codes
    for ds in datasets:  # DCAT-AP mandatory and recommended properties
        for prop in (DCTERMS.title, DCTERMS.description, DCTERMS.publisher, DCTERMS.identifier, DCTERMS.issued,
                     DCTERMS.modified, DCTERMS.language, DCTERMS.accessRights, DCTERMS.accrualPeriodicity,
                     DCAT.contactPoint, DCTERMS.conformsTo, MKT.level):
            assert g.value(ds, prop) is not None, (ds, prop)


def test_attributes_map_onto_eu_vocabularies(client, entries):
    g = _graph(client, f"/datasets/{entries['open'].id}.ttl", "turtle")
    ds = next(g.subjects(RDF.type, DCAT.Dataset))
    assert g.value(ds, DCTERMS.accessRights) == URIRef(EU + "access-right/PUBLIC")
    assert g.value(ds, DCTERMS.accrualPeriodicity) == URIRef(EU + "frequency/DAILY")
    assert g.value(ds, MKT.openAttribute) == Literal("open") and int(g.value(ds, MKT.level)) == 2
    assert {str(k) for k in g.objects(ds, DCAT.keyword)} == {"公交"}
    formats = {g.value(d, DCTERMS["format"]) for d in g.objects(ds, DCAT.distribution)}
    assert formats == {URIRef(EU + "file-type/CSV"), URIRef(EU + "file-type/JSON")}
    media = {str(g.value(d, DCAT.mediaType)) for d in g.objects(ds, DCAT.distribution)}
    assert "https://www.iana.org/assignments/media-types/text/csv" in media
    schema = g.value(ds, DCTERMS.conformsTo)
    columns = {str(g.value(c, CSVW.name)): g.value(c, MKT.sensitive).toPython() for c in g.objects(schema, CSVW.column)}
    assert columns == {"线路名称": False, "司机工号": True}

    cond = _graph(client, f"/datasets/{entries['conditional'].id}.jsonld", "json-ld")
    node = next(cond.subjects(RDF.type, DCAT.Dataset))
    assert cond.value(node, DCTERMS.accessRights) == URIRef(EU + "access-right/RESTRICTED")
    assert cond.value(node, DCTERMS.accrualPeriodicity) == URIRef(EU + "frequency/UPDATE_CONT")
    assert client.get(f"/datasets/{entries['closed'].id}.ttl").status_code == 404
    assert client.get(f"/datasets/{entries['draft'].id}.jsonld").status_code == 404


def test_large_catalogs_are_paged_with_hydra_links(client, entries):
    seen, url, pages = set(), "/catalog.ttl?per_page=2", 0
    while url:
        g = _graph(client, url, "turtle")
        pages += 1
        seen |= {str(g.value(d, DCTERMS.identifier)) for d in g.subjects(RDF.type, DCAT.Dataset)}
        assert int(next(g.objects(None, HYDRA.totalItems))) == 5
        following = next(g.objects(None, HYDRA.nextPage), None)
        url = str(following).split("://", 1)[1].split("/", 1)[1] if following else None
        url = "/" + url if url else None
    assert pages == 3 and len(seen) == 5
    assert client.get("/catalog.ttl?per_page=5000").status_code == 422
    assert client.get("/catalog.ttl?page=0").status_code == 422
