"""Issue clusters through the service on the embedded corpus: coverage, labels, stable ids across re-runs and
a growing corpus, emerging issues, the API; and the pieces (k, c-TF-IDF, matching, heat) on small inputs."""

from collections import Counter
from datetime import date

import numpy as np
import pytest
from fastapi.testclient import TestClient

from nlp_service.access.keys import create_key
from nlp_service.access.roles import Principal, Role
from nlp_service.api.app import create_app
from nlp_service.domain.records import SuggestionIn
from nlp_service.issues.kmeans import choose_k, match, refine, unit_rows
from nlp_service.issues.labels import ctfidf
from nlp_service.issues.report import Item, heat

ADMIN = Principal("cluster-test", Role.admin)
DRONES = ["无人机禁飞区里天天有人放无人机航拍，螺旋桨嗡嗡响", "无人机航拍飞手在禁飞区放飞，螺旋桨噪声吓到孩子",
          "禁飞区无人机航拍屡禁不止，飞手说没看到禁飞区标志", "无人机飞手违规航拍，禁飞区旁螺旋桨掉落砸车",
          "航拍无人机在禁飞区上空盘旋，飞手操作无人机不登记"]


def _membership(report):
    return {i: c["id"] for c in report["clusters"] for i in c["ids"]}


def test_choose_k_follows_corpus_size():
    assert [choose_k(n) for n in (0, 3, 10, 1045, 2000, 100_000)] == [0, 3, 5, 42, 80, 300]


def test_ctfidf_prefers_words_concentrated_in_one_cluster():
    terms = {1: Counter({"地铁": 3, "建议": 2, "12": 5}), 2: Counter({"学校": 2, "建议": 2, "x": 9})}
    top = ctfidf(terms, top=5)
    assert [w for w, _ in top[1]] == ["地铁", "建议"] and [w for w, _ in top[2]] == ["学校", "建议"]
    avg = (3 + 2 + 5 + 2 + 2 + 9) / 2
    assert top[1][0][1] == pytest.approx(3 * np.log(1 + avg / 3), abs=1e-3)


def test_refine_is_a_fixed_point_and_match_is_one_to_one():
    rng = np.random.default_rng(0)
    centres = unit_rows(rng.standard_normal((4, 16)))
    x = unit_rows(np.repeat(centres, 20, axis=0) + 0.1 * rng.standard_normal((80, 16)))
    c1, l1 = refine(x, x[[0, 20, 40, 60]])
    c2, l2 = refine(x, c1)
    assert np.array_equal(l1, l2) and np.array_equal(c1, c2)
    far = unit_rows(rng.standard_normal((1, 16)))
    pairs = match(np.vstack([c1[::-1], far]), c1, x.mean(0))
    assert {new: old for new, (old, _) in pairs.items()} == {0: 3, 1: 2, 2: 1, 3: 0}


def test_heat_counts_likes_and_recency():
    def item(i, day, likes=0):
        return Item(i, None, "", day, None, None, None, likes, 0, None, None)

    ref = date(2024, 12, 31)
    assert heat([item(1, ref)], ref) == 1.0
    assert heat([item(1, ref, likes=20)], ref) > heat([item(1, ref), item(2, ref)], ref)
    assert heat([item(1, date(2024, 7, 4))], ref) == pytest.approx(0.5, abs=0.01)  # 180 days: half


def test_every_item_in_exactly_one_cluster_with_real_token_labels(service):
    report = service.issues.clusters(recompute=True)
    indexed = service.indexes.vectors["suggestion"].ids()
    members = [i for c in report["clusters"] for i in c["ids"]]
    assert sorted(members) == sorted(indexed) and report["n_items"] == len(indexed)
    assert 5 <= report["k"] <= 300
    terms_of = service.indexes.keywords["suggestion"].terms_of
    for c in report["clusters"]:
        words = [k["word"] for k in c["keywords"]]
        tokens = set().union(*(terms_of(i) for i in c["ids"]))
        assert words and set(words) <= tokens, c["id"]
        assert len(words) == 6 or c["size"] < 5
        assert c["label"] == "、".join(words[:3])
        reps = c["representatives"]
        assert len(reps) == min(3, c["size"]) and {r["id"] for r in reps} <= set(c["ids"])
        assert [r["similarity"] for r in reps] == sorted((r["similarity"] for r in reps), reverse=True)
        assert sum(c["trend"].values()) <= c["size"] and all(len(k) == 7 for k in c["trend"])
        assert c["adoption"]["n"] == c["size"] and c["heat"] >= 0
    heats = [c["heat"] for c in report["clusters"]]
    assert heats == sorted(heats, reverse=True)
    # a labelled example: the cluster holding most education items is labelled with words about schools
    edu = max(report["clusters"], key=lambda c: c["top_topics"].get("education", 0))
    school = {"学校", "孩子", "小学", "中学", "学生", "教育", "老师", "学位", "家长", "入学", "学籍", "幼儿园"}
    assert school & {k["word"] for k in edu["keywords"]}, edu["keywords"]


def test_ids_are_stable_when_re_run_and_when_read_back(service):
    first = service.issues.clusters(recompute=True)
    again = service.issues.clusters(recompute=True)
    read = service.issues.clusters()
    assert _membership(first) == _membership(again) == _membership(read)
    assert not any(c["new"] for c in again["clusters"]) and not read["recomputed"] and again["recomputed"]
    assert [c["label"] for c in again["clusters"]] == [c["label"] for c in read["clusters"]]


def test_growing_corpus_keeps_ids_and_flags_a_new_issue(service):
    before = service.issues.clusters(recompute=True)
    old = _membership(before)
    target = next(c for c in before["clusters"] if 10 <= c["size"] <= 80)
    src = service.suggestions.get(target["representatives"][0]["id"])
    added, new = [], []
    try:
        near = service.suggestions.submit(SuggestionIn(title=src["title"] + "（再次反映）", body=src["body"],
                                           submitted=date(2026, 10, 1)))["id"]
        added.append(near)
        drones = [service.suggestions.submit(SuggestionIn(title=t[:12], body=t, submitted=date(2026, 10, 10 + n)))["id"]
                  for n, t in enumerate(DRONES)]
        added += drones
        placed = _membership(service.issues.clusters())  # without re-computation: new items go to the nearest cluster
        assert placed[near] == target["id"] and set(placed) == set(old) | set(added)

        after = service.issues.clusters(recompute=True)
        now = _membership(after)
        assert now[near] == target["id"] == now[src["id"]]
        new = [c for c in after["clusters"] if c["new"]]
        assert len(new) == 1 and set(drones) <= set(new[0]["ids"]) and new[0]["emerging"]
        assert new[0]["id"] > max(old.values()) and new[0]["rising"]  # five items in the last 90 days
        assert {"无人机", "禁飞区", "航拍"} & {k["word"] for k in new[0]["keywords"]}
        moved = sum(old[i] != now[i] for i in old)
        assert moved <= len(old) * 0.02, moved
        assert {c["id"] for c in before["clusters"]} <= {c["id"] for c in after["clusters"]}
    finally:
        for i in added:
            service.suggestions.delete(i, ADMIN)
    settled = service.issues.clusters(recompute=True)  # the drone cluster is empty now: retired, its id not reused
    assert new and new[0]["id"] not in {c["id"] for c in settled["clusters"]}


def test_window_and_adoption_by_cluster(service):
    report = service.issues.clusters(since=date(2025, 1, 1), until=date(2025, 12, 31))
    assert report["n_items"] > 0 and report["since"] == "2025-01-01"
    months = {m for c in report["clusters"] for m in c["trend"]}
    assert months and all(m.startswith("2025-") for m in months)
    assert sum(c["size"] for c in report["clusters"]) == report["n_items"]
    full = _membership(service.issues.clusters())
    stats = service.issues.adoption("cluster")
    assert set(stats["groups"]) == {str(c) for c in set(full.values())}
    for key, g in stats["groups"].items():
        assert all(full[i] == int(key) for i in g["ids"]["decided"])


def test_api_clusters_and_adoption(service):
    client = TestClient(create_app(service))
    staff = {"X-API-Key": create_key(service.db, "cluster-test-staff", Role.staff)}
    sub = {"X-API-Key": create_key(service.db, "cluster-test-sub", Role.submitter)}
    assert client.get("/v1/clusters", headers=sub).status_code == 403
    r = client.get("/v1/clusters", headers=staff)
    assert r.status_code == 200 and r.json()["clusters"][0]["label"]
    r = client.get("/v1/adoption", params={"by": "period", "period": "quarter"}, headers=staff)
    assert r.status_code == 200 and "2021-Q2" in r.json()["groups"]
    assert client.get("/v1/adoption", params={"by": "cluster"}, headers=staff).json()["by"] == "cluster"
    assert client.get("/v1/adoption", params={"by": "colour"}, headers=staff).status_code == 422
    assert client.get("/v1/adoption", headers=staff).status_code == 422
    assert client.get("/v1/adoption", params={"by": "topic"}, headers=sub).status_code == 403


def test_migration_adds_the_cluster_table(db):
    assert "issue_clusters" in db.tables()
