"""Staff search: BM25 keywords + FAISS semantics, fused by scaled scores (see ``fuse``), with filters and
highlights. ``rrf`` (reciprocal-rank fusion) stays only as the baseline bench/bench_search.py measures against."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from nlp_service.index.store import IndexStore
from nlp_service.storage.models import News, Suggestion
from nlp_service.storage.query import in_period
from nlp_service.storage.repository import SuggestionFilter

RRF_K = 60
MODES = ("hybrid", "keyword", "semantic")
# Weight of the keyword score beside the semantic one after both are scaled to [0, 1]; chosen on half of the
# LCQMC retrieval queries and checked on the other half (bench/bench_search.py).
KEYWORD_WEIGHT = 0.2


@dataclass
class SearchRequest:
    query: str = ""
    mode: str = "hybrid"
    kind: str = "suggestion"  # suggestion | news
    filters: SuggestionFilter = field(default_factory=SuggestionFilter)
    sort: str = "relevance"  # relevance | newest | oldest
    offset: int = 0
    limit: int = 20
    like_id: int | None = None  # "more like this": the query is this item's text


def rrf(rankings: list[list[int]], k: int = RRF_K) -> list[tuple[int, float]]:
    """Reciprocal rank fusion: each list votes 1/(k + rank) for its items."""
    score: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            score[item] = score.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(score.items(), key=lambda kv: -kv[1])


def fuse(keyword: list[tuple[int, float]], semantic: list[tuple[int, float]],
         keyword_weight: float = KEYWORD_WEIGHT) -> list[tuple[int, float]]:
    """Score fusion: BM25 scaled by its best score, cosine scaled over its own list, then a weighted sum.

    Plain reciprocal rank fusion threw away how much better the best semantic hit was than the next one and
    lost to semantic search alone on MRR; scaled scores keep that and let exact names and numbers tip ties.
    """
    score: dict[int, float] = {}
    if keyword:
        top = keyword[0][1] or 1.0
        for i, s in keyword:
            score[i] = score.get(i, 0.0) + keyword_weight * s / top
    if semantic:
        hi, lo = semantic[0][1], semantic[-1][1]
        for i, s in semantic:
            score[i] = score.get(i, 0.0) + (s - lo) / max(hi - lo, 1e-6)
    return sorted(score.items(), key=lambda kv: -kv[1])


# Filters by selectivity. A filter that passes at most PRE_FILTER_MAX rows (one LIMITed query tells) ranks inside
# its allowed ids. A broader one ranks without the filter, POST_FILTER_DEPTH times deeper, and keeps the hits that
# pass (one primary-key lookup); only where too few pass does it fetch every allowed id. Both ways give the same
# ranking (tests/test_search_filters.py); fetching 20k allowed ids cost more than all the ranking
# (bench/bench_search.py).
PRE_FILTER_MAX = 5000
POST_FILTER_DEPTH = 8


def _filter_stmt(req: SearchRequest) -> Any | None:
    """SELECT id of the rows that pass the request's filters, or None when it has none."""
    f = req.filters
    if req.kind != "suggestion":
        stmt = in_period(select(News.id), News.published, f.since, f.until)
        if f.topic:
            stmt = stmt.where(News.topic == f.topic)
        return None if stmt.whereclause is None else stmt
    return None if f == SuggestionFilter() else f.apply(select(Suggestion.id))


def _ids(session: Session, stmt: Any) -> set[int]:
    # The DBAPI cursor's rows, not SQLAlchemy's: for tens of thousands of ids its row handling cost more than
    # the query did.
    return {row[0] for row in session.connection().execute(stmt).cursor.fetchall()}


def semantic_ranking(store: IndexStore, kind: str, vec: np.ndarray, depth: int,
                     allowed: set[int] | None) -> list[tuple[int, float]]:
    scores, ids = store.vectors[kind].search(vec[None, :], depth, allowed)
    return [(int(i), float(s)) for s, i in zip(scores[0], ids[0], strict=True) if i >= 0]


Ranking = list[tuple[int, float]]


def _rankings(store: IndexStore, req: SearchRequest, tokens: list[str], vector: np.ndarray | None, depth: int,
              allowed: set[int] | None) -> tuple[Ranking, Ranking]:
    keyword: Ranking = []
    semantic: Ranking = []
    if req.mode in ("hybrid", "keyword") and tokens:
        keyword = store.keywords[req.kind].search(tokens, depth, allowed)
    if req.mode in ("hybrid", "semantic") and vector is not None:
        semantic = semantic_ranking(store, req.kind, vector, depth, allowed)
    return keyword, semantic


def _post_filtered(session: Session, store: IndexStore, req: SearchRequest, tokens: list[str],
                   vector: np.ndarray | None, depth: int, stmt: Any) -> tuple[Ranking, Ranking] | None:
    """The filtered rankings from unfiltered ones ``POST_FILTER_DEPTH`` times deeper, or None where fewer than
    ``depth`` hits pass and the deeper lists were cut short (then only a pre-filter is exact)."""
    deep = depth * POST_FILTER_DEPTH
    keyword, semantic = _rankings(store, req, tokens, vector, deep, None)
    candidates = {i for i, _ in keyword} | {i for i, _ in semantic}
    table = Suggestion if req.kind == "suggestion" else News
    # The ids inlined as SQL: binding thousands of parameters cost SQLAlchemy more than the lookup (they are our
    # own ints, never user text).
    inlined = text(f"{table.__tablename__}.id IN ({','.join(str(int(i)) for i in candidates)})")
    passing = _ids(session, stmt.where(inlined)) if candidates else set()
    out = []
    for ranking in (keyword, semantic):
        kept = [x for x in ranking if x[0] in passing][:depth]
        if len(kept) < depth and len(ranking) == deep:
            return None
        out.append(kept)
    return out[0], out[1]


def highlight(text: str, terms: set[str], width: int = 160) -> str:
    """A snippet around the first match with matches wrapped in <mark>; the text is HTML-escaped first."""
    import html

    if not text:
        return ""
    terms = {t for t in terms if len(t) > 1 or not t.isascii()}
    pattern = re.compile("|".join(map(re.escape, sorted(terms, key=len, reverse=True)))) if terms else None
    m = pattern.search(text) if pattern else None
    start = max(0, (m.start() if m else 0) - width // 3)
    snippet = text[start : start + width]
    out, pos = [], 0
    for hit in pattern.finditer(snippet) if pattern else []:
        out += [html.escape(snippet[pos : hit.start()]), f"<mark>{html.escape(hit.group(0))}</mark>"]
        pos = hit.end()
    out.append(html.escape(snippet[pos:]))
    return ("…" if start else "") + "".join(out) + ("…" if start + width < len(text) else "")


def run_search(session: Session, store: IndexStore, req: SearchRequest, tokens: list[str],
               vector: np.ndarray | None, mask: Callable[[str | None], str | None] = lambda t: t
               ) -> dict[str, Any]:
    """Rank, filter, sort and page. ``vector`` may be None for keyword-only search; ``mask`` is the caller's
    view of personal data (access.views.masker)."""
    if req.mode not in MODES:
        from nlp_service.errors import BadInputError

        raise BadInputError(f"unknown search mode {req.mode!r}; one of {', '.join(MODES)}")
    table = Suggestion if req.kind == "suggestion" else News
    stmt = _filter_stmt(req)
    depth = max(200, req.offset + req.limit)
    has_query = bool(tokens) or vector is not None
    allowed = None if stmt is None or not has_query else _ids(session, stmt.limit(PRE_FILTER_MAX + 1))
    found = None
    if allowed is not None and len(allowed) > PRE_FILTER_MAX:
        allowed = None
        found = _post_filtered(session, store, req, tokens, vector, depth, stmt)
    if found is None:
        if allowed is None and stmt is not None:
            allowed = _ids(session, stmt)
        found = _rankings(store, req, tokens, vector, depth, allowed)
    keyword, semantic = found
    if req.like_id is not None:
        keyword = [x for x in keyword if x[0] != req.like_id]
        semantic = [x for x in semantic if x[0] != req.like_id]
    if not has_query:  # filters only: everything that passes them
        ids = allowed if allowed is not None else set(session.scalars(select(table.id)))
        ranked = [(i, 0.0) for i in sorted(ids, reverse=True)]
    else:
        ranked = fuse(keyword, semantic)
    date_col = "submitted" if req.kind == "suggestion" else "published"
    rows = {}
    if req.sort != "relevance":
        ids = [i for i, _ in ranked]
        dates = dict(session.execute(select(table.id, getattr(table, date_col)).where(table.id.in_(ids))).all())
        ranked.sort(key=lambda kv: (dates.get(kv[0]) is not None, dates.get(kv[0]) or 0, kv[0]),
                    reverse=req.sort == "newest")
    page = ranked[req.offset : req.offset + req.limit]
    if page:
        rows = {r.id: r for r in session.scalars(select(table).where(table.id.in_([i for i, _ in page])))}
    terms = set(tokens)
    results = []
    for item_id, score in page:
        r = rows.get(item_id)
        if r is None:
            continue
        title, body = mask(r.title) or "", mask(r.body) or ""  # before highlighting: a mark can split a number
        item = {"id": r.id, "kind": req.kind, "score": round(score, 6), "title": title,
                "title_html": highlight(title, terms, 80), "snippet_html": highlight(body, terms),
                "date": getattr(r, date_col).isoformat() if getattr(r, date_col) else None,
                "topic": r.topic}
        if req.kind == "suggestion":
            item.update(status=r.status, department=r.department, channel=r.channel, place=r.place,
                        submitter_group=r.submitter_group)
        else:
            item.update(source=r.source)
        results.append(item)
    return {"total": len(ranked), "offset": req.offset, "limit": req.limit, "mode": req.mode, "results": results}
