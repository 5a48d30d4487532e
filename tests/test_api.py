"""The HTTP API through FastAPI's test client: roles on every endpoint, problem details, limits."""

import pytest
from fastapi.testclient import TestClient

from nlp_service.access.keys import create_key
from nlp_service.access.roles import Role
from nlp_service.api.app import create_app


@pytest.fixture(scope="module")
def client(service):
    return TestClient(create_app(service))


@pytest.fixture(scope="module")
def keys(service):
    return {r: {"X-API-Key": create_key(service.db, f"api-test-{r.value}", r)} for r in Role} | {
        "alice": {"X-API-Key": create_key(service.db, "alice", Role.submitter)}}


def test_health_is_public_and_the_rest_is_not(client):
    assert client.get("/health").json()["status"] == "ok"
    r = client.post("/v1/route", json={"text": "路灯坏了"})
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")
    assert client.get("/v1/search", headers={"X-API-Key": "wrong"}).status_code == 401


def test_roles_are_enforced(client, keys):
    sub, staff, admin = keys[Role.submitter], keys[Role.staff], keys[Role.admin]
    assert client.post("/v1/route", json={"text": "路灯坏了"}, headers=sub).status_code == 403
    assert client.post("/v1/route", json={"text": "路灯坏了"}, headers=staff).status_code == 200
    assert client.get("/v1/keys", headers=staff).status_code == 403
    assert client.get("/v1/keys", headers=admin).status_code == 200
    assert client.delete("/v1/suggestions/1", headers=staff).status_code == 403


def test_submit_returns_routing_similar_and_duplicates(client, keys):
    body = {"title": "创新大道地铁B口共享单车乱停", "body": "地铁站出口共享单车堆成山，盲道都被占了", "place": "高新区"}
    r = client.post("/v1/suggestions", json=body, headers=keys[Role.staff])
    assert r.status_code == 201, r.text
    out = r.json()
    assert {"id", "routing", "similar", "duplicate_of"} <= set(out)
    assert out["routing"]["topic"]["id"] and len(out["routing"]["departments"]) == 3
    assert len(out["similar"]) == 5
    # a submitter's answer carries their routing, never other citizens' items
    mine = client.post("/v1/suggestions", json=body, headers=keys["alice"]).json()
    assert mine["routing"]["topic"]["id"] and mine["similar"] == [] and mine["duplicate_of"] == []


def test_submitter_cannot_read_others_or_their_personal_data(client, keys):
    sid = client.post("/v1/suggestions", json={"body": "我电话13912345678，小区停水三天"},
                      headers=keys["alice"]).json()["id"]
    assert client.get(f"/v1/suggestions/{sid}", headers=keys["alice"]).json()["body"].startswith("我电话139123")
    assert client.get(f"/v1/suggestions/{sid}", headers=keys[Role.submitter]).status_code == 404
    listed = client.get("/v1/suggestions", headers=keys[Role.submitter]).json()
    assert sid not in [i["id"] for i in listed["items"]]
    staff_view = client.get(f"/v1/suggestions/{sid}", headers=keys[Role.staff]).json()
    assert "13912345678" not in staff_view["body"] and "139****5678" in staff_view["body"]


def test_review_correct_accept_status_merge_delete(client, keys, service):
    staff, admin = keys[Role.staff], keys[Role.admin]
    sid = client.post("/v1/suggestions", json={"body": "楼下烧烤店油烟太大"}, headers=staff).json()["id"]
    r = client.post(f"/v1/suggestions/{sid}/correction", json={"topic": "environment", "department": "sthjj"},
                    headers=staff)
    assert r.status_code == 200 and r.json()["corrections"][0]["after"] == "environment"
    assert client.post(f"/v1/suggestions/{sid}/correction", json={"topic": "nope"}, headers=staff).status_code == 422
    r = client.post(f"/v1/suggestions/{sid}/status", json={"status": "replied", "note": "已转生态环境局"}, headers=staff)
    assert r.json()["status"] == "replied"
    assert client.post(f"/v1/suggestions/{sid}/status", json={"status": "bogus"}, headers=staff).status_code == 422
    other = client.post("/v1/suggestions", json={"body": "烧烤油烟扰民"}, headers=staff).json()["id"]
    assert client.post(f"/v1/suggestions/{other}/merge", json={"into": sid}, headers=staff).status_code == 200
    assert client.get("/v1/review-queue?limit=5", headers=staff).status_code == 200
    assert client.get("/v1/accuracy", headers=staff).json()["topic"]["reviewed"] >= 1
    assert client.delete(f"/v1/suggestions/{other}", headers=admin).status_code == 204
    assert client.get(f"/v1/suggestions/{other}", headers=staff).status_code == 404
    assert other not in service.indexes.vectors["suggestion"].ids()


def test_search_and_similar_endpoints(client, keys):
    staff = keys[Role.staff]
    r = client.get("/v1/search", params={"q": "老旧小区加装电梯", "since": "2020-01-01", "limit": 3}, headers=staff)
    assert r.status_code == 200 and len(r.json()["results"]) == 3
    assert client.get("/v1/search", params={"q": "x", "mode": "bad"}, headers=staff).status_code == 422
    assert client.get("/v1/search", params={"limit": 10_000}, headers=staff).status_code == 422
    r = client.post("/v1/similar", json={"text": "学校门口接送车辆太多太堵", "k": 3}, headers=staff)
    assert len(r.json()["items"]) == 3


def test_bad_input_gets_a_reason(client, keys):
    staff = keys[Role.staff]
    r = client.post("/v1/route", json={"text": ""}, headers=staff)
    assert r.status_code == 422 and "text" in r.json()["detail"]
    r = client.post("/v1/route", json={"text": "   "}, headers=staff)
    assert r.status_code == 422 and "empty" in r.json()["detail"]
    r = client.post("/v1/route", content=b"x" * 3_000_000, headers={**staff, "content-type": "application/json"})
    assert r.status_code == 413
    assert client.get("/v1/suggestions/999999", headers=staff).status_code == 404


def test_key_management(client, keys):
    admin = keys[Role.admin]
    r = client.post("/v1/keys", json={"name": "platform", "role": "submitter"}, headers=admin)
    new = {"X-API-Key": r.json()["key"]}
    assert client.get("/v1/suggestions", headers=new).status_code == 200
    assert client.delete("/v1/keys/platform", headers=admin).status_code == 204
    assert client.get("/v1/suggestions", headers=new).status_code == 401


def test_no_personal_data_in_logs(client, keys, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    client.post("/v1/suggestions", json={"body": "请回电13812345678，身份证430624199204167326"},
                headers=keys[Role.staff])
    client.get("/v1/search", params={"q": "13812345678"}, headers=keys[Role.staff])
    # Everything the server side logged (the test client's own httpx log lines are not the service's).
    text = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert "POST /v1/suggestions 201" in text
    assert "13812345678" not in text and "430624199204167326" not in text


def test_megabyte_texts_are_refused_with_a_reason(client, keys):
    staff = keys[Role.staff]
    big = "路" * 1_000_000
    r = client.post("/v1/route", json={"text": big}, headers=staff)
    assert r.status_code in (413, 422) and r.json()["detail"]
    r = client.post("/v1/route", json={"text": "路" * 150_000 + " " * 100_000}, headers=staff)
    assert r.status_code == 422 and "at most 200000" in r.json()["detail"]


def test_metrics_are_prometheus_text_with_route_templates(client, keys):
    client.get("/v1/suggestions/999999", headers=keys[Role.staff])
    assert client.get("/metrics", headers=keys[Role.submitter]).status_code == 403
    r = client.get("/metrics", headers=keys[Role.staff])
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    lines = r.text.splitlines()
    assert "# TYPE nlp_http_requests_total counter" in lines
    assert any(x.startswith('nlp_http_requests_total{method="GET",route="/v1/suggestions/{sid}",status="404"}')
               for x in lines)
    # ids never become labels (a sample's value, e.g. a duration of 0.0999999 s, may hold the digits)
    assert not any("999999" in x.split("}")[0] for x in lines if "{" in x)
    assert any(x.startswith("nlp_http_request_seconds_bucket{") for x in lines)
