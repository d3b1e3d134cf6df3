"""Real-browser journeys in Debian's chromium against a seeded server (see conftest.py): a department
user requests data through the cart, the owning officer approves from the inbox, a citizen finds open
data, and a keyboard-only visit with basic accessibility checks."""

from __future__ import annotations

import csv
import re

import pytest
from playwright.sync_api import expect

from .conftest import log_in

pytestmark = pytest.mark.browser


SEARCH_BOX = "#q, #hero-q"  # the home page has its big search box instead of the header's


def search(page, text: str) -> None:
    box = page.get_by_role("searchbox", name="搜索数据")
    box.fill(text)
    with page.expect_navigation():
        box.press("Enter")


def csv_header(path) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return next(csv.reader(f))


def test_requester_compares_checks_out_is_approved_downloads_and_rates(
        live_server, page, browser, browser_context_args, shots):
    # (1) a department user logs in, searches, puts two results in the compare tray and compares them
    log_in(page, live_server, "zhang.wei")
    search(page, "企业")
    cards = page.locator(".card-title a")
    expect(cards).to_have_count(2)
    shots.shot(page, "1-search")
    for title in ("企业登记基本信息", "企业纳税信用评级"):
        with page.expect_navigation():
            page.get_by_role("button", name=f"加入对比 {title}").click()
        expect(page.locator(".flash-success")).to_contain_text("加入对比栏")
    expect(page).to_have_url(re.compile(r"/datasets\?q="))  # back on the same results
    with page.expect_navigation():
        page.get_by_role("link", name="数据对比").click()
    columns = page.locator(".compare-table thead th.compare-col > a")
    expect(columns).to_have_text(["企业登记基本信息", "企业纳税信用评级"])
    code_row = page.locator(".compare-items tr", has=page.get_by_role("rowheader", name="统一社会信用代码"))
    expect(code_row.locator("td .has-item")).to_have_count(1)  # only the first entry has the item
    expect(page.locator(".compare-action form")).to_have_count(2)  # both can be requested by this user
    assert page.evaluate(A11Y) == []
    shots.shot(page, "2-compare")
    share = page.locator("#compare-link").input_value()
    assert re.search(r"/compare\?ids=\d+,\d+$", share), share

    # (2) back to the results, narrow by a facet, open the product, pick one data item, add to the cart
    search(page, "企业")
    with page.expect_navigation():
        page.get_by_label(re.compile("有条件共享")).first.check()  # the facet form submits itself (market.js)
    expect(page).to_have_url(re.compile(r"share_attribute=conditional"))
    expect(cards).to_have_count(1)
    expect(cards.first).to_have_text("企业登记基本信息")
    with page.expect_navigation():
        cards.first.click()
    expect(page.locator("h1")).to_contain_text("企业登记基本信息")
    page.get_by_text("选择信息项（默认全部）").click()
    page.get_by_label("法定代表人").uncheck()
    with page.expect_navigation():
        page.get_by_role("button", name="加入数据篮").click()
    expect(page.locator(".flash-success")).to_contain_text(re.compile("已(加入|更新)数据篮"))
    expect(page.locator(".cart-link .count")).to_have_text("1")
    with page.expect_navigation():
        page.locator(".cart-link").click()
    shots.shot(page, "3-cart")
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("去结算")).click()
    page.get_by_label("用途说明").fill("核验企业登记信息，用于税务登记审核")
    shots.shot(page, "4-checkout")
    with page.expect_navigation():
        page.get_by_role("button", name="提交申请").click()
    expect(page.locator(".flash-success")).to_contain_text("申请已提交")
    heading = page.locator("h1")
    expect(heading).to_contain_text("审批中")
    request_no = re.search(r"#(\d+)", heading.inner_text()).group(1)
    request_url = page.url

    # (3) the owning department's officer approves from the inbox (batch form, one row ticked)
    officer_context = browser.new_context(**browser_context_args)
    officer = shots.watch(officer_context.new_page())
    try:
        log_in(officer, live_server, "li.na")
        with officer.expect_navigation():
            officer.get_by_role("link", name="审批待办").click()
        row = officer.locator("tr", has=officer.get_by_role("link", name=f"#{request_no}"))
        expect(row).to_contain_text("企业登记基本信息")
        row.get_by_role("checkbox").check()
        assert officer.evaluate(A11Y) == []
        shots.shot(officer, "5-inbox")
        with officer.expect_navigation():
            officer.get_by_role("button", name="批量同意").click()
        expect(officer.locator(".flash-success")).to_contain_text("已处理 1 条")
        expect(officer.get_by_role("link", name=f"#{request_no}")).to_have_count(0)
    finally:
        officer_context.close()

    # (4) the requester sees the request approved, downloads the granted items from 我的授权 …
    page.goto(request_url)
    expect(page.locator("h1")).to_contain_text("已批准")
    shots.shot(page, "6-approved")
    with page.expect_navigation():
        page.get_by_role("link", name="我的授权").click()
    grant = page.locator(".grant-card", has=page.get_by_role("link", name="企业登记基本信息"))
    expect(grant).to_contain_text("统一社会信用代码")
    assert page.evaluate(A11Y) == []
    shots.shot(page, "7-grants")
    with page.expect_download() as download:
        grant.get_by_role("link", name="下载 CSV").click()
    assert csv_header(download.value.path()) == ["统一社会信用代码"]  # exactly the granted item, not 法定代表人
    # … and rates it on the product page
    with page.expect_navigation():
        grant.get_by_role("link", name="企业登记基本信息").click()
    page.get_by_label("总体评分").select_option("4")
    page.get_by_label("使用体验").fill("字段齐全，更新及时。")
    with page.expect_navigation():
        page.get_by_role("button", name="提交评价").click()
    expect(page.locator(".flash-success")).to_contain_text("感谢评价")
    expect(page.locator("#reviews")).to_contain_text("字段齐全，更新及时。")
    expect(page.locator("#reviews .big")).to_have_text("4.0")
    shots.shot(page, "8-rated")


def test_citizen_finds_open_data_without_logging_in(live_server, page, shots):
    page.goto(live_server)
    expect(page.get_by_role("link", name="登录")).to_be_visible()
    search(page, "公交")
    first = page.locator(".card-title a").first
    expect(first).to_have_text("公交线路站点信息")
    shots.shot(page, "1-results")
    # entries that are not open stay hidden from citizens
    expect(page.get_by_text("企业登记基本信息")).to_have_count(0)
    with page.expect_navigation():
        first.click()
    expect(page.locator("h1")).to_contain_text("公交线路站点信息")
    expect(page.get_by_text("站点名称").first).to_be_visible()
    shots.shot(page, "2-product")
    # open data downloads without an account
    with page.expect_download() as download:
        page.locator(".delivery-panel").get_by_role("link", name="下载 CSV").click()
    assert csv_header(download.value.path()) == ["线路名称", "站点名称"]
    # what is not there yet: log in (there is no self-registration) and post a demand
    product = page.url
    log_in(page, live_server, "wang.fang")
    page.goto(f"{live_server}/demands/new")
    assert page.evaluate(A11Y) == []
    page.get_by_label("需要什么数据").fill("公交车辆实时到站数据")
    page.get_by_label("用途（为什么需要）").fill("开发出行小程序，为市民提供到站提醒")
    page.get_by_label("需要的信息项").fill("线路名称\n站点名称\n预计到站时间")
    shots.shot(page, "3-demand-form")
    with page.expect_navigation():
        page.get_by_role("button", name="发布需求").click()
    expect(page.locator(".flash-success")).to_contain_text("需求已发布")
    expect(page.locator("h1")).to_contain_text("公交车辆实时到站数据")
    expect(page).to_have_url(re.compile(r"/demands/\d+$"))
    shots.shot(page, "4-demand")
    page.goto(product)  # a signed-in citizen still cannot see closed entries
    expect(page.get_by_text("企业登记基本信息")).to_have_count(0)


def focus_by_tab(page, selector: str, limit: int = 40) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"Tab never reached {selector} in {limit} presses")


def assert_visible_focus(page) -> None:
    outline = page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
        return [s.outlineStyle, parseFloat(s.outlineWidth)]; }""")
    assert outline[0] != "none" and outline[1] >= 2, f"no visible focus outline: {outline}"


def test_keyboard_only_search_reaches_the_first_result(live_server, page, shots):
    page.goto(live_server)
    focus_by_tab(page, SEARCH_BOX)
    assert_visible_focus(page)
    page.keyboard.type("交通")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    focus_by_tab(page, ".card-title a")
    assert_visible_focus(page)
    shots.shot(page, "focus-first-result")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text(re.compile("公交线路站点信息|公共自行车租赁点"))


def test_keyboard_only_from_search_to_the_cart_button(live_server, page, shots):
    log_in(page, live_server, "zhao.lei")
    page.goto(live_server)
    focus_by_tab(page, SEARCH_BOX)
    page.keyboard.type("纳税")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    focus_by_tab(page, ".card-title a")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("企业纳税信用评级")
    focus_by_tab(page, ".add-to-cart button[type=submit]", limit=80)
    assert_visible_focus(page)
    shots.shot(page, "focus-cart-button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".flash-success")).to_contain_text(re.compile("已(加入|更新)数据篮"))
    expect(page.locator(".cart-link .count")).to_have_text("1")


A11Y = """() => {
  const problems = [];
  if (!document.documentElement.lang) problems.push('html without lang');
  if (!document.querySelector('h1')) problems.push('no h1 heading');
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden' || el.type === 'submit' || el.type === 'button') continue;
    const labelled = (el.id && document.querySelector(`label[for="${el.id}"]`)) || el.closest('label')
      || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
    if (!labelled) problems.push(`unlabelled ${el.tagName} name=${el.name}`);
  }
  for (const img of document.querySelectorAll('img')) {
    if (!img.hasAttribute('alt')) problems.push(`img without alt: ${img.src}`);
  }
  return problems;
}"""


# WCAG contrast of the text the main pages are made of: each sample's computed colour against the first
# opaque background behind it (ancestors' computed background-color), composited over white.
CONTRAST = """(selectors) => {
  const parse = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const lum = (rgb) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(rgb[0]) + 0.7152 * f(rgb[1]) + 0.0722 * f(rgb[2]); };
  const over = (top, bottom) => [0, 1, 2].map((i) => top[i] * top[3] + bottom[i] * (1 - top[3]));
  // the colours that can be behind el: translucent layers over the first opaque colour or every gradient stop
  const backgrounds = (el) => { const layers = []; let bases = [[255, 255, 255]];
    for (let n = el; n; n = n.parentElement) { const st = getComputedStyle(n);
      const img = st.backgroundImage;
      if (img && img !== 'none') {
        if (!img.includes('gradient')) return null;  // a picture: not computable from styles
        bases = (img.match(/rgba?\\([^)]+\\)/g) || []).map(parse).map((c) => over(c, [255, 255, 255]));
        break; }
      const c = parse(st.backgroundColor);
      if (c && c[3] > 0) { if (c[3] >= 1) { bases = [c.slice(0, 3)]; break; } layers.push(c); } }
    return bases.map((b) => layers.reverse().reduce((acc, c) => over(c, acc), b)); };
  const ratio = (x, y) => { const [a, b] = [lum(x), lum(y)].sort((p, q) => q - p); return (a + 0.05) / (b + 0.05); };
  const out = [];
  for (const sel of selectors) {
    for (const el of Array.from(document.querySelectorAll(sel)).slice(0, 3)) {
      if (!el.offsetParent || !el.textContent.trim()) continue;
      const bgs = backgrounds(el);
      if (!bgs || !bgs.length) continue;
      const fg = parse(getComputedStyle(el).color);
      const worst = Math.min(...bgs.map((bg) => ratio(over(fg, bg), bg)));
      out.push({sel, text: el.textContent.trim().slice(0, 20), ratio: Math.round(worst * 100) / 100});
    }
  }
  return out;
}"""
TEXT_SAMPLES = ["body p", "h1", "h2", "a", ".btn", ".btn-primary", ".muted", ".badge", ".chip", "th", "td",
                "label", ".card-meta", ".flash"]


def assert_contrast(page, path: str) -> None:
    samples = page.evaluate(CONTRAST, TEXT_SAMPLES)
    assert samples, path
    low = [s for s in samples if s["ratio"] < 4.5]
    assert low == [], f"{path}: text below 4.5:1 contrast: {low}"


def test_main_pages_pass_basic_accessibility_checks(live_server, page, shots):
    page.goto(f"{live_server}/datasets?q=公交")
    product = page.locator(".card-title a").first.get_attribute("href")
    anonymous = ["/", "/datasets", "/datasets?q=公交", product, "/login", "/compare?ids=3,4"]
    for path in anonymous:
        page.goto(live_server + path)
        assert page.evaluate(A11Y) == [], path
        assert_contrast(page, path)
    log_in(page, live_server, "zhang.wei")
    for path in ["/cart", "/checkout", "/requests", "/grants", "/demands/new", "/compare?ids=1,2"]:
        page.goto(live_server + path)
        assert page.evaluate(A11Y) == [], path
        assert_contrast(page, path)
    # the language switch keeps the page and sets the document language
    page.goto(f"{live_server}/datasets?q=公交")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    with page.expect_navigation():
        page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/datasets\?.*q="))
    assert page.evaluate(A11Y) == []
    shots.shot(page, "english")
    with page.expect_navigation():
        page.get_by_role("link", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
