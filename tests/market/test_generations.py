"""Per-process generation caches: a committed change to the watched rows drops the cached values here at
once, and — through the generation's stamp file — in every other process on the data folder; a rollback
announces nothing."""

import pytest
from sqlalchemy import func, select

from catalog.models import Department
from market import generations, stamps
from market.db import db


@pytest.fixture
def departments(app):
    gen = generations.Generation("test.departments", Department)
    calls = []

    def count():
        calls.append(1)
        return db.session.scalar(select(func.count()).select_from(Department))

    yield gen, (lambda: gen.get("count", count)), calls
    generations._registry.remove(gen)


def test_a_commit_here_drops_the_value_and_announces_it(departments, make_department):
    gen, count, calls = departments
    make_department()
    assert count() == count() == 1 and len(calls) == 1  # kept
    before = stamps.read(gen.stamp_path())
    make_department()
    assert count() == 2 and len(calls) == 2
    assert stamps.read(gen.stamp_path()) not in (None, before)  # other processes will see it


def test_a_change_announced_by_another_process_drops_the_value(departments, make_department):
    gen, count, calls = departments
    make_department()
    assert count() == 1 and count() == 1 and len(calls) == 1
    stamps.replace(gen.stamp_path())  # what another process's commit does
    assert count() == 1 and len(calls) == 2  # recomputed, not served from the old copy
    assert count() == 1 and len(calls) == 2


def test_a_rollback_announces_nothing(departments):
    gen, count, _calls = departments
    count()
    before = stamps.read(gen.stamp_path())
    db.session.add(Department(code="RB1", name="回滚部门"))
    db.session.flush()
    db.session.rollback()
    assert stamps.read(gen.stamp_path()) == before
    assert count() == 0
