"""Pull title, date, source, editor and body out of a scraped news page, dropping the page furniture.

Pages from different sites share few tags but many phrases (来源, 责任编辑, 上一篇), so this works on the
cleaned lines of text rather than on a DOM.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date

from nlp_service.text.normalize import normalize

_DATE = re.compile(r"(20\d{2}|19\d{2})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})\s*日?")
_SOURCE = re.compile(r"来源\s*[:：]\s*([^\s|│丨•]+?)(?=\s|$|\||责任|编辑|作者|发布|时间)")
_EDITOR = re.compile(r"(?:责任编辑|责编|编辑)\s*[:：]?\s*([\u4e00-\u9fff]{2,4}(?:[、,，\s][\u4e00-\u9fff]{2,4})?)")
_BREADCRUMB = re.compile(r"^(?:当前位置\s*[:：]\s*)?[^>]{1,12}(?:\s*>\s*[^>]{1,40}){1,6}\s*>?$")
_META_HINT = re.compile(r"来源\s*[:：]|发布时间|发布日期|作者\s*[:：]")
_DATE_ONLY = re.compile(r"^\d{4}\s*[-年/.]\s*\d{1,2}\s*[-月/.]\s*\d{1,2}\s*日?\s*(?:\d{1,2}:\d{2}(?::\d{2})?)?$")

# Lines that end the article: what follows is navigation, comments or the footer.
_END_MARKERS = ("上一篇", "下一篇", "为您推荐", "相关推荐", "相关阅读", "相关新闻", "发表评论", "关于我们",
                "网友评论", "热点推荐", "猜你喜欢", "分享到")
# Lines dropped wherever they stand.
_NOISE = re.compile(
    r"^(字号|【字体|大\s*中\s*小|打印|关闭窗口|搜\s*索|投稿邮箱|新闻热线|layer|icon|扫一扫|分享|收藏|"
    r"点击[:：]|浏览次数|阅读[:：]|返回顶部|【打印|关键词\s*[:：])|"
    r"(ICP|公网安备|版权所有|Copyright|未经授权禁止|不代表.*观点|违法和不良信息举报|许可证)|"
    r"^.{0,40}\s(图|摄|供图|摄影)$",  # photo captions: "会议现场 微信公众号统战新语 图"
    re.I,
)


@dataclass
class NewsPage:
    title: str
    published: str | None
    source: str | None
    editor: str | None
    body: str
    subtitle: str | None = None
    dropped: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _is_nav(line: str) -> bool:
    """A row of short link texts: 中新网首页 安徽 北京 重庆 ..."""
    parts = line.split()
    return len(parts) >= 6 and sum(len(p) <= 4 for p in parts) >= 0.8 * len(parts)


def _date(text: str) -> str | None:
    m = _DATE.search(text)
    if not m:
        return None
    try:  # an impossible date (2024-02-30) on a page leaves it undated rather than failing the ingest
        return date(*(int(g) for g in m.groups())).isoformat()
    except ValueError:
        return None


def _clean_bullet(line: str) -> str:
    return line.lstrip("•·-* ").strip()


def extract_news(raw: str) -> NewsPage:
    """Best effort on any page; golden-tested on the seeds in shared/seeds."""
    lines = [_clean_bullet(x) for x in normalize(raw).split("\n")]
    lines = [x for x in lines if x]
    dropped: list[str] = []
    title_hint: str | None = None
    published = source = editor = None
    meta_at: int | None = None  # how many body lines came before the first metadata line

    kept: list[str] = []
    for line in lines:
        if line.startswith(_END_MARKERS) and len(kept) >= 3:
            dropped.extend(lines[lines.index(line):])
            break
        if _BREADCRUMB.match(line) and ">" in line:
            last = line.rstrip("> ").split(">")[-1].strip()
            title_hint = title_hint or last
            dropped.append(line)
            continue
        if _NOISE.search(line) or _is_nav(line) or len(line) <= 1:
            dropped.append(line)
            continue
        m = _EDITOR.search(line)
        if (m and len(line) < 60) or (m and line.startswith(("(原标题", "（原标题"))):
            editor = editor or m.group(1).strip()
            if len(line) < 60:
                dropped.append(line)
                continue
        if (_META_HINT.search(line) and len(line) < 80) or _DATE_ONLY.match(line):
            meta_at = len(kept) if meta_at is None else meta_at
            published = published or _date(line)
            sm = _SOURCE.search(line)
            source = source or (sm.group(1).strip() if sm else None)
            dropped.append(line)
            continue
        kept.append(line)

    if title_hint not in kept:
        title_hint = None
    if title_hint:
        title = title_hint
    elif meta_at:  # the title stands right above the date/source line
        title = kept[meta_at - 1]
        kept = kept[meta_at - 1 :]
    else:
        title = kept[0] if kept else ""
    body_lines = [x for x in kept if x != title]
    subtitle = None
    if body_lines and not title_hint and len(body_lines[0]) < 60 and body_lines[0].startswith(("—", "-", "?")):
        subtitle = body_lines.pop(0).lstrip("?—- ").strip()
    # Some sites repeat the title at the start of the first paragraph.
    body_lines = [x[len(title) :].strip() if title and x.startswith(title) else x for x in body_lines]
    # Drop repeats, and a lead paragraph that is only the start of a longer copy further down.
    body_lines = [x for i, x in enumerate(body_lines)
                  if x and not any(y.startswith(x) for y in body_lines[i + 1 :])]
    body = "\n".join(body_lines)
    if published is None:
        published = _date("\n".join(lines[:3]))
    return NewsPage(title=title, published=published, source=source, editor=editor, body=body,
                    subtitle=subtitle, dropped=dropped)
