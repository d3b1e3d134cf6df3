"""Demo rows for a few key entries of the demo city, generated reproducibly (one seeded RNG per entry):
enterprise registrations (企业登记基本信息, with unified social credit codes), the licences and lists that
refer to those same enterprises (a licence's holder is a registered company), and hourly air quality
readings per monitoring station. Values follow each entry's own data items, so an entry that dropped an
optional item gets no column for it."""

from __future__ import annotations

import math
import random
from datetime import date, datetime, timedelta

from sqlalchemy import select

from catalog.demo.fields import FIELDS
from catalog.demo.samples import DISTRICT_NAMES, INDUSTRIES, PLACES, ROADS, SITES, value
from catalog.models import Dataset
from market.db import db

from . import store

SEED = 20260501
ENTERPRISES = 20_000
# entry title → rows; the licences and lists pick their holders from the registered enterprises
DERIVED = {
    "食品经营许可证信息": 5_000,
    "食品生产许可证信息": 1_500,
    "道路运输经营许可证信息": 2_500,
    "排污许可证信息": 2_000,
    "经营异常名录信息": 1_000,
}
AIR = "空气质量实时监测数据"
DEMO_HOLDER = "lxq_requester"  # 梁溪区数据局: holds grants on entries with rows
GRANTED_ROWS = 2_000  # rows for each other entry a demo account holds a grant for when this runs
AIR_HOURS = 24 * 30  # 30 days of hourly readings from 2026-10-01, for every station
BRAND_CHARS = "华瑞恒达金科润博远天宏鸿运光中环新锦泰丰源盛鑫诚信安康嘉和永顺昌隆兴德美佳辰晟睿祥瀚澄锡惠蠡"
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I, O, S, V, Z
_IT, _MAKE = "信息传输、软件和信息技术服务业", "制造业"
SECTORS = {"科技": _IT, "物联网科技": _IT, "集成电路": _MAKE, "精密机械": _MAKE, "新材料": _MAKE, "电子": _MAKE,
           "纺织": _MAKE, "生物医药": _MAKE, "食品": _MAKE, "汽车零部件": _MAKE, "环保科技": "科学研究和技术服务业",
           "建设工程": "建筑业", "物流": "交通运输、仓储和邮政业", "商贸": "批发和零售业", "餐饮管理": "住宿和餐饮业",
           "物业服务": "房地产业"}
SCOPES = {_IT: "技术开发、技术服务；软件销售", _MAKE: "普通机械设备制造；货物进出口", "建筑业": "房屋建筑工程施工",
          "交通运输、仓储和邮政业": "道路货物运输；仓储服务", "批发和零售业": "日用百货销售；食品销售",
          "住宿和餐饮业": "餐饮服务；食品销售", "房地产业": "物业管理；停车场服务", "科学研究和技术服务业": "环保技术咨询"}
_USCC_VALUE = {c: i for i, c in enumerate(USCC_CHARS)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_TYPES = {"有限责任公司": "1", "股份有限公司": "1", "个人独资企业": "2", "外商投资企业": "1", "合伙企业": "2"}


def _uscc(rng: random.Random, district: str, kind: str) -> str:
    """An 18-character unified social credit code with a valid GB 32100 check character."""
    body = "9" + ORG_TYPES.get(kind, "1") + PLACES[district][0] + "MA" + "".join(rng.choices(USCC_CHARS, k=7))
    check = (31 - sum(_USCC_VALUE[c] * w for c, w in zip(body, _USCC_WEIGHTS, strict=True)) % 31) % 31
    return body + USCC_CHARS[check]


def _company_name(rng: random.Random, district: str, kind: str) -> tuple[str, str]:
    """无锡瑞鸿精密机械有限公司, 江阴市恒泰纺织股份有限公司 …: a brand of two characters, an industry, a form."""
    place = district if district.endswith("市") else "无锡"
    brand = "".join(rng.sample(BRAND_CHARS, 2))
    form = {"股份有限公司": "股份有限公司", "个人独资企业": "商行", "合伙企业": "企业（有限合伙）"}.get(kind, "有限公司")
    trade = rng.choice(INDUSTRIES)
    return f"{place}{brand}{trade}{form}", SECTORS.get(trade, "制造业")


def _authority(district: str) -> str:
    return f"{district}市场监督管理局" if district.endswith("市") else f"无锡市{district}市场监督管理局"


def enterprises(n: int = ENTERPRISES, seed: int = SEED) -> list[dict]:
    """``n`` registered enterprises with unique codes and names, self-consistent rows."""
    rng = random.Random(seed)
    out, codes, names = [], set(), set()
    while len(out) < n:
        ctx: dict = {"district": rng.choice(DISTRICT_NAMES)}
        kind = value(FIELDS["企业类型"][3], rng, ctx)
        code = _uscc(rng, ctx["district"], kind)
        name, sector = _company_name(rng, ctx["district"], kind)
        if code in codes or name in names:
            continue
        codes.add(code)
        names.add(name)
        founded = date(1995, 1, 1) + timedelta(days=int(rng.betavariate(3, 1.4) * 11_200))
        row = {
            "统一社会信用代码": code, "企业名称": name, "企业类型": kind,
            "法定代表人": value("other_name", rng, ctx),
            "注册资本": round(math.exp(rng.uniform(math.log(10), math.log(50_000))), 2),
            "成立日期": founded.isoformat(),
            "住所": f"无锡市{ctx['district']}{rng.choice(ROADS)}{rng.randrange(1, 900)}号",
            "经营范围": SCOPES.get(sector, "技术开发、技术服务"),
            "登记机关": _authority(ctx["district"]) if rng.random() < 0.7 else "无锡市市场监督管理局",
            "经营状态": rng.choices(("存续", "在业", "注销", "吊销"), (70, 18, 9, 3))[0],
            "所属行业": sector,
        }
        out.append(row)
    return out


def _licence_row(rng: random.Random, holder: dict, items: list[str], n: int) -> dict:
    issued = date(2021, 1, 1) + timedelta(days=rng.randrange(0, 365 * 5 + 300))
    until = issued.replace(year=issued.year + 5) if not (issued.month == 2 and issued.day == 29) else \
        issued + timedelta(days=1826)
    status = "过期" if until < date(2026, 11, 1) else rng.choices(("有效", "注销", "吊销"), (92, 6, 2))[0]
    known = {
        "统一社会信用代码": holder["统一社会信用代码"], "企业名称": holder["企业名称"], "单位名称": holder["企业名称"],
        "法定代表人": holder["法定代表人"], "地址": holder["住所"], "所属行业": holder["所属行业"],
        "登记机关": holder["登记机关"],
        "许可证编号": f"苏{PLACES.get(holder['住所'][3:6], ('320200',))[0]}{issued.year}{n:06d}",
        "发证日期": issued.isoformat(), "有效期至": until.isoformat(), "证照状态": status,
        "列入日期": issued.isoformat(),
        "移出日期": (issued + timedelta(days=rng.randrange(30, 400))).isoformat() if rng.random() < 0.4 else None,
    }
    ctx: dict = {}
    return {name: known[name] if name in known else value(FIELDS[name][3], rng, ctx) for name in items}


def air_quality(items: list[str], seed: int = SEED, hours: int = AIR_HOURS):
    """Hourly readings per station: a daily cycle, weather spells shared by the city, station offsets."""
    rng = random.Random(seed + 7)
    start = datetime(2026, 10, 1)
    spell, offsets = 1.0, {s: rng.uniform(0.8, 1.25) for s in SITES}
    for h in range(hours):
        if h % 24 == 0:
            spell = min(2.6, max(0.45, spell * rng.uniform(0.75, 1.3)))  # fronts come and go
        moment = start + timedelta(hours=h)
        daily = 1 + 0.25 * math.cos((moment.hour - 8) / 24 * 2 * math.pi)  # morning peak for particles
        sun = max(0.0, math.sin((moment.hour - 7) / 14 * math.pi))  # ozone builds in the afternoon
        for site in SITES:
            pm25 = max(3, int(rng.gauss(32, 6) * spell * daily * offsets[site]))
            pm10 = max(pm25 + 2, int(pm25 * rng.uniform(1.3, 1.9)))
            o3 = max(8, int(rng.gauss(55, 10) + 95 * sun / spell ** 0.5))
            no2 = max(4, int(rng.gauss(28, 6) * daily * offsets[site]))
            iaqi = {"PM2.5": _iaqi(pm25, (0, 35, 75, 115, 150, 250)), "PM10": _iaqi(pm10, (0, 50, 150, 250, 350, 420)),
                    "臭氧": _iaqi(o3, (0, 160, 200, 300, 400, 800))}
            primary = max(iaqi, key=iaqi.get)
            aqi = max(iaqi.values())
            row = {"监测站点": f"{site}监测站", "监测时间": moment.strftime("%Y-%m-%d %H:%M:%S"), "AQI指数": aqi,
                   "首要污染物": primary if aqi > 50 else "—", "PM2.5浓度": pm25, "PM10浓度": pm10, "臭氧浓度": o3,
                   "二氧化氮浓度": no2}
            yield {name: row.get(name) for name in items}


def _iaqi(c: float, breaks: tuple[int, ...]) -> int:
    """HJ 633 individual air quality index for concentration ``c`` (piecewise linear)."""
    levels = (0, 50, 100, 150, 200, 300)
    for i in range(1, len(breaks)):
        if c <= breaks[i]:
            lo, hi = breaks[i - 1], breaks[i]
            return round(levels[i - 1] + (levels[i] - levels[i - 1]) * (c - lo) / (hi - lo))
    return 300


def generic_rows(ds: Dataset, n: int, seed: int = SEED):
    """``n`` rows for any entry from the demo field generators (one fake person/company per row)."""
    rng = random.Random(seed + ds.id)
    specs = [(i.name, FIELDS[i.name][3] if i.name in FIELDS else None) for i in ds.items]
    for k in range(n):
        ctx: dict = {}
        yield {name: value(spec, rng, ctx) if spec is not None else f"{name}{k + 1}" for name, spec in specs}


def _granted_entries_without_rows() -> list[Dataset]:
    """Entries the demo accounts already hold grants for, so their 我的授权 page delivers real data."""
    from orders.models import Grant

    from .models import DataTable

    return list(db.session.scalars(select(Dataset).where(
        Dataset.id.in_(select(Grant.dataset_id)), Dataset.id.not_in(select(DataTable.dataset_id)))
        .order_by(Dataset.id)))


def _demo_grants(entries: list[Dataset]) -> int:
    """梁溪区数据局 requests two entries with rows through the real services and every approver says yes,
    so the demo's 我的授权 page and ``market trace`` have grants whose data can be delivered."""
    from market.auth.models import Role, User
    from market.errors import MarketError
    from orders import decisions, services
    from orders.permissions import current_step

    holder = db.session.scalar(select(User).where(User.username == DEMO_HOLDER))
    operator = db.session.scalar(select(User).where(User.role == Role.operator).order_by(User.id))
    if holder is None or operator is None or not entries:
        return 0
    added = 0
    for ds in entries:
        try:
            services.add_to_cart(holder, ds.id)
            added += 1
        except MarketError:  # not requestable by this account (its own department, …): skip it
            continue
    if not added:
        return 0
    req, _created = services.submit_access_request(
        holder, purpose="街道企业服务专员走访前核验企业登记与排污许可状态，建立辖区重点企业服务台账。",
        legal_basis="《优化营商环境条例》第三十八条", period_days=180)
    for line in req.lines:
        for _ in range(4):  # owner, platform, compliance: at most a few steps
            step = current_step(line)
            if step is None:
                break
            approver = operator if step.department_id is None else db.session.scalar(
                select(User).where(User.role == Role.officer, User.department_id == step.department_id)
                .order_by(User.id)) or operator
            decisions.decide_line(line, approver=approver, decision="approve", comment="同意，按最小必要原则使用。")
    db.session.flush()
    return sum(1 for line in req.lines if line.grant is not None)


def _entry(title: str, ids: list[int]) -> Dataset | None:
    return db.session.scalars(select(Dataset).where(Dataset.title == title, Dataset.id.in_(ids))
                              .order_by(Dataset.id)).first() if ids else None


def seed_demo_extra(result) -> str:
    ids = list(result.dataset_ids)
    loaded: list[str] = []
    total = 0
    pool = enterprises()
    reg = _entry("企业登记基本信息", ids)
    if reg is not None:
        names = [i.name for i in reg.items]
        total += store.replace_rows(reg.id, ({k: r.get(k) for k in names} for r in pool), key="统一社会信用代码",
                                    source="demo")
        loaded.append(reg.title)
    for offset, (title, n) in enumerate(DERIVED.items(), 1):
        ds = _entry(title, ids)
        if ds is None:
            continue
        rng = random.Random(SEED + offset)
        names = [i.name for i in ds.items]
        holders = rng.sample(pool, n)
        total += store.replace_rows(ds.id, (_licence_row(rng, h, names, i) for i, h in enumerate(holders, 1)),
                                    source="demo")
        loaded.append(title)
    air = _entry(AIR, ids)
    if air is not None:
        total += store.replace_rows(air.id, air_quality([i.name for i in air.items]), source="demo")
        loaded.append(air.title)
    grants = _demo_grants([e for e in (reg, _entry("排污许可证信息", ids)) if e is not None])
    granted = _granted_entries_without_rows()
    for ds in granted:
        total += store.replace_rows(ds.id, generic_rows(ds, GRANTED_ROWS), source="demo")
    if granted:
        loaded.append(f"{len(granted)} granted entries")
    return (f"Loaded {total:,} demo data rows into {len(loaded)} entries ({'、'.join(loaded)}); "
            f"{grants} grants on them for {DEMO_HOLDER}")
