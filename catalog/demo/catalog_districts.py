"""Catalog templates every district-level government publishes; "{d}" is the district's name.
Each district publishes a deterministic subset, so the districts do not look cloned."""

from __future__ import annotations

from .spec import t

TEMPLATES = [
    t("{d}村（社区）基本信息", "CIVIL", "题名 所属街道 行政区划代码 数量 面积 联系电话 地址", "社区 村居 基层治理",
      "yearly", public=True, rows=150),
    t("{d}网格化社会治理事件信息", "URBAN", "案件编号 问题类别 所属街道 上报时间 处置单位 办理状态 办结日期",
      "网格 基层治理", "daily", "用于基层治理事件的分拨、处置和研判", rows=300_000),
    t("{d}重点建设项目进度信息", "ECON", "项目名称 单位名称 总投资 开始日期 办理状态 备注", "重点项目 建设进度",
      "monthly", public=True, rows=200),
    t("{d}农贸市场信息", "MARKET", "题名 地址 面积 数量 开放时间 经度 纬度", "农贸市场 菜篮子", "quarterly",
      public=True, rows=60),
    t("{d}政务服务便民服务点信息", "GOVSVC", "机构名称 所属街道 地址 联系电话 开放时间 办理事项", "便民服务 政务服务",
      "quarterly", public=True, rows=120),
    t("{d}困难群众走访慰问信息", "CIVIL", "姓名 公民身份号码 住址 类别 金额 办理日期", "走访慰问 社会救助",
      "quarterly", rows=5_000),
    t("{d}企业服务诉求办理信息", "ECON", "案件编号 企业名称 诉求内容 受理日期 办结日期 办理状态", "营商环境 企业诉求",
      "weekly", rows=8_000),
    t("{d}老年助餐点信息", "CIVIL", "机构名称 所属街道 地址 开放时间 联系电话 经度 纬度", "助餐 养老", "quarterly",
      public=True, rows=150),
    t("{d}安全生产网格巡查信息", "SAFETY", "案件编号 单位名称 问题类别 上报时间 办理状态 办结日期", "安全生产 巡查",
      "weekly", rows=40_000),
    t("{d}垃圾分类投放点信息", "URBAN", "点位编号 小区名称 所属街道 类别 经度 纬度", "垃圾分类 投放点", "quarterly",
      public=True, rows=3_000),
    t("{d}出租房屋登记信息", "HOUSING", "地址 姓名 公民身份号码 手机号码 面积 登记日期", "出租房屋 流动人口",
      "weekly", rows=60_000),
    t("{d}公共停车泊位信息", "TRANS", "道路名称 泊位总数 收费标准 开放时间 经度 纬度", "停车 泊位", "monthly", public=True,
      rows=500),
    t("{d}社区卫生服务中心信息", "HEALTH", "医疗机构名称 所属街道 地址 联系电话 开放时间 床位数 经度 纬度",
      "社区卫生 基层医疗", "quarterly", public=True, rows=30),
    t("{d}幼儿园招生计划信息", "EDU", "学校名称 办学性质 数量 所属街道 统计年度 联系电话", "幼儿园 招生",
      "yearly", public=True, rows=200),
    t("{d}城市更新地块信息", "GEO", "图斑编号 项目名称 面积 土地用途 空间位置 办理状态", "城市更新 地块",
      "quarterly", rows=300),
    t("{d}防汛重点部位信息", "SAFETY", "点位编号 地址 类别 所在水体 经度 纬度", "防汛 重点部位", "yearly", level=3,
      rows=400),
    t("{d}新就业形态劳动者服务站点信息", "SOCSEC", "机构名称 地址 开放时间 联系电话 经度 纬度", "骑手驿站 新就业形态",
      "quarterly", public=True, rows=80),
    t("{d}规模以上企业名录", "ECON", "统一社会信用代码 企业名称 所属行业 从业人数 营业收入", "规上企业 企业名录",
      "yearly", rows=1_500),
    t("{d}文化体育设施信息", "CULTOUR", "机构名称 类别 地址 面积 开放时间 经度 纬度", "文体设施 公共文化",
      "yearly", public=True, rows=300),
    t("{d}违法建设整治信息", "URBAN", "案件编号 地址 面积 上报时间 办理状态 办结日期", "违法建设 拆违", "weekly",
      rows=6_000),
]
