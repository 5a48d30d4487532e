"""Figures that texts report about suggestions: how many were submitted, adopted, implemented, planned.

"建言献策近400条，有200余条已落实" -> submitted ~400, implemented 200+. Used by entities and the news desk.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}

_NUM = r"(?:\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万]+)"
_FIGURE = re.compile(
    rf"(?P<pre>近|约|超过|逾|共|累计|合计|达|共计|总计)?(?P<num>{_NUM})(?P<post>余|多)?(?P<wan>万)?"
    r"(?P<unit>条|件|项|篇|份)"  # not 个: "15个城市", "5个方面" are not counts of suggestions
)
_RATE = re.compile(
    r"(?P<what>办结率|满意率|采纳率|落实率|回复率|答复率)\s*(?:为|达到?|达)?\s*(?P<num>\d+(?:\.\d+)?)\s*%"
)

# Checked in this order: a clause about a plan also says 意见, so the more specific kinds come first.
_KINDS = (
    ("written_into_plan", re.compile(r"(写入|纳入|列入).{0,12}(规划|计划|报告|文件|政策)")),
    ("implemented", re.compile(r"落实|办结|解决|落地|实施|转化")),
    ("adopted", re.compile(r"采纳|采用|吸纳|批示")),
    ("replied", re.compile(r"答复|回复|回应")),
    ("submitted", re.compile(r"建言献策|建言|征集|收集|提出|提交|收到|受理|意见建议|建议|提案|留言|诉求|来电")),
)
_CLAUSE = re.compile(r"[^，,；;。！!？?\n]+")


@dataclass(frozen=True)
class Figure:
    kind: str  # submitted | adopted | implemented | written_into_plan | replied | rate:<name>
    value: float
    qualifier: str  # exact | about | nearly | more_than
    text: str
    start: int
    end: int

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def chinese_number(s: str) -> float:
    """'400' -> 400, '百' -> 100, '两百三十' -> 230, '一万二千' -> 12000."""
    if re.fullmatch(r"\d+(?:\.\d+)?", s):
        return float(s)
    total, section, digit = 0, 0, 0
    for ch in s:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch == "万":
            total += (section + digit) * 10000
            section, digit = 0, 0
        elif ch in _CN_UNITS:
            section += (digit or 1) * _CN_UNITS[ch]
            digit = 0
    return float(total + section + digit)


def _qualifier(pre: str | None, post: str | None) -> str:
    if post or pre in ("超过", "逾"):
        return "more_than"
    if pre == "近":
        return "nearly"
    if pre == "约":
        return "about"
    return "exact"


def extract_figures(text: str) -> list[Figure]:
    figures: list[Figure] = []
    for clause in _CLAUSE.finditer(text):
        c = clause.group(0)
        kind = next((k for k, pat in _KINDS if pat.search(c)), None)
        for m in _RATE.finditer(c):
            figures.append(Figure(f"rate:{m.group('what')}", float(m.group("num")), "exact", m.group(0),
                                  clause.start() + m.start(), clause.start() + m.end()))
        if kind is None:
            continue
        for m in _FIGURE.finditer(c):
            value = chinese_number(m.group("num")) * (10000 if m.group("wan") else 1)
            if value <= 0:
                continue
            figures.append(Figure(kind, value, _qualifier(m.group("pre"), m.group("post")), c.strip(),
                                  clause.start() + m.start(), clause.start() + m.end()))
            break  # one figure per clause: the first number is the one the verb talks about
    return figures
