"""`market backup` / `market restore`: a round trip keeps every row, the stored files, the audit chain and
search; damaged or foreign archives are refused before anything is touched."""

import io
import tarfile
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import func, select

from audit.services import record_event, verify_chain
from catalog.models import Dataset
from market.backup import BackupError, create_backup, restore_backup
from market.cli import cli
from market.db import db


@pytest.fixture
def stored_file(app):
    path = Path(current_app.config["MARKET"].data_dir) / "uploads" / "t" / "人口.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("姓名,年龄\n张三,30\n", encoding="utf-8")
    yield path
    path.unlink(missing_ok=True)


def _wipe():
    from market.backup import _tables

    db.session.rollback()
    with db.engine.begin() as conn:
        for table in reversed(_tables()):
            conn.execute(table.delete())


def test_round_trip_keeps_rows_files_audit_chain_and_search(app, client, tmp_path, make_dataset, make_user,
                                                           stored_file):
    ds = make_dataset("企业登记基本信息", tags=("企业",), level=3)
    user = make_user("officer")
    record_event("dataset.published", "dataset", ds.id, actor=user, payload={"note": "含中文"})
    record_event("dataset.updated", "dataset", ds.id, actor=user)
    db.session.commit()
    before = {"title": ds.title, "items": [(i.name, i.sensitive) for i in ds.items], "tags": list(ds.tags),
              "published_at": ds.published_at, "created": ds.created_at}
    archive = tmp_path / "b.tar.gz"
    report = create_backup(archive)
    assert archive.exists() and report.tables["datasets"] == 1 and report.files >= 1

    _wipe()
    stored_file.unlink()
    assert db.session.scalar(select(func.count()).select_from(Dataset)) == 0

    manifest = restore_backup(archive)
    assert manifest["tables"]["datasets"] == 1
    restored = db.session.scalar(select(Dataset))
    assert {"title": restored.title, "items": [(i.name, i.sensitive) for i in restored.items],
            "tags": list(restored.tags), "published_at": restored.published_at,
            "created": restored.created_at} == before
    assert stored_file.read_text(encoding="utf-8") == "姓名,年龄\n张三,30\n"
    result = verify_chain()
    assert result.ok and result.checked >= 2
    # the index was rebuilt from the restored rows: the product is found again
    resp = client.get("/api/v1/datasets?q=企业登记")
    assert [i["title"] for i in resp.get_json()["items"]] == ["企业登记基本信息"]
    # new rows after a restore get fresh ids (sequences follow the restored data on PostgreSQL)
    again = make_dataset("另一条目录")
    assert again.id > restored.id


def test_restore_refuses_a_database_with_data_unless_forced(app, tmp_path, make_dataset):
    make_dataset("A")
    archive = tmp_path / "a.tar.gz"
    create_backup(archive)
    make_dataset("B")
    with pytest.raises(BackupError, match="already holds data"):
        restore_backup(archive)
    assert db.session.scalar(select(func.count()).select_from(Dataset)) == 2
    restore_backup(archive, force=True)
    assert [d.title for d in db.session.scalars(select(Dataset))] == ["A"]


def test_damaged_archive_is_refused_before_anything_changes(app, tmp_path, make_dataset):
    make_dataset("A")
    archive = tmp_path / "a.tar.gz"
    create_backup(archive)
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive, "r:gz") as src, tarfile.open(damaged, "w:gz") as dst:
        for member in src:
            data = src.extractfile(member).read() if member.isfile() else b""
            if member.name == "db/datasets.jsonl":
                data = data.replace(b'"A"', b'"X"')
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    _wipe()
    with pytest.raises(BackupError, match="datasets.jsonl is damaged"):
        restore_backup(damaged)
    assert db.session.scalar(select(func.count()).select_from(Dataset)) == 0


def test_archive_with_a_path_escaping_member_is_refused(app, tmp_path):
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as tar:
        manifest = b'{"format": 1, "revision": "x", "tables": {}, "sha256": {}}'
        info = tarfile.TarInfo("manifest.json")
        info.size = len(manifest)
        tar.addfile(info, io.BytesIO(manifest))
        info = tarfile.TarInfo("files/../../escape.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    with pytest.raises(BackupError, match="unsafe member"):
        restore_backup(evil)
    assert not (tmp_path.parent / "escape.txt").exists()


def test_cli_round_trip_and_clear_errors(app, runner, tmp_path, make_dataset):
    make_dataset("A")
    archive = tmp_path / "c.tar.gz"
    out = runner.invoke(cli, ["backup", "-o", str(archive)])
    assert out.exit_code == 0, out.output
    assert "Wrote" in out.output and "rows in" in out.output
    out = runner.invoke(cli, ["restore", str(archive)])
    assert out.exit_code == 1 and "already holds data" in out.output
    not_backup = tmp_path / "x.tar.gz"
    not_backup.write_bytes(b"not a tarball")
    out = runner.invoke(cli, ["restore", str(not_backup), "--force"])
    assert out.exit_code == 1 and "cannot read" in out.output
    out = runner.invoke(cli, ["restore", str(archive), "--force"])
    assert out.exit_code == 0 and "search index rebuilt" in out.output
