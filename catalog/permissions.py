"""Who may see, edit and request a catalog entry. Views, API and templates use these predicates."""

from __future__ import annotations

from flask_babel import gettext as _

from market.auth.models import Role

from .models import Dataset
from .vocab import DatasetStatus, OpenAttribute, ShareAttribute


def _user(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def can_manage(dataset: Dataset, user) -> bool:
    """Owners (the department's data officer) and platform operators manage an entry."""
    user = _user(user)
    if user is not None and not user.is_operator and _is_harvested(dataset):
        return False  # harvested entries are read-only: their source catalog owns them
    return user is not None and (user.is_operator or user.is_officer_of(dataset.department_id))


def _is_harvested(dataset: Dataset) -> bool:
    from opendata.harvest.records import is_harvested

    return is_harvested(dataset)


def can_create_in(department_id: int | None, user) -> bool:
    user = _user(user)
    return user is not None and (user.is_operator or user.is_officer_of(department_id))


def can_view(dataset: Dataset, user) -> bool:
    """Published open data: everyone; published shared data: government staff; drafts and retired
    entries: their owners and operators."""
    if dataset.status != DatasetStatus.published:
        return can_manage(dataset, user)
    user = _user(user)
    if user is not None and user.is_staff:
        return True
    return dataset.open_attribute != OpenAttribute.closed


def request_block_reason(dataset: Dataset, user) -> str | None:
    """Why ``user`` cannot put the entry in the cart, or None if they can."""
    if dataset.status != DatasetStatus.published:
        return _("该目录未发布，不能申请。")
    public = _user(user)
    if public is not None and public.role == Role.public:  # enterprises and citizens: conditional-open only
        if dataset.open_attribute == OpenAttribute.conditional:
            return None  # identity checked at checkout (opendata.applicants); share attribute is for departments
        if dataset.open_attribute == OpenAttribute.open:
            return _("这是无条件开放数据，无需申请，可直接下载使用。")
        return _("该数据不向社会开放，企业和个人不能申请；如确有需要，请发布数据需求。")
    if dataset.share_attribute == ShareAttribute.none:
        return _("该数据为不予共享，不能申请；如确有需要，请发布数据需求。")
    user = _user(user)
    if user is None:
        return _("请先登录政务账号再申请共享数据。")
    if user.role not in (Role.requester, Role.officer):
        return _("共享申请仅限政务部门用户；开放数据可直接下载使用。")
    if user.department_id == dataset.department_id:
        return _("这是本部门的数据，无需申请。")
    return None


def can_request(dataset: Dataset, user) -> bool:
    return request_block_reason(dataset, user) is None


def visibility(user) -> dict:
    """Search visibility for ``user``: which statuses and whether only open data is shown."""
    user = _user(user)
    return {"statuses": ("published",), "open_only": not (user is not None and user.is_staff)}
