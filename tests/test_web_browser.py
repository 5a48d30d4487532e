"""The staff page in a real headless browser: Debian's chromium driven by Playwright, against a live uvicorn.

Skips when /usr/bin/chromium or the playwright package is absent (CI installs chromium and fonts-noto-cjk).
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
SCREENSHOT = Path("/tmp/desk.png")
WAIT_MS = 30_000

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
if not CHROMIUM.is_file():
    pytest.skip(f"{CHROMIUM} is absent (apt-get install chromium)", allow_module_level=True)

expect = sync_api.expect


@pytest.fixture(scope="module")
def base_url(service):
    """The real app, served by uvicorn in a background thread on a free port of 127.0.0.1."""
    import uvicorn

    from nlp_service.api.app import create_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))  # handed to uvicorn still bound: no race for the port
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(service), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=15)
    sock.close()


@pytest.fixture(scope="module")
def keys(service):
    from nlp_service.access.keys import create_key
    from nlp_service.access.roles import Role

    return {"staff": create_key(service.db, "web-browser-staff", Role.staff),
            "submitter": create_key(service.db, "web-browser-submitter", Role.submitter)}


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, base_url):
    """A fresh context (empty localStorage) per test; fails the test on any script error or console error."""
    context = browser.new_context(base_url=base_url, locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(WAIT_MS)
    pg = context.new_page()
    problems: list[str] = []
    pg.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    pg.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    yield pg
    context.close()
    # 401/403/404 responses the tests provoke on purpose are logged by the browser as failed loads.
    unexpected = [p for p in problems if "status of 40" not in p]
    assert not unexpected, unexpected


def login(page, key: str) -> None:
    page.goto("/")
    expect(page.locator("#login")).to_be_visible()
    page.fill("#login-key", key)
    page.get_by_role("button", name="登录").click()


def test_desk_accept_search_and_review(page, keys, service, monkeypatch):
    # Every routing decision waits for review in this test, so the queue has items to show and to correct.
    monkeypatch.setattr(service.router, "thresholds", {"topic": 1.01, "department": 1.01})
    login(page, keys["staff"])
    expect(page.locator("#app")).to_be_visible()
    expect(page.locator("#login")).to_be_hidden()

    # 分流台: submit, see topic, three departments with reasons, similar past proposals, then 采纳.
    page.fill("#desk-title", "创新大道地铁B口共享单车乱停")
    page.fill("#desk-place", "高新区")
    page.fill("#desk-body", "地铁站出口共享单车堆成山，盲道都被占了，希望管一管。")
    page.get_by_role("button", name="提交并分流").click()
    card = page.locator("#desk-card")
    expect(card).to_be_visible()
    sid = int(card.get_attribute("data-id"))
    expect(page.locator("#desk-topic .topic")).not_to_be_empty()
    expect(page.locator("#desk-departments tbody tr")).to_have_count(3)
    expect(page.locator("#desk-departments tbody tr").first).to_contain_text("%")
    expect(page.locator("#desk-needs-review")).to_contain_text("需人工审核")
    expect(page.locator("#desk-similar > li")).to_have_count(5)
    expect(page.locator("#desk-similar > li").first).to_contain_text("相似度")
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    card.locator("[data-action=accept]").click()
    expect(card.locator(".done")).to_contain_text("已采纳")
    stored = service.suggestions.get(sid)
    routed_topic = stored["topic"]
    assert routed_topic and stored["department"]

    # 检索: keyword search shows server-side <mark> highlights; 更多类似 searches by example.
    page.get_by_role("tab", name="检索").click()
    page.fill("#search-q", "老旧小区加装电梯")
    page.locator("#search-form").get_by_role("button", name="检索").click()
    expect(page.locator("#search-list > li").first).to_be_visible()
    assert page.locator("#search-list mark").count() > 0
    assert "<" not in page.locator("#search-list .snippet").first.inner_text()  # markup rendered, not shown
    page.locator("#search-list > li").first.get_by_role("button", name="更多类似").click()
    expect(page.locator("#search-like")).to_be_visible()
    expect(page.locator("#search-list > li").first).to_be_visible()

    # 待审核: a second suggestion waits in the queue; correct its topic there.
    other = service.suggestions.submit(_suggestion("楼下烧烤店油烟太大，晚上窗户都不敢开"))["id"]
    page.get_by_role("tab", name="待审核").click()
    item = page.locator(f"#review-list > li[data-id='{other}']")
    expect(item).to_be_visible()
    expect(item).to_contain_text("系统建议")
    # The routing quality card: thresholds in force, held-out shares, the curve and the live accuracy.
    quality = page.locator("#review-quality-card")
    expect(quality).to_contain_text("部门阈值 101.0%")
    quality.locator("summary").click()
    expect(page.locator("#quality-shares")).to_contain_text("部门自动分派")
    expect(page.locator("#quality-curve tbody tr")).to_have_count(10)
    # the 采纳 above counts among the reviews (other tests in this session add theirs)
    expect(page.locator("#quality-live")).to_contain_text(re.compile(r"主题 \d+\.\d%（\d+/\d+）"))
    assert page.locator(f"#review-list > li[data-id='{sid}']").count() == 0  # accepted above: left the queue
    item.get_by_role("button", name="纠正").click()
    topic_select = item.get_by_label("纠正后的主题")
    predicted = topic_select.input_value()
    new_topic = next(v for v in topic_select.locator("option").evaluate_all("os => os.map(o => o.value)")
                     if v != predicted)
    topic_select.select_option(new_topic)
    item.get_by_role("button", name="提交纠正").click()
    expect(item.locator(".done")).to_contain_text("已纠正")
    assert service.suggestions.get(other)["topic"] == new_topic


def test_login_errors_and_missing_clusters(page, keys, base_url):
    login(page, "not-a-key")
    expect(page.locator("#login-error")).to_contain_text("401")
    expect(page.locator("#app")).to_be_hidden()

    login(page, keys["submitter"])
    expect(page.locator("#login-error")).to_contain_text("403")
    assert page.evaluate("localStorage.getItem('nlp_service.apiKey')") is None

    login(page, keys["staff"])
    expect(page.locator("#app")).to_be_visible()
    page.get_by_role("tab", name="议题聚类").click()
    has_clusters = page.request.get(f"{base_url}/v1/clusters", headers={"X-API-Key": keys["staff"]}).status
    if has_clusters == 404:
        expect(page.locator("#clusters-none")).to_have_text("聚类尚未生成。")
    else:  # the API's {"clusters": [...]}: the list shows them (it once read a key the API never sent)
        expect(page.locator("#clusters-list > li").first).to_be_visible()

    page.reload()  # the key is remembered
    expect(page.locator("#app")).to_be_visible()
    page.get_by_role("button", name="退出").click()
    expect(page.locator("#login")).to_be_visible()


def test_hot_issues_and_not_a_duplicate(page, keys, service):
    from nlp_service.storage.repository import not_same_pairs

    login(page, keys["staff"])
    page.get_by_role("tab", name="热点问题").click()
    first = page.locator("#hot-list > li").first
    expect(first).to_be_visible(timeout=180_000)  # grouping 2,400 items takes seconds, more on a busy CI box
    expect(first).to_contain_text("条留言")
    expect(first).to_contain_text("热度")
    page.screenshot(path="/tmp/hot-issues.png", full_page=True)

    # A near-copy of a stored item is flagged, with reasons; staff answer 不是重复 and it is stored.
    stored = service.suggestions.list_items({}, limit=1)["items"][0]
    page.get_by_role("tab", name="分流台").click()
    page.fill("#desk-title", stored["title"] or "")
    page.fill("#desk-body", stored["body"])
    page.get_by_role("button", name="提交并分流").click()
    sid = int(page.locator("#desk-card").get_attribute("data-id"))
    hit = page.locator(f"#desk-similar > li[data-id='{stored['id']}']")
    expect(hit).to_contain_text("疑似重复")
    expect(hit).to_contain_text("判为同一问题的依据")
    hit.locator("[data-action=not-duplicate]").click()
    expect(hit.locator(".done")).to_contain_text("不是重复")
    with service.db.session() as s:
        assert (min(sid, stored["id"]), max(sid, stored["id"])) in not_same_pairs(s)


def _suggestion(body: str):
    from nlp_service.domain.records import SuggestionIn

    return SuggestionIn(body=body)


def test_news_desk_extracts_links_and_confirms(page, keys, service, monkeypatch):
    from nlp_service.storage.models import NewsLink

    monkeypatch.setattr(service.news, "threshold", 0.5)  # the test's hashing encoder spreads cosines wider than e5
    sid = service.suggestions.submit(_suggestion("柳河镇卫生院晚上没有急诊，村民夜里看病要跑四十公里到县城，建议增设夜间急诊。"))["id"]
    login(page, keys["staff"])
    page.get_by_role("tab", name="新闻核验").click()
    page.fill("#news-page", "<html><body><nav>首页 | 新闻</nav><h1>柳河镇卫生院夜间急诊正式开诊</h1>"
                            "<p>发布时间:2024-01-10 来源:江川日报</p><p>去年有群众通过12345热线建议柳河镇卫生院增设夜间急诊。"
                            "市卫健委采纳建议，柳河镇卫生院夜间急诊近日正式开诊，共收到相关建议12条，已落实10条。</p>"
                            "<footer>版权所有</footer></body></html>")
    page.get_by_role("button", name="解析并关联").click()
    expect(page.locator("#news-title")).to_have_text("柳河镇卫生院夜间急诊正式开诊")
    expect(page.locator("#news-card .meta")).to_contain_text("2024-01-10")
    expect(page.locator("#news-figures")).to_contain_text("落实")
    link = page.locator(f"#news-links > li[data-id='{sid}']")
    expect(link).to_contain_text("相似度")
    page.screenshot(path="/tmp/news-desk.png", full_page=True)
    link.locator("[data-action=confirm]").click()
    expect(link.locator(".done")).to_have_text("已确认")
    with service.db.session() as s:
        stored = s.query(NewsLink).filter_by(suggestion_id=sid).one()
        assert stored.confirmed is True


def test_reports_tab_builds_and_downloads_a_report(page, keys):
    login(page, keys["staff"])
    page.get_by_role("tab", name="分析报告").click()
    page.fill("#report-since", "2024-01-01")
    page.fill("#report-until", "2024-12-31")
    page.select_option("#report-format", "json")
    page.get_by_role("button", name="生成报告").click()
    expect(page.locator("#report-stage")).not_to_have_text("排队中…")
    link = page.locator("#report-download")
    expect(link).to_be_visible(timeout=300_000)  # a whole report on a busy CI box
    expect(page.locator("#report-stage")).to_contain_text("100.0%")
    with page.expect_download() as download:
        link.click()
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert data["period"]["since"] == "2024-01-01" and data["volume"]["count"] > 0 and "hot_issues" in data
