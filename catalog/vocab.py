"""The catalog's controlled vocabulary: API values, Chinese and English labels, and the mapping of
free-text values found in real portals (开放条件, 更新频率) onto it."""

from __future__ import annotations

import re
from enum import StrEnum


class ShareAttribute(StrEnum):
    unconditional = "unconditional"
    conditional = "conditional"
    none = "none"


class OpenAttribute(StrEnum):
    open = "open"
    conditional = "conditional"
    closed = "closed"


class UpdateFrequency(StrEnum):
    realtime = "realtime"
    daily = "daily"
    weekly = "weekly"
    monthly = "monthly"
    quarterly = "quarterly"
    yearly = "yearly"
    irregular = "irregular"


class DatasetStatus(StrEnum):
    draft = "draft"
    published = "published"
    retired = "retired"


class DeliveryMode(StrEnum):
    download = "download"
    api = "api"
    query = "query"


class Library(StrEnum):
    base = "base"  # 基础库
    theme = "theme"  # 主题库


LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "share_attribute": {
        "unconditional": ("无条件共享", "Unconditional sharing"),
        "conditional": ("有条件共享", "Conditional sharing"),
        "none": ("不予共享", "Not shared"),
    },
    "open_attribute": {
        "open": ("无条件开放", "Open"),
        "conditional": ("有条件开放", "Conditionally open"),
        "closed": ("不予开放", "Not open"),
    },
    "update_frequency": {
        "realtime": ("实时", "Real time"),
        "daily": ("每日", "Daily"),
        "weekly": ("每周", "Weekly"),
        "monthly": ("每月", "Monthly"),
        "quarterly": ("每季度", "Quarterly"),
        "yearly": ("每年", "Yearly"),
        "irregular": ("不定期", "Irregular"),
    },
    "status": {
        "draft": ("草稿", "Draft"),
        "published": ("已发布", "Published"),
        "retired": ("已下架", "Retired"),
    },
    "delivery_mode": {
        "download": ("批量下载", "Bulk download"),
        "api": ("接口调用", "API"),
        "query": ("授权查询", "Authorised query"),
    },
    "level": {
        "1": ("一级（公开）", "Level 1 (public)"),
        "2": ("二级（内部）", "Level 2 (internal)"),
        "3": ("三级（敏感）", "Level 3 (sensitive)"),
        "4": ("四级（高度敏感）", "Level 4 (highly sensitive)"),
    },
    "library": {"base": ("基础库", "Base libraries"), "theme": ("主题库", "Thematic libraries")},
}


def label(kind: str, value: object, locale: str = "zh") -> str:
    """The human label of a vocabulary value in ``locale`` (zh or en); the raw value if unknown."""
    pair = LABELS.get(kind, {}).get(str(value))
    if pair is None:
        return str(value)
    return pair[1] if locale.startswith("en") else pair[0]


_FREQUENCY_PATTERNS: list[tuple[str, UpdateFrequency]] = [
    (r"实时|即时|real.?time|continu|streaming", UpdateFrequency.realtime),
    # twice a month does not keep a weekly promise: the nearest value it does keep is monthly
    (r"半月|fortnight|bi-?weekly", UpdateFrequency.monthly),
    (r"每日|每天|日更|按日|^日$|天|daily|day", UpdateFrequency.daily),
    (r"每周|按周|^周$|周更|weekly|week", UpdateFrequency.weekly),
    (r"每季|季度|按季|^季$|quarter", UpdateFrequency.quarterly),
    (r"半年|每年|按年|年度|^年$|每两年|annual|year|biennial", UpdateFrequency.yearly),
    (r"每月|按月|^月$|月度|monthly|month", UpdateFrequency.monthly),
]
# "每 2 日", "每 3 月", "每 121 日": a period in units of days / weeks / months / years
_EVERY_N = re.compile(r"每\s*(\d+)\s*(日|天|周|个月|月|年)")
_UNIT_DAYS = {"日": 1, "天": 1, "周": 7, "个月": 30, "月": 30, "年": 365}
# the most frequent value a period still keeps (every 2 days keeps "weekly", not "daily")
_PERIOD_BUCKETS = ((1, UpdateFrequency.daily), (7, UpdateFrequency.weekly), (31, UpdateFrequency.monthly),
                   (92, UpdateFrequency.quarterly))


def map_update_frequency(text: str | None) -> UpdateFrequency:
    """Map a portal's free-text update frequency (每日, 按年更新, 每 3 月, Annually …) onto our vocabulary.

    Periods map to the most frequent value they still keep (每 2 日 → weekly, 每半年 → yearly; longer
    than a year is yearly too). Anything unrecognised (静态, 不定期, 其他, Unknown, empty) is
    ``irregular``; callers keep the original text.
    """
    if not text:
        return UpdateFrequency.irregular
    cleaned = text.strip().lower()
    every = _EVERY_N.search(cleaned)
    if every:
        days = int(every.group(1)) * _UNIT_DAYS[every.group(2)]
        if days == 0:
            return UpdateFrequency.irregular
        return next((value for limit, value in _PERIOD_BUCKETS if days <= limit), UpdateFrequency.yearly)
    for pattern, value in _FREQUENCY_PATTERNS:
        if re.search(pattern, cleaned):
            return value
    return UpdateFrequency.irregular


def map_open_condition(text: str | None) -> OpenAttribute:
    """Map a portal's open condition (无条件开放, 完全开放, 登录开放, 依申请开放 …) onto our vocabulary.

    无条件/完全/免费/登录/普遍/可开放/无特殊条件 → open (a login is no condition on the data);
    有条件/依申请/受限/实名/安全开放 (Xiamen's sandbox-only tier) → conditional; 不予/不开放/不可开放/禁止 →
    closed; unknown text and placeholders (开放条件, 请补充开放条件) → conditional, the cautious default.
    """
    if not text:
        return OpenAttribute.conditional
    t = text.strip().lower()
    if re.search(r"不予|不开放|不可开放|不可公开|禁止|非开放|not.?open|closed|restricted", t):
        return OpenAttribute.closed
    if re.search(r"有条件|依申请|申请|受限|授权|实名|安全开放|半开放|conditional", t):
        return OpenAttribute.conditional
    if re.search(r"无条件|无特殊条件|完全|免费|登录|普遍|公开|可开放|^开放$|open|public", t):
        return OpenAttribute.open
    return OpenAttribute.conditional


LEVELS = (1, 2, 3, 4)
