"""The bulk (Core) document loader builds exactly what the per-object adapter builds."""

from catalog.models import DataItem
from market.db import db
from search.adapters import dataset_document, load_dataset_documents


def test_bulk_documents_match_the_adapter(make_dataset, make_category):
    cat = make_category("edu", "教育")
    a = make_dataset("学校名录", category=cat, tags=["学校", "教育"], formats=["CSV", "API"])
    a.items.append(DataItem(position=5, name="地址", description="学校地址"))
    b = make_dataset("无分类数据", tags=[], formats=[], items=[])
    db.session.commit()
    bulk = {d["id"]: d for d in load_dataset_documents(db.session, [a.id, b.id, 999_999])}
    assert set(bulk) == {a.id, b.id}
    for ds in (a, b):
        one = dataset_document(ds)
        got = bulk[ds.id]
        for key in ("tags", "tag", "format"):
            assert sorted(got.pop(key)) == sorted(one.pop(key))
        assert got == one
