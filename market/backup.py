"""``market backup`` / ``market restore``: the database, the stored files and a rebuilt search index.

A backup is one ``.tar.gz`` holding
- ``manifest.json``: format version, schema revision, when, row counts per table, SHA-256 of every member;
- ``db/<table>.jsonl``: a logical dump of every table (one JSON object per row, typed values encoded
  portably), so a backup taken on SQLite restores into PostgreSQL and back;
- ``files/…``: everything the embedded defaults keep in ``MARKET_DATA_DIR`` except what is rebuilt or
  transient (the SQLite database itself — it is in ``db/`` —, the search index, the job queue, locks).

Restore verifies every checksum before touching anything, refuses a database that already holds data
unless ``--force``, loads all tables in one transaction (all or nothing), puts the files back, resets
PostgreSQL sequences and rebuilds the search index. The audit chain survives byte for byte, so
``market audit verify`` passes after a restore.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select, text
from sqlalchemy import types as sa_types

from .db import db
from .dbmigrate import head_revision, upgrade_database

FORMAT = 1
BATCH = 2000
# Files in MARKET_DATA_DIR that are not backed up: rebuilt (search index), transient (job queue, locks),
# or dumped logically (the SQLite database and its journals).
SKIP_TOP = {"search", "jobs.db", "jobs.db-wal", "jobs.db-shm", "backups", "cache"}
SKIP_SUFFIXES = (".lock", ".tmp")


class BackupError(Exception):
    """A backup or restore cannot go on; the message says why and what to do."""


@dataclass
class BackupReport:
    path: Path
    tables: dict[str, int] = field(default_factory=dict)
    files: int = 0
    bytes: int = 0
    seconds: float = 0.0


# --- value encoding -----------------------------------------------------------------------------------
def _encoder(col_type) -> Callable[[object], object]:
    if isinstance(col_type, sa_types.DateTime):
        return lambda v: v.isoformat()
    if isinstance(col_type, sa_types.Date):
        return lambda v: v.isoformat()
    if isinstance(col_type, sa_types.Time):
        return lambda v: v.isoformat()
    if isinstance(col_type, sa_types.Numeric) and not isinstance(col_type, sa_types.Float):
        return lambda v: str(v)
    if isinstance(col_type, sa_types.LargeBinary):
        return lambda v: base64.b64encode(bytes(v)).decode("ascii")
    if isinstance(col_type, sa_types.Enum):
        return lambda v: getattr(v, "value", v)
    if isinstance(col_type, sa_types.Interval):
        return lambda v: v.total_seconds()
    return lambda v: v


def _decoder(col_type) -> Callable[[object], object]:
    if isinstance(col_type, sa_types.DateTime):
        return dt.datetime.fromisoformat
    if isinstance(col_type, sa_types.Date):
        return dt.date.fromisoformat
    if isinstance(col_type, sa_types.Time):
        return dt.time.fromisoformat
    if isinstance(col_type, sa_types.Numeric) and not isinstance(col_type, sa_types.Float):
        return decimal.Decimal
    if isinstance(col_type, sa_types.LargeBinary):
        return base64.b64decode
    if isinstance(col_type, sa_types.Interval):
        return lambda v: dt.timedelta(seconds=v)
    return lambda v: v


def _tables():
    from .models import import_all_models

    import_all_models()
    return [t for t in db.metadata.sorted_tables if t.name != "alembic_version"]


# --- backup --------------------------------------------------------------------------------------------
def _skipped_file(rel: Path, db_file: Path | None, data_dir: Path) -> bool:
    if rel.parts and rel.parts[0] in SKIP_TOP:
        return True
    if rel.name.endswith(SKIP_SUFFIXES):
        return True
    if db_file is not None:
        full = (data_dir / rel).resolve()
        if full == db_file or full.name in {db_file.name + s for s in ("-wal", "-shm", "-journal")}:
            return True
    return False


def _sqlite_file() -> Path | None:
    url = db.engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve()
    return None


def iter_data_files(data_dir: Path) -> Iterator[tuple[Path, Path]]:
    """(absolute path, path relative to the data folder) of every file a backup keeps."""
    db_file = _sqlite_file()
    for root, dirs, files in os.walk(data_dir):
        rel_root = Path(root).relative_to(data_dir)
        dirs[:] = sorted(d for d in dirs if not _skipped_file(rel_root / d, db_file, data_dir))
        for name in sorted(files):
            rel = rel_root / name
            if not _skipped_file(rel, db_file, data_dir) and (Path(root) / name).is_file():
                yield Path(root) / name, rel


def create_backup(output: Path | None = None, *, progress: Callable[[str, int], None] | None = None
                  ) -> BackupReport:
    """Write a backup archive; the database is read in one repeatable snapshot (one transaction)."""
    started = time.perf_counter()
    settings = current_app.config["MARKET"]
    data_dir = Path(settings.data_dir)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    output = Path(output) if output else data_dir / "backups" / f"market-backup-{stamp}.tar.gz"
    output.parent.mkdir(parents=True, exist_ok=True)
    report = BackupReport(path=output)
    checksums: dict[str, str] = {}
    partial = output.with_name(output.name + ".partial")
    try:
        with tarfile.open(partial, "w:gz") as tar, db.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
            elif conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN")  # one read snapshot across every table
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            for table in _tables():
                encoders = {c.name: _encoder(c.type) for c in table.columns}
                with tempfile.TemporaryFile() as buf:
                    digest = hashlib.sha256()
                    count = 0
                    order = [c for c in table.primary_key.columns] or list(table.columns)
                    result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(
                        select(table).order_by(*order))
                    for row in result.mappings():
                        line = json.dumps({k: (None if v is None else encoders[k](v)) for k, v in row.items()},
                                          ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
                        buf.write(line)
                        digest.update(line)
                        count += 1
                    _add_stream(tar, f"db/{table.name}.jsonl", buf)
                checksums[f"db/{table.name}.jsonl"] = digest.hexdigest()
                report.tables[table.name] = count
                if progress:
                    progress(table.name, count)
            conn.rollback()
            for full, rel in iter_data_files(data_dir):
                if full.resolve() in (output.resolve(), partial.resolve()):
                    continue
                name = f"files/{rel.as_posix()}"
                checksums[name] = _sha256_file(full)
                tar.add(full, arcname=name, recursive=False)
                report.files += 1
                if progress:
                    progress(name, 1)
            manifest = {"format": FORMAT, "revision": revision, "created_at": stamp,
                        "database": db.engine.dialect.name, "tables": report.tables, "sha256": checksums}
            _add_stream(tar, "manifest.json", io.BytesIO(json.dumps(manifest, indent=1).encode()))
        os.replace(partial, output)
    except BaseException:
        partial.unlink(missing_ok=True)  # never leave a half-written archive that looks complete
        raise
    report.bytes = output.stat().st_size
    report.seconds = time.perf_counter() - started
    return report


def _add_stream(tar: tarfile.TarFile, name: str, fh) -> None:
    fh.seek(0, os.SEEK_END)
    info = tarfile.TarInfo(name)
    info.size = fh.tell()
    info.mtime = int(time.time())
    fh.seek(0)
    tar.addfile(info, fh)


def _sha256_stream(fh) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: fh.read(1 << 20), b""):
        digest.update(chunk)
    return digest.hexdigest()


def _sha256_file(path: Path) -> str:
    with open(path, "rb") as fh:
        return _sha256_stream(fh)


# --- restore -------------------------------------------------------------------------------------------
def read_manifest(tar: tarfile.TarFile) -> dict:
    try:
        member = tar.getmember("manifest.json")
    except KeyError:
        raise BackupError("not a market backup: manifest.json is missing") from None
    manifest = json.loads(tar.extractfile(member).read())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"backup format {manifest.get('format')!r} is not supported (expected {FORMAT})")
    return manifest


def _safe_member(member: tarfile.TarInfo) -> bool:
    path = Path(member.name)
    return not path.is_absolute() and ".." not in path.parts and (member.isfile() or member.isdir())


def verify_archive(path: Path) -> dict:
    """Check every member against the manifest; return the manifest. Raises BackupError naming the problem."""
    try:
        with tarfile.open(path, "r:gz") as tar:
            manifest = read_manifest(tar)
            expected = dict(manifest["sha256"])
            for member in tar:
                if member.name == "manifest.json":
                    continue
                if not _safe_member(member):
                    raise BackupError(f"unsafe member {member.name!r} in the archive (absolute path, '..' or link)")
                if member.isdir():
                    continue
                want = expected.pop(member.name, None)
                if want is None:
                    raise BackupError(f"{member.name} is in the archive but not in its manifest")
                if _sha256_stream(tar.extractfile(member)) != want:
                    raise BackupError(f"{member.name} is damaged (checksum mismatch); use another backup")
            if expected:
                raise BackupError(f"the archive lacks {len(expected)} member(s), e.g. {next(iter(expected))}")
    except (tarfile.TarError, EOFError, OSError, json.JSONDecodeError) as exc:
        raise BackupError(f"cannot read {path}: {exc}") from None
    return manifest


def database_has_data() -> dict[str, int]:
    counts = {}
    for table in _tables():
        n = db.session.scalar(select(func.count()).select_from(table))
        if n:
            counts[table.name] = n
    return counts


def restore_backup(path: Path, *, force: bool = False, progress: Callable[[str, int], None] | None = None
                   ) -> dict:
    """Restore an archive made by :func:`create_backup`; return its manifest."""
    path = Path(path)
    manifest = verify_archive(path)
    upgrade_database()
    head = head_revision()
    if manifest["revision"] != head:
        raise BackupError(f"the backup is of schema revision {manifest['revision']}, this code expects {head}; "
                          "restore it with the release that made it, then upgrade")
    existing = database_has_data()
    if existing and not force:
        sample = ", ".join(f"{k} ({v})" for k, v in list(existing.items())[:3])
        raise BackupError(f"the database already holds data ({sample} …); restore into an empty database "
                          "or pass --force to replace everything")
    tables = _tables()
    settings = current_app.config["MARKET"]
    data_dir = Path(settings.data_dir)
    db.session.rollback()  # release this session's read snapshot before writing on another connection
    with tarfile.open(path, "r:gz") as tar:
        with db.engine.begin() as conn:  # all tables or none
            for table in reversed(tables):
                conn.execute(table.delete())
            for table in tables:
                member_name = f"db/{table.name}.jsonl"
                try:
                    fh = tar.extractfile(member_name)
                except KeyError:
                    raise BackupError(f"the archive has no dump of table {table.name}") from None
                decoders = {c.name: _decoder(c.type) for c in table.columns}
                batch, count = [], 0
                for raw in fh:
                    row = json.loads(raw)
                    batch.append({k: (None if v is None else decoders[k](v)) for k, v in row.items()
                                  if k in decoders})
                    if len(batch) >= BATCH:
                        conn.execute(table.insert(), batch)
                        count += len(batch)
                        batch = []
                if batch:
                    conn.execute(table.insert(), batch)
                    count += len(batch)
                if count != manifest["tables"].get(table.name, 0):
                    raise BackupError(f"table {table.name}: {count} rows read, manifest says "
                                      f"{manifest['tables'].get(table.name, 0)}")
                if progress:
                    progress(table.name, count)
            if conn.dialect.name == "postgresql":
                _reset_sequences(conn, tables)
        _restore_files(tar, data_dir, progress)
    db.session.expire_all()
    _rebuild_index()
    return manifest


def _restore_files(tar: tarfile.TarFile, data_dir: Path, progress) -> None:
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=data_dir))
    try:
        members = [m for m in tar.getmembers() if m.name.startswith("files/") and m.isfile()]
        for member in members:
            rel = Path(member.name).relative_to("files")
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            with tar.extractfile(member) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
        for member in members:  # every file extracted: now move them into place
            rel = Path(member.name).relative_to("files")
            dest = data_dir / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / rel, dest)
            if progress:
                progress(member.name, 1)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _reset_sequences(conn, tables) -> None:
    for table in tables:
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and isinstance(pk[0].type, sa_types.Integer) and pk[0].autoincrement in (True, "auto"):
            seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                               {"t": table.name, "c": pk[0].name}).scalar()
            if seq:
                conn.execute(text(f"SELECT setval(:s, COALESCE((SELECT MAX({pk[0].name}) FROM {table.name}), 0) + 1, false)"),
                             {"s": seq})


def _rebuild_index() -> int:
    from search.service import get_backend, iter_documents

    return get_backend().rebuild(iter_documents())
