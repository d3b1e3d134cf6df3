"""The demo city's plausible needs: which kinds of data each department's work draws on (category weights),
and cross-department scenarios (一件事) whose entries are requested together. The request-history generator
(recs.demo) samples from these; the scenarios also become the operators' first curated bundles."""

from __future__ import annotations

DISTRICTS = ("LXQ", "XSQ", "HSQ", "BHQ", "XWQ", "JYS", "YXS", "JKQ")

# department code -> {category code: weight}; departments not listed draw on their own function's categories
NEEDS: dict[str, dict[str, float]] = {
    "SCJG": {"LEGAL": 3, "LICENSE": 2, "TAX": 2, "CREDIT": 3, "SOCSEC": 1, "FOOD": 1},
    "MZJ": {"POP": 3, "CIVIL": 2, "SOCSEC": 3, "HOUSING": 2, "HEALTH": 1},
    "RSJ": {"LEGAL": 3, "POP": 2, "TAX": 1, "EDU": 1, "CREDIT": 1},
    "GJJ": {"HOUSING": 3, "SOCSEC": 2, "POP": 1, "LEGAL": 1, "CREDIT": 2},
    "JYJ": {"POP": 3, "HOUSING": 2, "GEO": 1, "HEALTH": 1},
    "WJW": {"POP": 3, "SOCSEC": 2, "CIVIL": 1, "ECO": 1},
    "SWJ": {"LEGAL": 3, "HOUSING": 2, "CREDIT": 1, "ECON": 1, "SOCSEC": 1},
    "GA": {"CIVIL": 1, "HOUSING": 2, "LEGAL": 2, "TRANS": 1},
    "ZJJ": {"GEO": 2, "LEGAL": 1, "SAFETY": 1, "CREDIT": 1},
    "ZRZY": {"HOUSING": 1, "AGRI": 2, "ECO": 2, "POP": 1},
    "YBJ": {"POP": 3, "SOCSEC": 2, "HEALTH": 2, "CIVIL": 1},
    "TJJ": {"ECON": 3, "LEGAL": 2, "POP": 1, "TAX": 1},
    "FGW": {"CREDIT": 3, "ECON": 2, "LEGAL": 2, "ENERGY": 1},
    "YJJ": {"SAFETY": 2, "GEO": 2, "ECO": 2, "LEGAL": 1},
    "XZSP": {"LICENSE": 3, "LEGAL": 2, "CREDIT": 1},
    "JRJ": {"CREDIT": 3, "LEGAL": 2, "TAX": 2, "FIN": 1},
    "GXJ": {"LEGAL": 2, "ENERGY": 2, "TAX": 1, "SCI": 2},
    "KJJ": {"LEGAL": 2, "SCI": 2, "TAX": 1, "ECON": 1},
    "CZJ": {"ECON": 2, "TAX": 2, "SOCSEC": 1, "LEGAL": 1},
    "STHJ": {"LEGAL": 2, "ECO": 1, "ENERGY": 2, "SAFETY": 1},
    "XFZD": {"SAFETY": 3, "LEGAL": 1, "GEO": 1, "URBAN": 1},
    "TYJR": {"POP": 3, "SOCSEC": 2, "CIVIL": 1},
    "CL": {"POP": 3, "CIVIL": 2, "SOCSEC": 2, "HEALTH": 1},
    "GGZY": {"LEGAL": 2, "CREDIT": 3, "ECON": 1},
    "SWUJ": {"LEGAL": 2, "ECON": 2, "FOOD": 1, "CREDIT": 1},
    "CGJ": {"URBAN": 2, "GEO": 2, "LEGAL": 1, "ECO": 1},
    "JTJ": {"TRANS": 2, "GEO": 2, "LEGAL": 1, "CULTOUR": 1},
}
for _code in DISTRICTS:
    NEEDS[_code] = {"POP": 2, "CIVIL": 3, "SOCSEC": 2, "URBAN": 1, "HEALTH": 1, "EDU": 1, "GEO": 1}

# (name, description, entry titles, {department code or "districts": weight})
SCENARIOS: list[tuple[str, str, list[str], dict[str, float]]] = [
    ("企业开办", "新办企业从登记、刻章到用工、纳税一次办：营业执照 + 税务登记 + 社保登记。",
     ["营业执照电子证照信息", "企业设立登记信息", "纳税人登记信息", "企业职工基本养老保险参保缴费信息",
      "住房公积金缴存单位信息", "电子印章制发信息"],
     {"XZSP": 3, "SCJG": 1, "SWJ": 2, "RSJ": 2, "GJJ": 1, "districts": 1}),
    ("社会救助家庭经济状况核对", "低保、特困等救助申请时核对家庭的户籍、婚姻、房产、车辆、公积金、收入和社保。",
     ["居民户籍信息", "婚姻登记信息", "不动产登记信息", "住房公积金缴存信息", "机动车登记信息", "个人所得税纳税记录",
      "企业职工基本养老保险参保缴费信息", "企业股东及出资信息"],
     {"MZJ": 3, "districts": 2, "CL": 1, "TYJR": 1}),
    ("义务教育入学资格审核", "核验学生户籍、房产、居住证、父母社保和出生证明，确定施教区与入学顺位。",
     ["居民户籍信息", "不动产登记信息", "义务教育学校施教区信息", "流动人口居住登记信息",
      "企业职工基本养老保险参保缴费信息", "出生医学证明信息", "预防接种信息"],
     {"JYJ": 3, "districts": 1}),
    ("住房公积金贷款审核", "贷款申请核验婚姻、房产、网签、收入和失信记录。",
     ["不动产登记信息", "婚姻登记信息", "商品房网签备案信息", "个人所得税纳税记录", "失信被执行人信息",
      "不动产抵押权登记信息"],
     {"GJJ": 3, "ZJJ": 1}),
    ("企业信用联合监管", "对企业开展信用分级分类监管：登记、处罚、异常名录、失信与纳税信用。",
     ["企业登记基本信息", "市场监管行政处罚信息", "经营异常名录信息", "严重违法失信主体名单信息",
      "失信被执行人（企业）信息", "纳税信用A级纳税人名单", "欠税公告信息", "公共信用综合评价信息"],
     {"FGW": 3, "SCJG": 1, "JRJ": 2, "SWJ": 1, "GGZY": 2, "SWUJ": 1}),
    ("惠企政策免申即享", "按企业规模、资质、纳税和用工情况自动匹配惠企政策。",
     ["规模以上工业企业名录", "高新技术企业认定名单", "专精特新中小企业名单", "企业纳税申报信息",
      "企业职工基本养老保险参保缴费信息", "企业月度用电量信息", "企业登记基本信息"],
     {"GXJ": 3, "KJJ": 2, "CZJ": 2, "SWUJ": 1, "FGW": 1}),
    ("新生儿出生一件事", "出生医学证明、户口登记、预防接种、医保参保和社保卡联办。",
     ["出生医学证明信息", "出生人口申报登记信息", "预防接种信息", "医疗保险参保人员信息", "社会保障卡信息"],
     {"WJW": 2, "YBJ": 2, "GA": 1, "RSJ": 1, "districts": 1}),
    ("安全生产联合执法", "对重点企业开展联合检查：危险源、危化品许可、消防重点单位、特种设备和事故记录。",
     ["重大危险源企业信息", "危险化学品经营许可证信息", "消防安全重点单位信息", "生产安全事故统计信息",
      "企业登记基本信息", "压力容器使用登记信息"],
     {"YJJ": 3, "XFZD": 2, "SCJG": 1, "districts": 1}),
    ("养老服务补贴发放", "核对老人户籍、生存状态、养老金、低保和残疾情况，按月发放补贴。",
     ["居民户籍信息", "居民死亡医学证明信息", "养老保险待遇发放信息", "最低生活保障对象信息", "残疾人证信息",
      "长期护理保险待遇享受人员信息"],
     {"MZJ": 2, "RSJ": 1, "YBJ": 1, "districts": 2, "CL": 1}),
    ("二手房交易登记", "不动产转移登记与网签、资金监管、婚姻状况和税费核验联办。",
     ["不动产转移登记信息", "商品房网签备案信息", "存量房交易资金监管信息", "婚姻登记信息", "居民户籍信息",
      "不动产登记信息"],
     {"ZRZY": 2, "ZJJ": 2, "SWJ": 2, "GJJ": 1}),
    ("就业创业补贴审核", "核验就业失业登记、参保、企业登记和创业担保贷款，发放就业创业补贴。",
     ["就业登记信息", "失业登记信息", "企业登记基本信息", "企业职工基本养老保险参保缴费信息",
      "一次性创业补贴发放信息", "创业担保贷款信息", "居民户籍信息"],
     {"RSJ": 2, "CZJ": 1, "TYJR": 1, "CL": 1, "districts": 1}),
]


def scenario_weight(weights: dict[str, float], department_code: str) -> float:
    if department_code in weights:
        return weights[department_code]
    return weights.get("districts", 0.0) if department_code in DISTRICTS else 0.0
