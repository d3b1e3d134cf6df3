"""The demo city's demands and objections, made through the real services (so routing suggestions, audit
entries and notifications are what the pages show): one demand waiting for routing, one promised for
publication with two "me too", one met by an existing entry, one refused, one waiting for the owner's
answer; an open objection and a corrected one."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from catalog.models import Dataset, Department
from market.auth.models import User
from market.db import db, utcnow

from . import services
from .objections import answer_objection, create_objection

DEMANDS = [
    # (key, poster, title, description, purpose, items, frequency)
    ("charging", "citizen", "新能源汽车充电桩实时空闲状态", "全市公共充电桩的位置和实时空闲情况。",
     "出行前查找附近可用的充电桩", ["充电站名称", "地址", "空闲桩数", "更新时间"], "realtime"),
    ("ages", "mzj_requester", "户籍人口年龄结构统计", "按街道统计的户籍人口年龄分布。",
     "测算各街道养老服务设施需求，编制社区养老服务规划", ["街道", "年龄段", "户籍人口数"], "yearly"),
    ("insured", "enterprise", "企业社保参保人数月度统计", "按企业统计的社会保险参保人数。",
     "核实合作企业用工规模，用于供应链风险评估", ["统一社会信用代码", "参保人数", "统计月份"], "monthly"),
    ("checkups", "jyj_requester", "学生健康体检结果", "中小学生年度健康体检的逐人结果。",
     "分析学生近视率和肥胖率，制定校园健康干预措施", ["学生姓名", "学校", "视力", "身高", "体重"], "yearly"),
    ("property", "lxq_requester", "不动产登记信息（按小区汇总）", "各小区的不动产登记套数和面积。",
     "老旧小区改造摸底", ["小区名称", "登记套数", "建筑面积"], "once"),
]
log = logging.getLogger(__name__)
ROUTES = {"ages": "GA", "insured": "RSJ", "checkups": "WJW", "property": "ZRZY"}


def _users() -> dict[str, User]:
    names = {"operator", "citizen", "enterprise", "mzj_requester", "jyj_requester", "lxq_requester", "ga_officer",
             "rsj_officer", "wjw_officer", "zrzy_officer"}
    return {u.username: u for u in db.session.scalars(select(User).where(User.username.in_(names)))}


def _first_entry(code: str) -> Dataset | None:
    return db.session.scalar(select(Dataset).join(Department).where(Department.code == code,
                                                                   Dataset.status == "published")
                             .order_by(Dataset.id).limit(1))


def seed_demo_extra(result) -> str:
    users = _users()
    if len(users) < 10:
        return "Demands: demo accounts missing, no demo demands."
    try:  # suggestions search the catalog index, which the seed fills only at the end
        from search.service import index_datasets

        index_datasets(list(result.dataset_ids))
    except Exception:  # the suggestions then rest on department names and functions only
        log.exception("indexing before the demo demands failed")
    made = {}
    for key, poster, title, description, purpose, items, frequency in DEMANDS:
        made[key] = services.create_demand(users[poster], {
            "title": title, "description": description, "purpose": purpose, "items": items,
            "frequency": frequency})
    for key, code in ROUTES.items():
        services.route(made[key], users["operator"], code)
    services.me_too(made["ages"], users["enterprise"], "养老机构选址分析")
    services.me_too(made["ages"], users["lxq_requester"], "梁溪区社区服务中心布点")
    services.answer(made["ages"], users["ga_officer"], outcome="will_publish", comment="将按季度发布街道级汇总数据",
                    publish_by=(utcnow() + timedelta(days=30)).date())
    insured = _first_entry("RSJ")
    if insured is not None:
        services.answer(made["insured"], users["rsj_officer"], outcome="exists", dataset_id=insured.id,
                        comment="该目录已含参保单位和参保人数，可直接申请")
    services.answer(made["checkups"], users["wjw_officer"], outcome="refused",
                    comment="逐人体检结果涉及未成年人健康隐私，不予提供；可改提按学校汇总的统计需求")

    objections = 0
    ga = _first_entry("GA")
    if ga is not None and ga.items:
        create_objection(users["mzj_requester"], {
            "dataset_id": ga.id, "item_name": ga.items[0].name, "kind": "wrong",
            "description": "部分记录与民政婚姻登记信息不一致，疑为录入错误", "other_source": ""})
        late = create_objection(users["lxq_requester"], {
            "dataset_id": ga.id, "kind": "late", "description": "数据已两个月未更新，与登记的更新频率不符",
            "other_source": ""})
        answer_objection(late, users["ga_officer"], outcome="corrected", version=utcnow().strftime("%Y-%m"),
                         comment="已恢复每日同步")
        objections = 2
    return f"Demands: {len(made)} demands, {objections} objections."
