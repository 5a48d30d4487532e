"""Hot issues as events: messages about one specific problem at one place, grouped by the pair decision.

Candidates are each message's nearest neighbours (FAISS over the messages in view, cosine at or above the pair
model's ``candidate_floor``, which nearly every same-issue training pair clears); the pair model scores them;
pairs below its threshold or in ``excluded_pairs`` (staff "not a duplicate" answers) never link. Groups merge
strongest pair first, and only when their cross pairs are confident on average with none below even odds
(``LINKAGE``; cross pairs that were no candidates are scored then), so no chain glues two events together.

Heat (``HEAT``): the topical clusters' attention sum (issues/report.py: each message weighs
``1 + log1p(likes) + 0.5 log1p(dislikes)``, halved every 180 days back from the newest message in view), times
the share of distinct submitters, so one person posting ten times is not ten voices.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from nlp_service.index.vectors import VectorIndex
from nlp_service.issues.duplicates import candidate_pairs
from nlp_service.issues.items import Item
from nlp_service.issues.labels import ctfidf
from nlp_service.issues.report import DISLIKE_WEIGHT, HALF_LIFE_DAYS, heat
from nlp_service.pairs.features import Side
from nlp_service.pairs.judge import PairJudge

NEIGHBOURS = 10
# Average linkage with no pair below even odds, not complete linkage: on the 4,306 real messages with likes,
# complete linkage split the 丽发新城 mixing-plant complaints into three events (11, 8 and 7 messages) and
# average linkage into two (21 and 9), with every title in them about that plant (the import + hot-issues
# commands in README "Hot issues").
LINKAGE = "average"
HEAT = (f"sum over messages of (1 + log1p(likes) + {DISLIKE_WEIGHT} log1p(dislikes)) * 0.5^(age / "
        f"{HALF_LIFE_DAYS} days), age from the newest message in view; times distinct submitters / messages")
# Words that name a place or a group of people: the first half of a label in the field's shape (地点/人群 + 问题).
PLACE = re.compile(r".{2,}(?:省|市|区|县|镇|乡|村|街道|路|街|巷|大道|小区|社区|花园|苑|城|府|湾|园|广场|公寓|大厦|"
                   r"中学|小学|学校|幼儿园|医院|市场|车站|公园|高铁|地铁|项目|楼盘)$|.{1,}(?:居民|业主|学生|家长|"
                   r"老人|村民|司机|商户|工人)$")


@dataclass(frozen=True)
class Message:
    item: Item
    side: Side
    submitter: str | None
    terms: Counter[str]


def group_events(n: int, probs: dict[tuple[int, int], float], threshold: float,
                 excluded_pairs: set[tuple[int, int]] | None = None,
                 score: Callable[[list[tuple[int, int]]], list[float]] | None = None,
                 linkage: str = "complete") -> list[list[int]]:
    """Groups (of at least two rows) of ``n`` rows, biggest first. Candidate pairs at or above ``threshold``
    are tried strongest first; two groups merge when their cross pairs pass: every one of them (``complete``)
    or on average, with none below even odds (``average``). Cross pairs that were no candidates are scored by
    ``score`` when given, else count as 0."""
    banned = {(min(a, b), max(a, b)) for a, b in (excluded_pairs or set())}
    known = {(min(a, b), max(a, b)): p for (a, b), p in probs.items()}
    edges = sorted(((p, k) for k, p in known.items() if p >= threshold and k not in banned),
                   key=lambda e: (-e[0], e[1]))
    group_of = list(range(n))
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    for _, (a, b) in edges:
        ga, gb = group_of[a], group_of[b]
        if ga == gb:
            continue
        cross = [(min(x, y), max(x, y)) for x in members[ga] for y in members[gb]]
        if any(c in banned for c in cross):
            continue
        missing = [c for c in cross if c not in known]
        if missing and score is not None:
            known.update(zip(missing, score(missing), strict=True))
        values = [known.get(c, 0.0) for c in cross]
        ok = min(values) >= threshold if linkage == "complete" else \
            (sum(values) / len(values) >= threshold and min(values) >= 0.5)
        if not ok:
            continue
        for y in members[gb]:
            group_of[y] = ga
        members[ga] += members.pop(gb)
    groups = [sorted(m) for m in members.values() if len(m) >= 2]
    probs.update(known)
    return sorted(groups, key=lambda g: (-len(g), g[0]))


def pair_probabilities(sides: list[Side], score: Callable[[list[tuple[int, int]]], list[float]],
                       floor: float, k: int = NEIGHBOURS) -> dict[tuple[int, int], float]:
    """{(row a, row b): P(same issue)} over each text's nearest neighbours (cosine >= ``floor``)."""
    if len(sides) < 2:
        return {}
    x = np.stack([side.vector for side in sides]).astype(np.float32)
    index = VectorIndex(x.shape[1])
    index.upsert(np.arange(len(sides)), x)
    pairs = sorted(candidate_pairs(index, list(range(len(sides))), x, floor, k))
    return dict(zip(pairs, score(pairs), strict=True))


def same_issue_groups(sides: list[Side], ids: list[int], judge: PairJudge,
                      excluded_pairs: set[tuple[int, int]] | None = None, threshold: float | None = None,
                      linkage: str = LINKAGE, k: int = NEIGHBOURS
                      ) -> tuple[list[list[int]], dict[tuple[int, int], float]]:
    """Rows grouped by the pair decision, and the pair probabilities behind them. ``ids`` are the rows' item
    ids, which ``excluded_pairs`` (staff "not the same issue" answers) name; ``threshold`` defaults to the
    pair model's own."""

    def score(pairs: list[tuple[int, int]]) -> list[float]:
        return judge.probabilities([(sides[a], sides[b]) for a, b in pairs]).tolist()

    probs = pair_probabilities(sides, score, judge.candidate_floor, k)
    row_of = {item: r for r, item in enumerate(ids)}
    banned = {(row_of[a], row_of[b]) for a, b in excluded_pairs or set() if a in row_of and b in row_of}
    groups = group_events(len(sides), probs, judge.threshold if threshold is None else threshold, banned, score,
                          linkage)
    return groups, probs


def _place(texts: list[str]) -> str | None:
    """The longest place-like phrase (``PLACE``) of the first text that at least half of the texts name."""
    first, best = texts[0], None
    for i in range(len(first)):
        for j in range(i + 2, min(len(first), i + 14) + 1):
            phrase = first[i:j]
            if (best is None or len(phrase) > len(best)) and PLACE.match(phrase) \
                    and 2 * sum(phrase in t for t in texts) >= len(texts):
                best = phrase
    return best


def _label(group: list[Message], probs: dict[tuple[int, int], float], rows: list[int]) -> tuple[str, str | None]:
    """The message most like the others describes the problem; the place (or people) most of them name leads."""
    closeness = [sum(probs.get((min(r, o), max(r, o)), 0.0) for o in rows if o != r) for r in rows]
    centre = group[int(np.argmax(closeness))]
    title = (centre.item.title or centre.side.text)[:40]
    place = _place([title] + [m.side.text[:300] for m in group if m is not centre])
    return (title if place is None or place in title else f"{place}：{title}"), place


def build_events(messages: list[Message], judge: PairJudge, excluded_pairs: set[tuple[int, int]] | None = None,
                 linkage: str = LINKAGE) -> list[dict[str, Any]]:
    """Hot issues, hottest first. ``excluded_pairs`` are item ids (low, high) staff said differ."""

    groups, probs = same_issue_groups([m.side for m in messages], [m.item.id for m in messages], judge,
                                      excluded_pairs, linkage=linkage)
    keywords = ctfidf({g: sum((messages[r].terms for r in rows), Counter()) for g, rows in enumerate(groups)}, 8)
    dated = [m.item.submitted for m in messages if m.item.submitted]
    reference = max(dated) if dated else None
    out = []
    for g, rows in enumerate(groups):
        group = [messages[r] for r in rows]
        words = [w for w, _ in keywords.get(g, [])]
        label, place = _label(group, probs, rows)
        submitters = len({m.submitter or f"#{m.item.id}" for m in group})
        days = sorted(d for m in group if (d := m.item.submitted))
        out.append({
            "label": label, "place": place, "keywords": words, "size": len(group), "submitters": submitters,
            "likes": sum(m.item.likes for m in group), "dislikes": sum(m.item.dislikes for m in group),
            "heat": round(heat([m.item for m in group], reference) * submitters / len(group), 4),
            "since": days[0].isoformat() if days else None, "until": days[-1].isoformat() if days else None,
            "min_probability": round(min(probs[(min(a, b), max(a, b))] for i, a in enumerate(rows)
                                         for b in rows[i + 1 :]), 4),
            "ids": [m.item.id for m in group], "external_ids": [m.item.external_id for m in group],
            "messages": [{"id": m.item.id, "external_id": m.item.external_id, "title": m.item.title,
                          "submitted": m.item.submitted.isoformat() if m.item.submitted else None,
                          "submitter": m.submitter, "likes": m.item.likes, "dislikes": m.item.dislikes}
                         for m in group]})
    out.sort(key=lambda e: (-e["heat"], -e["size"], e["ids"][0]))
    return out

