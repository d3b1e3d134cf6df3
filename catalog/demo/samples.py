"""Plausible fake values for sample rows. Every value is invented: ID numbers, phone numbers and
bank accounts have the right shape (and a valid ID check digit) but belong to nobody.

A generator spec (see ``fields.py``) is one of: a tuple of choices; ``("int", lo, hi)``;
``("dec", lo, hi, digits)``; ``"fmt:<pattern>"`` where ``#`` is a digit, ``@`` an upper-case letter
and ``{Y}`` a recent year; or the name of a generator function below."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林钱顾华荣秦蒋沈许邹过蔡浦薛陆"
GIVEN = "伟芳敏静磊军洋勇艳杰娟涛明超秀霞平刚桂英华丹萍鹏辉玲浩宇欣怡子涵雨轩梓晨佳琪俊杰志强建国文博一鸣晓雯"
ROADS = [
    "中山路",
    "人民中路",
    "解放北路",
    "学前东路",
    "太湖大道",
    "金城路",
    "梁溪路",
    "清扬路",
    "湖滨路",
    "蠡湖大道",
    "长江路",
    "新华路",
    "锡沪路",
    "惠山大道",
    "钱荣路",
    "震泽路",
    "运河西路",
    "通江大道",
    "建筑路",
    "隐秀路",
    "具区路",
    "五爱路",
    "县前街",
    "健康路",
    "新生路",
    "广石路",
    "锡兴路",
    "澄江中路",
    "人民北路",
]
# district name -> (ID region code, streets, lon, lat)
PLACES: dict[str, tuple[str, list[str], float, float]] = {
    "梁溪区": (
        "320213",
        ["崇安寺街道", "广益街道", "清名桥街道", "金星街道", "扬名街道", "黄巷街道"],
        120.30,
        31.58,
    ),
    "锡山区": ("320205", ["东亭街道", "安镇街道", "东北塘街道", "厚桥街道", "东港镇"], 120.36, 31.60),
    "惠山区": ("320206", ["堰桥街道", "长安街道", "钱桥街道", "洛社镇", "阳山镇"], 120.28, 31.68),
    "滨湖区": ("320211", ["蠡园街道", "太湖街道", "河埒街道", "马山街道", "雪浪街道"], 120.27, 31.53),
    "新吴区": ("320214", ["旺庄街道", "梅村街道", "硕放街道", "江溪街道", "新安街道"], 120.38, 31.52),
    "江阴市": ("320281", ["澄江街道", "南闸街道", "周庄镇", "华士镇", "徐霞客镇"], 120.28, 31.84),
    "宜兴市": ("320282", ["宜城街道", "丁蜀镇", "张渚镇", "和桥镇", "屺亭街道"], 119.82, 31.36),
}
DISTRICT_NAMES = list(PLACES)
WORDS = [
    "华瑞",
    "锡东",
    "太湖",
    "新瑞",
    "恒达",
    "金科",
    "蠡湖",
    "惠泽",
    "润华",
    "博远",
    "天一",
    "宏图",
    "梁溪",
    "江南",
    "阳山",
    "鸿运",
    "华光",
    "中环",
    "盛邦",
    "德润",
    "睿智",
    "卓越",
    "科瑞",
    "永泰",
]
INDUSTRIES = [
    "科技",
    "精密机械",
    "物联网科技",
    "新材料",
    "电子",
    "纺织",
    "建设工程",
    "物流",
    "生物医药",
    "食品",
    "环保科技",
    "集成电路",
    "汽车零部件",
    "商贸",
    "餐饮管理",
    "物业服务",
]
SCHOOL_PLACES = [
    "连元街",
    "育红",
    "东林",
    "侨谊",
    "积余",
    "太湖",
    "蠡园",
    "东绛",
    "通德桥",
    "扬名",
    "天一",
    "金桥",
    "新安",
    "梅村",
    "堰桥",
    "东亭",
]
COMMUNITIES = [
    "金星苑",
    "清扬新村",
    "蠡湖家园",
    "江南花园",
    "锦江新村",
    "五爱家园",
    "太湖明珠苑",
    "长江一号",
    "沁园新村",
    "广益佳苑",
    "湖滨花园",
    "金城湾",
    "惠山新城",
    "梅里古都苑",
    "春江花园",
]
HOSPITALS = [
    "无锡市人民医院",
    "无锡市第二人民医院",
    "无锡市中医医院",
    "无锡市第五人民医院",
    "无锡市儿童医院",
    "无锡市妇幼保健院",
    "江南大学附属医院",
    "无锡市精神卫生中心",
    "梁溪区广益街道社区卫生服务中心",
    "滨湖区蠡园街道社区卫生服务中心",
    "新吴区旺庄街道社区卫生服务中心",
    "江阴市人民医院",
    "宜兴市人民医院",
]
SITES = ["黄巷", "东亭", "漆塘", "旺庄", "雪浪", "荣巷", "曹张", "堰桥", "澄江", "宜城", "新区", "太湖"]
SCENIC = [
    "鼋头渚风景区",
    "灵山胜境",
    "惠山古镇",
    "蠡园",
    "梅园",
    "锡惠公园",
    "无锡中视影视基地",
    "拈花湾",
    "清名桥历史文化街区",
    "荡口古镇",
    "东林书院",
    "善卷洞",
    "江阴要塞森林公园",
    "阳山桃源",
]
WATERS = [
    "太湖",
    "京杭大运河",
    "梁溪河",
    "伯渎港",
    "锡澄运河",
    "望虞河",
    "蠡湖",
    "直湖港",
    "长广溪",
    "九里河",
]
BUS_LINES = ["1路", "2路", "11路", "20路", "33路", "58路", "86路", "108路", "211路", "610路", "快3路", "K1路"]
STOPS = [
    "三阳广场站",
    "胜利门站",
    "无锡火车站北广场站",
    "市民中心站",
    "蠡湖大道金城路口站",
    "清名桥站",
    "市人民医院站",
    "江南大学站",
    "梅园站",
    "惠山古镇站",
    "太湖广场站",
    "旺庄路站",
    "东亭站",
    "堰桥站",
]
PROJECTS = ["片区更新", "地块开发", "道路改造", "产业园", "安置房"]
PENALTY_ORGANS = ["市监", "环", "交", "城管", "应急"]


def person(rng: random.Random, ctx: dict) -> dict:
    """One fake person per row, so name, sex, birth date and ID number agree."""
    if "person" not in ctx:
        district = ctx.setdefault("district", rng.choice(DISTRICT_NAMES))
        birth = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 55))
        male = rng.random() < 0.5
        seq = rng.randrange(10, 99) * 10 + (
            rng.choice((1, 3, 5, 7, 9)) if male else rng.choice((0, 2, 4, 6, 8))
        )
        body = f"{PLACES[district][0]}{birth:%Y%m%d}{seq:03d}"
        ctx["person"] = {
            "name": rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2)))),
            "sex": "男" if male else "女",
            "birth": birth.isoformat(),
            "id": body + _check_digit(body),
        }
    return ctx["person"]


def _check_digit(body: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]


def _district(rng, ctx):
    return ctx.setdefault("district", rng.choice(DISTRICT_NAMES))


def _recent_date(rng, ctx):
    return (date(2021, 1, 1) + timedelta(days=rng.randrange(0, 365 * 5 + 300))).isoformat()


def _company(rng, ctx):
    if "company" not in ctx:
        ctx["company"] = f"无锡{rng.choice(WORDS)}{rng.choice(INDUSTRIES)}有限公司"
    return ctx["company"]


def _uscc(rng, ctx):
    alnum = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    return "91" + PLACES[_district(rng, ctx)][0] + "MA" + "".join(rng.choice(alnum) for _ in range(8))


def _address(rng, ctx):
    return (
        f"无锡市{_district(rng, ctx)}{rng.choice(COMMUNITIES)}{rng.randrange(1, 60)}幢"
        f"{rng.randrange(1, 3)}单元{rng.randrange(1, 30):02d}{rng.randrange(1, 4):02d}室"
    )


def _road_address(rng, ctx):
    return f"无锡市{_district(rng, ctx)}{rng.choice(ROADS)}{rng.randrange(1, 900)}号"


def _lon(rng, ctx):
    return round(PLACES[_district(rng, ctx)][2] + rng.uniform(-0.05, 0.05), 6)


def _lat(rng, ctx):
    return round(PLACES[_district(rng, ctx)][3] + rng.uniform(-0.04, 0.04), 6)


def _point(rng, ctx):
    # the same spot as the row's 经度/纬度 when it has them
    lon = ctx.setdefault("lon", _lon(rng, ctx))
    lat = ctx.setdefault("lat", _lat(rng, ctx))
    return f"POINT({lon} {lat})"


def _datetime(rng, ctx):
    moment = datetime(2026, 10, 1) + timedelta(minutes=rng.randrange(0, 60 * 24 * 45))
    return moment.strftime("%Y-%m-%d %H:%M:%S")


GENERATORS = {
    "name": lambda rng, ctx: person(rng, ctx)["name"],
    "other_name": lambda rng, ctx: rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2)),
    "idcard": lambda rng, ctx: person(rng, ctx)["id"],
    "sex": lambda rng, ctx: person(rng, ctx)["sex"],
    "birth": lambda rng, ctx: person(rng, ctx)["birth"],
    "mobile": lambda rng, ctx: (
        rng.choice(("138", "139", "151", "157", "180", "189", "135")) + f"{rng.randrange(10**8):08d}"
    ),
    "phone": lambda rng, ctx: f"0510-8{rng.randrange(10**6, 10**7)}",
    "bank": lambda rng, ctx: "6222" + "".join(str(rng.randrange(10)) for _ in range(15)),
    "address": _address,
    "road_address": _road_address,
    "district": _district,
    "street": lambda rng, ctx: rng.choice(PLACES[_district(rng, ctx)][1]),
    "division_code": lambda rng, ctx: PLACES[_district(rng, ctx)][0] + f"{rng.randrange(1, 20):03d}000",
    "company": _company,
    "uscc": _uscc,
    "date": _recent_date,
    "datetime": _datetime,
    "year": lambda rng, ctx: rng.randrange(2021, 2026),
    "month": lambda rng, ctx: f"{rng.randrange(2023, 2027)}-{rng.randrange(1, 10):02d}",
    "lon": lambda rng, ctx: ctx.setdefault("lon", _lon(rng, ctx)),
    "lat": lambda rng, ctx: ctx.setdefault("lat", _lat(rng, ctx)),
    "point": _point,
    "plate": lambda rng, ctx: (
        "苏B" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(5))
    ),
    "school": lambda rng, ctx: (
        f"无锡市{rng.choice(SCHOOL_PLACES)}{rng.choice(('小学', '中学', '实验学校', '幼儿园'))}"
    ),
    "hospital": lambda rng, ctx: rng.choice(HOSPITALS),
    "community": lambda rng, ctx: rng.choice(COMMUNITIES),
    "site": lambda rng, ctx: rng.choice(SITES) + rng.choice(("监测站", "站", "点")),
    "scenic": lambda rng, ctx: rng.choice(SCENIC),
    "water": lambda rng, ctx: rng.choice(WATERS),
    "bus_line": lambda rng, ctx: rng.choice(BUS_LINES),
    "stop": lambda rng, ctx: rng.choice(STOPS),
    "org": lambda rng, ctx: (
        f"无锡市{rng.choice(WORDS)}{rng.choice(('服务中心', '协会', '研究院', '事务所', '中心'))}"
    ),
    "project": lambda rng, ctx: _district(rng, ctx) + rng.choice(ROADS)[:-1] + rng.choice(PROJECTS) + "项目",
    "doc_no": lambda rng, ctx: (
        f"锡{rng.choice(PENALTY_ORGANS)}罚〔{rng.randrange(2021, 2027)}〕{rng.randrange(1, 999)}号"
    ),
}


def value(spec, rng: random.Random, ctx: dict):
    """One sample value for a field generator ``spec`` (see the module docstring)."""
    if isinstance(spec, tuple) and spec and spec[0] == "int":
        return rng.randint(spec[1], spec[2])
    if isinstance(spec, tuple) and spec and spec[0] == "dec":
        return round(rng.uniform(spec[1], spec[2]), spec[3])
    if isinstance(spec, tuple):
        return rng.choice(spec)
    if spec.startswith("fmt:"):
        out = spec[4:].replace("{Y}", str(rng.randrange(2021, 2027)))
        return "".join(
            str(rng.randrange(10)) if c == "#" else rng.choice("ABCDEFGHJKLMNPQRSTUVWXY") if c == "@" else c
            for c in out
        )
    return GENERATORS[spec](rng, ctx)
