"""Demo accounts, one or more for every role. The passwords are fixed and documented on purpose:
this is a demo city, printed by ``market seed-demo`` and listed in the README. Never seed a real
deployment with them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    role: str
    department: str | None  # department code
    display_name: str


OPERATOR_PASSWORD = "Demo2026!op"
OFFICER_PASSWORD = "Demo2026!of"
REQUESTER_PASSWORD = "Demo2026!rq"
PUBLIC_PASSWORD = "Demo2026!pb"

DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("operator", OPERATOR_PASSWORD, "operator", "DSJ", "陈立（大数据管理局平台运营）"),
    DemoUser("ga_officer", OFFICER_PASSWORD, "officer", "GA", "王建国（公安局首席数据官）"),
    DemoUser("scjg_officer", OFFICER_PASSWORD, "officer", "SCJG", "周敏（市场监管局首席数据官）"),
    DemoUser("rsj_officer", OFFICER_PASSWORD, "officer", "RSJ", "顾晓雯（人社局首席数据官）"),
    DemoUser("wjw_officer", OFFICER_PASSWORD, "officer", "WJW", "钱志强（卫健委首席数据官）"),
    DemoUser("zrzy_officer", OFFICER_PASSWORD, "officer", "ZRZY", "秦芳（自然资源和规划局首席数据官）"),
    DemoUser("mzj_requester", REQUESTER_PASSWORD, "requester", "MZJ", "许佳琪（民政局社会救助处）"),
    DemoUser("jyj_requester", REQUESTER_PASSWORD, "requester", "JYJ", "蒋浩（教育局基础教育处）"),
    DemoUser("gjj_requester", REQUESTER_PASSWORD, "requester", "GJJ", "华丹（公积金中心贷款部）"),
    DemoUser("lxq_requester", REQUESTER_PASSWORD, "requester", "LXQ", "荣一鸣（梁溪区数据局）"),
    DemoUser("enterprise", PUBLIC_PASSWORD, "public", None, "无锡华瑞物联网科技有限公司"),
    DemoUser("citizen", PUBLIC_PASSWORD, "public", None, "市民李女士"),
)
