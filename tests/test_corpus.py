"""The embedded corpus is data people rely on: check its shape, not just that it parses."""

from collections import Counter

import pytest
from conftest import CORPORA

from nlp_service.domain.records import OUTCOMES, STATUSES
from nlp_service.storage.corpus import load_news, load_suggestions


@pytest.fixture(scope="module")
def suggestions():
    return load_suggestions(CORPORA)


@pytest.fixture(scope="module")
def news():
    return load_news(CORPORA)


def test_sizes(suggestions, news):
    assert len(suggestions) >= 1000
    assert len(news) >= 150


def test_ids_unique_and_labels_in_taxonomy(suggestions, news, taxonomy):
    ids = [s.external_id for s in suggestions]
    assert len(ids) == len(set(ids))
    for s in suggestions:
        assert s.topic in taxonomy.topic_by_id, s.external_id
        assert s.department in taxonomy.department_by_id, s.external_id
    for n in news:
        assert n.topic in taxonomy.topic_by_id, n.external_id


def test_every_topic_is_represented(suggestions, taxonomy):
    counts = Counter(s.topic for s in suggestions)
    assert set(counts) == set(taxonomy.topic_by_id)
    assert min(counts.values()) >= 30


def test_status_histories_are_ordered(suggestions):
    order = {s: i for i, s in enumerate(STATUSES)}
    for s in suggestions:
        hist = s.status_history
        assert hist and hist[0].status == "received", s.external_id
        dates = [e.date for e in hist if e.date]
        assert dates == sorted(dates), s.external_id
        assert sum(e.status in OUTCOMES for e in hist) <= 1, s.external_id
        assert [order[e.status] for e in hist if e.status not in OUTCOMES] == sorted(
            order[e.status] for e in hist if e.status not in OUTCOMES), s.external_id


def test_variety(suggestions):
    assert len({s.channel for s in suggestions}) == 5
    assert len({s.submitter_group for s in suggestions}) >= 8
    years = Counter(s.submitted.year for s in suggestions)
    assert len(years) >= 6
    lengths = [len(s.body) for s in suggestions]
    assert min(lengths) < 40 and max(lengths) > 400
    bodies = [s.body for s in suggestions]
    assert len(set(bodies)) == len(bodies)


def test_duplicate_groups_and_news_links(suggestions, news):
    groups = Counter(s.dup_group for s in suggestions if s.dup_group)
    assert len(groups) >= 40 and all(n >= 2 for n in groups.values())
    ids = {s.external_id for s in suggestions}
    outcome = [n for n in news if n.kind == "outcome"]
    assert len(outcome) >= 40
    assert all(n.links and set(n.links) <= ids for n in outcome)
