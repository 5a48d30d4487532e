"""Nothing lost, nothing leaked: ownership of external ids, one masking policy, label provenance, and the inputs
that used to answer 500. Each test checks the answer AND that nothing stored changed where it must not."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from nlp_service.access.keys import create_key
from nlp_service.access.roles import SYSTEM, Role
from nlp_service.api.app import create_app
from nlp_service.storage.models import News, Suggestion

PHONE = "13907315512"


@pytest.fixture(scope="module")
def client(service):
    return TestClient(create_app(service))


@pytest.fixture(scope="module")
def keys(service):
    return {r: {"X-API-Key": create_key(service.db, f"integrity-{r.value}", r)} for r in Role} | {
        "bob": {"X-API-Key": create_key(service.db, "integrity-bob", Role.submitter)}}


def _count(service, table=Suggestion) -> int:
    with service.db.session() as s:
        return s.scalar(select(func.count(table.id)))


def _row(service, external_id):
    with service.db.session() as s:
        return s.scalar(select(Suggestion).where(Suggestion.external_id == external_id))


def test_a_submitter_cannot_take_over_a_stored_external_id(client, keys, service):
    staff, bob = keys[Role.staff], keys["bob"]
    r = client.post("/v1/suggestions", json={"external_id": "own-1", "title": "原标题", "body": "路灯坏了三天",
                                              "place": "临江区"}, headers=staff)
    assert r.status_code == 201, r.text
    n = _count(service)
    r = client.post("/v1/suggestions", json={"external_id": "own-1", "body": "我来覆盖"}, headers=bob)
    assert r.status_code == 409 and "own-1" in r.json()["detail"]
    row = _row(service, "own-1")
    assert _count(service) == n and row.body == "路灯坏了三天" and row.submitter != "integrity-bob"


def test_staff_update_by_external_id_changes_only_what_it_sends(client, keys, service):
    staff = keys[Role.staff]
    client.post("/v1/suggestions", json={"external_id": "own-2", "title": "标题在", "body": "井盖松了",
                                         "place": "东湖区"}, headers=staff)
    n = _count(service)
    r = client.post("/v1/suggestions", json={"external_id": "own-2", "body": "井盖松了，已经一周"}, headers=staff)
    assert r.status_code == 200 and r.json()["updated"] is True
    row = _row(service, "own-2")
    assert _count(service) == n and row.title == "标题在" and row.place == "东湖区" and "一周" in row.body


def test_non_ascii_api_key_is_a_401_while_a_bootstrap_key_is_set(client, service, monkeypatch):
    monkeypatch.setattr(service.settings, "admin_key", "bootstrap-secret")
    r = client.get("/v1/suggestions", headers={"X-API-Key": "钥匙".encode()})  # raw UTF-8 bytes on the wire
    assert r.status_code == 401
    assert client.get("/v1/keys", headers={"X-API-Key": "bootstrap-secret"}).status_code == 200


def test_a_chunked_body_cannot_pass_the_size_limit(client, keys, service):
    def chunks():
        for _ in range(40):
            yield b"x" * 100_000  # 4 MB, no Content-Length: sent chunked

    n = _count(service)
    r = client.post("/v1/route", content=chunks(), headers={**keys[Role.staff], "content-type": "application/json"})
    assert r.status_code == 413 and "limit" in r.json()["detail"]
    assert _count(service) == n


def test_news_with_an_impossible_date_and_a_repeated_id(client, keys, service):
    staff = keys[Role.staff]
    page = "关于政协委员建言献策成果的报道\n2024-02-30 来源：江川日报\n市政协收到建言献策近400条，其中200余条已落实。"
    r = client.post("/v1/news", json={"page": page, "external_id": "N-dated"}, headers=staff)
    assert r.status_code == 201, r.text
    assert r.json()["published"] is None  # 2024-02-30 is no date: the page is stored undated
    n = _count(service, News)
    r = client.post("/v1/news", json={"page": page, "external_id": "N-dated"}, headers=staff)
    assert r.status_code == 409 and "N-dated" in r.json()["detail"]
    assert _count(service, News) == n


def test_merging_back_is_refused_and_nothing_merges_into_itself(client, keys, service):
    staff = keys[Role.staff]
    a = client.post("/v1/suggestions", json={"body": "滨江路夜间施工太吵"}, headers=staff).json()["id"]
    b = client.post("/v1/suggestions", json={"body": "滨江路工地晚上施工扰民"}, headers=staff).json()["id"]
    assert client.post(f"/v1/suggestions/{a}/merge", json={"into": b}, headers=staff).status_code == 200
    r = client.post(f"/v1/suggestions/{b}/merge", json={"into": a}, headers=staff)
    assert r.status_code == 409
    with service.db.session() as s:
        assert s.get(Suggestion, b).merged_into is None and s.get(Suggestion, a).merged_into == b


def test_staff_see_masked_personal_data_wherever_an_item_appears(client, keys, service):
    staff, admin = keys[Role.staff], keys[Role.admin]
    body = f"青溪镇自来水发黄三天了，请联系我{PHONE}"
    sid = client.post("/v1/suggestions", json={"title": f"停水 {PHONE}", "body": body}, headers=admin).json()["id"]
    hits = client.get("/v1/search", params={"q": "青溪镇自来水发黄", "mode": "keyword"}, headers=staff).json()
    mine = [h for h in hits["results"] if h["id"] == sid]
    assert mine and PHONE not in str(mine) and "139" in mine[0]["title"]  # masked, not dropped
    similar = client.post("/v1/similar", json={"text": body, "k": 10}, headers=staff).json()["items"]
    assert any(x["id"] == sid for x in similar) and PHONE not in str(similar)
    assert PHONE in str(client.post("/v1/similar", json={"text": body, "k": 10}, headers=admin).json())
    assert PHONE not in client.get("/v1/clusters", headers=staff).text
    groups = service.issues.duplicate_groups(threshold=0.0, k=3, who=service_staff())
    assert PHONE not in str(groups)


def service_staff():
    from nlp_service.access.roles import Principal

    return Principal("someone", Role.staff)


def test_automatic_labels_are_marked_and_never_trained_on(client, keys, service):
    from nlp_service.routing.training import labelled_items

    r = client.post("/v1/suggestions", json={"body": "建议在创新大道地铁站增设过街天桥，早高峰行人太多"},
                    headers=keys[Role.staff]).json()
    with service.db.session() as s:
        row = s.get(Suggestion, r["id"])
        source = (row.topic_source, row.department_source)
    trained_on = {i for i, *_ in labelled_items(service.db)}
    # each decision is made or waits on its own; a made one is marked automatic, and none is trained on
    review = r["routing"]["review"]
    assert source == tuple(None if review[f] else "automatic" for f in ("topic", "department"))
    assert r["id"] not in trained_on
    client.post(f"/v1/suggestions/{r['id']}/correction", json={"topic": "transport", "department": "jtj"},
                headers=keys[Role.staff])
    assert r["id"] in {i for i, *_ in labelled_items(service.db)}
    assert client.get(f"/v1/suggestions/{r['id']}", headers=keys[Role.staff]).json()["topic_source"] == "staff"


# --- every route checks its role -----------------------------------------------------------------------------
PUBLIC = {"/health", "/", "/static/{name}", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"}
SUBMITTER = {("POST", "/v1/suggestions"), ("GET", "/v1/suggestions"), ("GET", "/v1/suggestions/{sid}"),
             ("GET", "/v1/taxonomy")}
ADMIN = {("DELETE", "/v1/suggestions/{sid}"), ("GET", "/v1/keys"), ("POST", "/v1/keys"),
         ("DELETE", "/v1/keys/{name}")}


def _routes(app):
    for route in app.routes:
        if getattr(route, "path", None) in PUBLIC or not hasattr(route, "methods"):
            continue
        for method in route.methods - {"HEAD", "OPTIONS"}:
            path = route.path
            for name, value in (("{sid}", "1"), ("{link_id}", "1"), ("{job_id}", "nojob"), ("{name}", "nokey")):
                path = path.replace(name, value)
            yield method, route.path, path


def test_every_route_checks_its_role(client, keys):
    seen = 0
    for method, template, path in _routes(client.app):
        seen += 1
        assert client.request(method, path).status_code == 401, (method, template)
        needed = (Role.admin if (method, template) in ADMIN else Role.submitter if (method, template) in SUBMITTER
                  else Role.staff)
        for role in Role:
            status = client.request(method, path, headers=keys[role], json={}).status_code
            allowed = [Role.submitter, Role.staff, Role.admin].index(role) >= [
                Role.submitter, Role.staff, Role.admin].index(needed)
            assert (status != 403) == allowed, (method, template, role.value, status)
    assert seen >= 30


def test_items_deleted_while_clustering_or_grouping_do_not_break_them(service, keys, client):
    """The race, made deterministic: rows gone from the database while the in-memory index still has them
    (a delete in another process, or between the index snapshot and the read)."""
    from sqlalchemy import delete

    staff = keys[Role.staff]
    ids = [client.post("/v1/suggestions", json={"body": f"南屏镇菜市场门口污水横流第{i}次反映"},
                       headers=staff).json()["id"] for i in range(3)]
    with service.db.session() as s:
        s.execute(delete(Suggestion).where(Suggestion.id.in_(ids)))
    assert set(ids) <= service.indexes.vectors["suggestion"].ids()
    report = service.issues.clusters(recompute=True)
    assert not set(ids) & {i for c in report["clusters"] for i in c["ids"]}
    groups = service.issues.duplicate_groups(threshold=0.5, k=5)
    assert all(set(g["ids"]) == {x["id"] for x in g["items"]} for g in groups["groups"])
    assert not set(ids) & {i for g in groups["groups"] for i in g["ids"]}
    r = client.get("/v1/clusters", headers=staff)
    assert r.status_code == 200


def test_a_running_service_sees_what_another_process_wrote(service, tmp_path):
    """A second Service on the same database and models stands in for a CLI import in another process."""
    from nlp_service.domain.records import SuggestionIn
    from nlp_service.service import Service

    store = service.indexes
    other = Service(service.settings)
    other.__dict__.update(pipeline=service.pipeline, encoder=service.encoder)
    other.__dict__["_index_store"] = type(store)(other.db, other.encoder, store.model_name,
                                                 service.pipeline.segmenter.tokens, tmp_path / "other-indexes",
                                                 clean=store.clean)
    other._index_store.sync()
    rec = SuggestionIn(title="望江街道垃圾站臭气熏天", body="望江街道北门垃圾站夏天臭得没法开窗")
    new_id = other.suggestions.submit(rec)["id"]
    store._checked = 0.0  # as if refresh_seconds had passed
    assert new_id in service.indexes.vectors["suggestion"].ids()
    assert new_id in {i for i, _ in service.indexes.keywords["suggestion"].search(["垃圾站"], 50)}
    other.suggestions.delete(new_id, SYSTEM)
    store._checked = 0.0
    assert new_id not in service.indexes.vectors["suggestion"].ids()


def test_an_import_commits_each_vector_with_its_item(service, tmp_path, monkeypatch):
    """If the vectors cannot be written, the items are not written either (one transaction)."""
    from nlp_service.errors import NLPServiceError
    from nlp_service.storage.models import Embedding

    path = tmp_path / "in.csv"
    path.write_text("external_id,title,body\nvec-1,井盖丢了,滨江路井盖丢了很危险\nvec-2,路灯,望江路路灯不亮\n",
                    encoding="utf-8")
    store = service.indexes
    n = _count(service)

    def broken(*_a, **_k):
        raise NLPServiceError("encoder down")

    monkeypatch.setattr(store, "documents", broken)
    with pytest.raises(NLPServiceError, match="encoder down"):
        service.suggestions.import_file(path)
    assert _count(service) == n and _row(service, "vec-1") is None
    monkeypatch.undo()
    assert service.suggestions.import_file(path)["inserted"] == 2
    ids = {_row(service, "vec-1").id, _row(service, "vec-2").id}
    with service.db.session() as s:
        stored = set(s.scalars(select(Embedding.item_id).where(Embedding.kind == "suggestion",
                                                               Embedding.item_id.in_(ids))))
    assert stored == ids and ids <= store.vectors["suggestion"].ids()
