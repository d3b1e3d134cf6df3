"""Real-browser journeys in Debian's chromium against a seeded server (see conftest.py): a department
user requests data through the cart, the owning officer approves from the inbox, a citizen finds open
data, and a keyboard-only visit with basic accessibility checks."""

from __future__ import annotations

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


def test_requester_checks_out_and_the_officer_approves(live_server, page, browser, browser_context_args, shots):
    # (1) a department user logs in, searches, ticks a facet, opens the product, adds it, checks out
    log_in(page, live_server, "zhang.wei")
    search(page, "企业")
    cards = page.locator(".card-title a")
    expect(cards).to_have_count(2)
    shots.shot(page, "1-search")
    with page.expect_navigation():
        page.get_by_label(re.compile("有条件共享")).first.check()  # the facet form submits itself (market.js)
    expect(page).to_have_url(re.compile(r"share_attribute=conditional"))
    expect(cards).to_have_count(1)
    expect(cards.first).to_have_text("企业登记基本信息")
    with page.expect_navigation():
        cards.first.click()
    expect(page.locator("h1")).to_contain_text("企业登记基本信息")
    with page.expect_navigation():
        page.get_by_role("button", name="加入数据篮").click()
    expect(page.locator(".flash-success")).to_contain_text(re.compile("已(加入|更新)数据篮"))
    expect(page.locator(".cart-link .count")).to_have_text("1")
    with page.expect_navigation():
        page.locator(".cart-link").click()
    shots.shot(page, "2-cart")
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("去结算")).click()
    page.get_by_label("用途说明").fill("核验企业登记信息，用于税务登记审核")
    shots.shot(page, "3-checkout")
    with page.expect_navigation():
        page.get_by_role("button", name="提交申请").click()
    expect(page.locator(".flash-success")).to_contain_text("申请已提交")
    heading = page.locator("h1")
    expect(heading).to_contain_text("审批中")
    request_no = re.search(r"#(\d+)", heading.inner_text()).group(1)
    request_url = page.url

    # (2) the owning department's officer approves from the inbox
    officer_context = browser.new_context(**browser_context_args)
    officer = shots.watch(officer_context.new_page())
    try:
        log_in(officer, live_server, "li.na")
        with officer.expect_navigation():
            officer.get_by_role("link", name="审批待办").click()
        row = officer.locator("tr", has=officer.get_by_role("link", name=f"#{request_no}"))
        expect(row).to_contain_text("企业登记基本信息")
        row.get_by_role("checkbox").check()
        shots.shot(officer, "4-inbox")
        with officer.expect_navigation():
            officer.get_by_role("button", name="批量同意").click()
        expect(officer.locator(".flash-success")).to_contain_text("已处理 1 条")
        expect(officer.get_by_role("link", name=f"#{request_no}")).to_have_count(0)
    finally:
        officer_context.close()

    # the requester sees the request approved
    page.goto(request_url)
    expect(page.locator("h1")).to_contain_text("已批准")
    shots.shot(page, "5-approved")


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


A11Y = """() => {
  const problems = [];
  if (!document.documentElement.lang) problems.push('html without lang');
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


def test_main_pages_pass_basic_accessibility_checks(live_server, page, shots):
    page.goto(f"{live_server}/datasets?q=公交")
    product = page.locator(".card-title a").first.get_attribute("href")
    anonymous = ["/", "/datasets", "/datasets?q=公交", product, "/login"]
    for path in anonymous:
        page.goto(live_server + path)
        assert page.evaluate(A11Y) == [], path
    log_in(page, live_server, "zhang.wei")
    for path in ["/cart", "/checkout", "/requests"]:
        page.goto(live_server + path)
        assert page.evaluate(A11Y) == [], path
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
