"""Demo rules library: the 2026 public-holiday calendar of the State Council notice, data standards (数据元)
referenced by the demo catalog's same-name data items, government terms and search synonyms — each entered
by the demo operator with a reason, so the history pages have content."""

from __future__ import annotations

from sqlalchemy import select

from market.auth.models import User
from market.db import db

from . import calendar, standards, terms
from .models import CalendarDay

REASON_CALENDAR = "依据《国务院办公厅关于2026年部分节假日安排的通知》"
HOLIDAYS_2026 = """
2026-01-01 休 元旦
2026-01-02 休 元旦
2026-01-03 休 元旦
2026-01-04 班 元旦调休上班
2026-02-14 班 春节调休上班
2026-02-15 休 春节
2026-02-16 休 春节
2026-02-17 休 春节
2026-02-18 休 春节
2026-02-19 休 春节
2026-02-20 休 春节
2026-02-21 休 春节
2026-02-22 休 春节
2026-02-23 休 春节
2026-02-28 班 春节调休上班
2026-04-04 休 清明节
2026-04-05 休 清明节
2026-04-06 休 清明节
2026-05-01 休 劳动节
2026-05-02 休 劳动节
2026-05-03 休 劳动节
2026-05-04 休 劳动节
2026-05-05 休 劳动节
2026-05-09 班 劳动节调休上班
2026-06-19 休 端午节
2026-06-20 休 端午节
2026-06-21 休 端午节
2026-09-20 班 国庆节调休上班
2026-09-25 休 中秋节
2026-09-26 休 中秋节
2026-09-27 休 中秋节
2026-10-01 休 国庆节
2026-10-02 休 国庆节
2026-10-03 休 国庆节
2026-10-04 休 国庆节
2026-10-05 休 国庆节
2026-10-06 休 国庆节
2026-10-07 休 国庆节
2026-10-10 班 国庆节调休上班
"""

STANDARDS = [
    ("DE00001", "公民身份号码", "string", 18, "GB 11643-1999",
     "由 17 位数字本体码和 1 位校验码组成的居民身份证号码。属个人敏感信息，共享时需脱敏或经审批。"),
    ("DE00002", "统一社会信用代码", "string", 18, "GB 32100-2015",
     "法人和其他组织的 18 位身份识别代码，由登记管理部门代码、机构类别代码、登记管理机关行政区划码、主体标识码和校验码组成。"),
    ("DE00003", "姓名", "string", 50, "GA/T 2000.1-2012", "自然人在户籍管理部门正式登记注册的姓氏和名称。"),
    ("DE00004", "登记日期", "date", None, "GB/T 7408.1-2023", "办理登记的日期，格式 YYYY-MM-DD。"),
    ("DE00005", "企业名称", "string", 200, "市场监管总局企业登记规范", "经登记机关核准的企业全称。"),
    ("DE00006", "坐落", "string", 200, "GB/T 2260 及地名标准", "不动产或场所所在的地理位置描述，含行政区划和门牌地址。"),
]

TERMS = [
    ("公共数据", "", "public data",
     "各级行政机关和具有公共管理和服务职能的事业单位，在依法履行职责或提供公共服务过程中收集、产生的数据。",
     "《江苏省公共数据管理办法》"),
    ("无条件共享", "", "unconditional sharing", "可以提供给所有政务部门共享使用的公共数据。", "《政务信息资源共享管理暂行办法》"),
    ("有条件共享", "", "conditional sharing", "可以提供给相关政务部门共享使用或仅能够部分提供给所有政务部门共享使用的公共数据，需经数源部门审批。",
     "《政务信息资源共享管理暂行办法》"),
    ("数源部门", "", "source department", "依法采集、产生并负责维护某项公共数据的部门。", "本平台规则"),
    ("首席数据官", "CDO", "chief data officer", "部门负责数据治理、共享开放和审批的负责人。", "本平台规则"),
    ("数据元", "", "data element", "用一组属性描述定义、标识、表示和允许值的数据单元。", "GB/T 18391.1-2009"),
]

SYNONYMS = [("企业", "法人"), ("身份证号", "公民身份号码"), ("户口", "户籍"), ("公交", "公共交通")]


def _operator() -> User | None:
    return db.session.scalar(select(User).where(User.username == "operator"))


def seed_demo_extra(result) -> str:
    actor = _operator()
    if actor is None:
        return "Rules library: no demo operator account, nothing seeded."
    days = 0
    if db.session.scalar(select(CalendarDay.day).limit(1)) is None:
        days = calendar.replace_year(2026, HOLIDAYS_2026, actor=actor, reason=REASON_CALENDAR)
    linked = 0
    for code, name, typ, length, source, description in STANDARDS:
        std = standards.save_standard(None, {"code": code, "name": name, "type": typ, "max_length": length,
                                             "source": source, "description": description},
                                      actor=actor, reason="建立全市统一的基础数据元")
        linked += standards.link_same_name(std, actor=actor, reason="同名信息项统一引用基础数据元")
    for term, abbr, english, definition, source in TERMS:
        terms.save_term(None, {"term": term, "abbreviation": abbr, "english": english, "definition": definition,
                               "source": source}, actor=actor, reason="政务术语词典首批词条")
    for a, b in SYNONYMS:
        terms.add_pair(a, b, actor=actor, reason="用户常用说法与目录用语不一致")
    db.session.flush()
    return (f"Rules library: {days} calendar days of 2026, {len(STANDARDS)} data standards referenced by {linked} "
            f"data items, {len(TERMS)} government terms, {len(SYNONYMS)} synonym pairs.")
