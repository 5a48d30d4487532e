"""Golden tests on the five real seed pages."""

import pytest
from conftest import SEEDS, needs_shared

from nlp_service.news.page import extract_news

GOLDEN = {
    "000_19441f5b4106aed0.txt": dict(title="从“全镇域”到“全县域”", published=None, source=None, editor="付振强",
                                     first="当这首由河南省新郑市龙湖镇", last="更有意义”。"),
    "001_1b4a96568180a86c.txt": dict(title="画出最大同心圆——郑州新阶层实践创新基地建设纪实", published="2019-02-09",
                                     source="精彩中原网", editor="童新", first="精彩中原网讯", last="更有作为。"),
    "002_cb0f821f9cdfda49.txt": dict(title="“3+4+N”,激发海安新阶层新动力", published="2019-06-04",
                                     source="海安市委统战部", editor=None, first="近年来,海安市",
                                     last="搭建了多样化的平台。"),
    "003_7319886ea51dcb29.txt": dict(title="新的社会阶层人士统战工作如何创新?这个会议释放重要信号", published=None,
                                     source=None, editor="陈颖", first="11月28日至29日", last="乌鲁木齐"),
    "004_a56f45a86e3ebe9f.txt": dict(title="新时代统战工作巡礼丨谋新局 铸品牌 立足实践守正创新",
                                     published="2022-07-20", source="中国新闻报", editor="李新贺",
                                     first="推动党外代表人士实践锻炼常态化", last="(中共河南省委统战部供稿)"),
}
BOILERPLATE = ("上一篇", "下一篇", "字号", "为您推荐", "发表评论", "ICP", "关于我们", "投稿邮箱", "首页",
               "责任编辑", "关键词:", "layer", "未经授权")


@needs_shared(SEEDS)
@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_seed_page(name):
    want = GOLDEN[name]
    page = extract_news((SEEDS / name).read_text(encoding="utf-8"))
    assert page.title == want["title"]
    assert page.published == want["published"]
    assert page.source == want["source"]
    assert page.editor == want["editor"]
    assert page.body.startswith(want["first"])
    assert page.body.endswith(want["last"])
    for junk in BOILERPLATE:
        assert junk not in page.body, junk
    assert len(page.body) > 1000


@needs_shared(SEEDS)
def test_subtitle_of_pinyin_page():
    page = extract_news((SEEDS / "000_19441f5b4106aed0.txt").read_text(encoding="utf-8"))
    assert page.subtitle == "河南新郑市新的社会阶层人士统战工作实践创新纪实"


def test_plain_html_page():
    html = ("<html><body><div class=nav>首页 > 新闻 > 正文</div><h1>市政协召开提案办理协商会</h1>"
            "<p>发布时间：2024-03-05 来源：江川日报</p><p>会议通报了提案办理情况。</p>"
            "<p>共收到提案312件，已办结308件。</p><div>上一篇：别的新闻</div><div>版权所有 ICP备000</div>"
            "</body></html>")
    page = extract_news(html)
    assert page.title == "市政协召开提案办理协商会"
    assert page.published == "2024-03-05" and page.source == "江川日报"
    assert page.body == "会议通报了提案办理情况。\n共收到提案312件,已办结308件。".replace(",", "，")
