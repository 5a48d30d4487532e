"""Filtered search ranks the same whichever way the filter is applied: inside the allowed ids (narrow filters)
or after an unfiltered, deeper ranking (broad ones), with a fall-back when too few hits pass."""

from datetime import date, timedelta
from types import SimpleNamespace

import numpy as np
import pytest
from sqlalchemy import insert

from nlp_service.index.bm25 import BM25Index
from nlp_service.index.vectors import VectorIndex
from nlp_service.search import hybrid
from nlp_service.search.hybrid import SearchRequest, run_search
from nlp_service.storage.db import Database
from nlp_service.storage.models import Suggestion
from nlp_service.storage.repository import SuggestionFilter

N = 3000
WORDS = [f"词{i}" for i in range(60)]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    rng = np.random.default_rng(0)
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('sf') / 'f.db'}")
    with db.engine.begin() as conn:
        conn.execute(insert(Suggestion), [
            {"id": i, "title": f"t{i}", "body": f"b{i}", "submitted": date(2020, 1, 1) + timedelta(days=i % 1000),
             "topic": ("transport", "education", "health")[i % 3], "status": "received", "extra": {}}
            for i in range(1, N + 1)])
    store = SimpleNamespace(vectors={"suggestion": VectorIndex(16)}, keywords={"suggestion": BM25Index()})
    for i in range(1, N + 1):
        store.keywords["suggestion"].upsert(i, list(rng.choice(WORDS, 8)))
    v = rng.standard_normal((N, 16)).astype(np.float32)
    store.vectors["suggestion"].upsert(np.arange(1, N + 1), v / np.linalg.norm(v, axis=1, keepdims=True))
    yield db, store, v[0] / np.linalg.norm(v[0])
    db.dispose()


FILTERS = {"broad": SuggestionFilter(since=date(2020, 6, 1), topic="transport"),
           "narrow": SuggestionFilter(since=date(2021, 3, 1), until=date(2021, 3, 20))}


@pytest.mark.parametrize("name", FILTERS)
@pytest.mark.parametrize("mode", ["hybrid", "keyword", "semantic"])
def test_post_filter_ranks_as_the_pre_filter_does(corpus, monkeypatch, name, mode):
    db, store, qvec = corpus
    req = SearchRequest("q", mode=mode, filters=FILTERS[name], limit=50)
    tokens = ["词1", "词2", "词3"]

    def search(pre_filter_max, post_depth):
        monkeypatch.setattr(hybrid, "PRE_FILTER_MAX", pre_filter_max)
        monkeypatch.setattr(hybrid, "POST_FILTER_DEPTH", post_depth)
        calls = []
        real = hybrid._post_filtered
        monkeypatch.setattr(hybrid, "_post_filtered", lambda *a: calls.append(real(*a)) or calls[-1])
        with db.session() as s:
            res = run_search(s, store, req, tokens, qvec)
        return [(r["id"], r["score"]) for r in res["results"]], res["total"], calls

    expected, total, calls = search(10**9, 8)  # every allowed id fetched first
    assert not calls and expected
    post, post_total, calls = search(10, 8)  # post-filtered
    assert post == expected and post_total == total
    assert len(calls) == 1 and (calls[0] is not None or name == "narrow"), "the broad filter is post-filtered"
    fallback, _, calls = search(10, 1)  # too few pass at depth x1: falls back to the pre-filter
    assert fallback == expected and calls == [None]
