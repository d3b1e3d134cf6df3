"""What a dashboard describes: a period of whole UTC days and, optionally, one owning department.

Operators may look at the whole city or any department; an officer always gets their own department,
whatever the query asks for (asking for another department is refused, not silently rewritten).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from catalog.models import Department
from market.auth.models import Role
from market.db import db, utcnow
from market.errors import Forbidden, NotFound, ValidationFailed

DEFAULT_DAYS = 90
MAX_DAYS = 1830  # five years: every figure is an aggregate, but a bound keeps the scans predictable
EARLIEST = date(2000, 1, 1)


@dataclass(frozen=True)
class Scope:
    start: date  # first day, inclusive (UTC)
    end: date  # last day, inclusive (UTC)
    department: Department | None  # None = the whole city
    now: datetime  # "still open past due" is judged at this moment

    @property
    def lo(self) -> datetime:
        return datetime.combine(self.start, time.min)

    @property
    def hi(self) -> datetime:
        """The first moment after the period (exclusive upper bound)."""
        return datetime.combine(self.end + timedelta(days=1), time.min)

    @property
    def department_id(self) -> int | None:
        return self.department.id if self.department is not None else None

    def as_dict(self) -> dict:
        dept = self.department
        return {"from": self.start.isoformat(), "to": self.end.isoformat(),
                "department": None if dept is None else {"id": dept.id, "code": dept.code, "name": dept.name}}


def _department(ref: str) -> Department:
    ref = ref.strip()
    query = select(Department)
    if ref.isdigit() and len(ref) <= 12:
        query = query.where(Department.id == int(ref))
    else:
        query = query.where(Department.code == ref)
    dept = db.session.scalar(query)
    if dept is None:
        raise NotFound(_("没有编码或编号为“%(d)s”的部门。", d=ref[:64]), code="department_not_found",
                       fields={"department": ["unknown department"]})
    return dept


def resolve_scope(user, *, start: date | None = None, end: date | None = None, department: str | None = None,
                  now: datetime | None = None) -> Scope:
    """Check the period and decide which department ``user`` may see (403 for another one)."""
    now = now or utcnow()
    end = end or now.date()
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise ValidationFailed(_("开始日期不能晚于结束日期。"), fields={"from": ["after 'to'"]})
    if start < EARLIEST:
        raise ValidationFailed(_("开始日期不能早于 2000-01-01。"), fields={"from": ["before 2000-01-01"]})
    if (end - start).days + 1 > MAX_DAYS:
        raise ValidationFailed(_("统计期最长 %(n)s 天，请缩短日期范围。", n=MAX_DAYS),
                               fields={"to": [f"period longer than {MAX_DAYS} days"]})
    if user.role == Role.operator:
        dept = _department(department) if department else None
    elif user.role == Role.officer:
        dept = user.department
        if department and _department(department).id != user.department_id:
            raise Forbidden(_("您只能查看本部门的数据看板。"), code="other_department")
    else:
        raise Forbidden(_("数据看板仅对部门数据官和平台运营人员开放。"), code="forbidden_role")
    return Scope(start=start, end=end, department=dept, now=now)
