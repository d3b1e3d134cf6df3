"""The audit log is a hash chain: appends link up, any edit is found and named, parallel appends
do not fork the chain."""

import threading

import pytest
from sqlalchemy import func, select, text

from audit import record_event, verify_chain
from audit.models import AppendOnlyError, AuditEvent
from market.cli import cli
from market.db import db


def _append(n: int, actor=None):
    for i in range(n):
        record_event("test.event", "thing", i, actor=actor, payload={"n": i, "名称": "数据"})
    db.session.commit()


def test_appends_link_each_entry_to_the_previous_one(app, make_user):
    user = make_user("operator")
    _append(3, user)
    rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [r.id for r in rows] == [1, 2, 3]
    assert rows[0].prev_hash == "0" * 64
    assert rows[1].prev_hash == rows[0].hash and rows[2].prev_hash == rows[1].hash
    assert rows[0].actor_id == user.id and rows[0].payload == {"n": 0, "名称": "数据"}
    assert verify_chain().ok and verify_chain().checked == 3


@pytest.mark.parametrize(("column", "value"), [
    ("action", "'test.forged'"),
    ("payload", "'{\"n\": 99}'"),
    ("actor_id", "NULL"),
    ("object_id", "'7'"),
])
def test_editing_any_row_with_raw_sql_is_found_and_named(app, runner, make_user, column, value):
    _append(5, make_user("operator"))
    db.session.execute(text(f"UPDATE audit_events SET {column} = {value} WHERE id = 3"))
    db.session.commit()
    result = verify_chain()
    assert not result.ok and result.broken_id == 3 and result.checked == 2
    out = runner.invoke(cli, ["audit", "verify"])
    assert out.exit_code == 1
    assert "audit entry 3 is broken" in out.output


def test_rehashing_an_edited_row_breaks_the_next_link(app):
    _append(4)
    db.session.execute(text("UPDATE audit_events SET hash = :h WHERE id = 2"), {"h": "f" * 64})
    db.session.commit()
    assert verify_chain().broken_id in (2, 3)


def test_deleting_a_middle_or_last_row_is_found(app, runner):
    _append(4)
    db.session.execute(text("DELETE FROM audit_events WHERE id = 2"))
    db.session.commit()
    assert verify_chain().broken_id == 2
    db.session.execute(text("DELETE FROM audit_events WHERE id >= 3"))
    db.session.commit()
    result = verify_chain()
    assert not result.ok and "removed" in result.reason


def test_verify_command_passes_on_an_intact_chain(app, runner):
    _append(2)
    out = runner.invoke(cli, ["audit", "verify"])
    assert out.exit_code == 0, out.output
    assert "2 entries verified" in out.output


def test_orm_refuses_to_update_or_delete_entries(app):
    _append(1)
    row = db.session.get(AuditEvent, 1)
    row.action = "changed"
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()


def test_parallel_appends_make_one_unbroken_chain(app):
    """Threads with their own sessions and connections append at once; the head lock serialises them."""
    errors = []

    def worker():
        try:
            with app.app_context():
                _append(10)
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 40
    result = verify_chain()
    assert result.ok and result.checked == 40
