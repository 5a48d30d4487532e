"""Routing on the embedded corpus: topic + department with evidence, review queue, corrections."""

from contextlib import contextmanager

import pytest

from nlp_service.access.roles import Principal, Role
from nlp_service.domain.records import SuggestionIn
from nlp_service.errors import BadInputError, NotFoundError

STAFF = Principal("wang", Role.staff)


def test_router_manifest_has_held_out_metrics(service):
    from nlp_service.classify.artifact import read_manifest

    m = read_manifest(service.settings.routing_model_dir)
    assert m["kind"] == "routing"
    assert 0.4 < m["metrics"]["topic"]["macro_f1"] <= 1
    assert set(m["review_thresholds"]) == {"topic", "department"}
    assert all(0 < t <= 1 for t in m["review_thresholds"].values())
    review = m["metrics"]["review"]
    assert review["thresholds"] == m["review_thresholds"]
    for part in ("topic", "department", "both"):
        assert 0 <= review[part]["coverage"] <= 1
    assert review["both"]["coverage"] <= min(review["topic"]["coverage"], review["department"]["coverage"])
    assert set(review["coverage_curve"]) == {"topic", "department", "joint"}
    assert m["training"]["rows"] >= 1000


def test_route_names_department_with_reasons(service):
    r = service.routing.route("学校门口的小卖部卖三无辣条，希望市场监管局来查一查")
    assert r["department"]["id"] == "scjgj"
    assert r["department"]["reason"]["named_in_text"] == "市场监管局"
    assert len(r["departments"]) == 3
    probs = [d["probability"] for d in r["departments"]]
    assert probs == sorted(probs, reverse=True) and sum(probs) <= 1.0001
    assert r["topic"]["id"] in service.pipeline.taxonomy.topic_by_id
    assert r["topic"]["reason"]["words"]


def test_alias_and_full_name_give_the_same_unit(service):
    a = service.routing.route("市交运委应该增加公交班次")["departments"]
    b = service.routing.route("交通运输局应该增加公交班次")["departments"]
    assert a[0]["id"] == b[0]["id"] == "jtj"


def test_responsibility_line_is_evidence(service):
    r = service.routing.route("小区二次供水水箱好久没清洗了，水压也不足，经常停水")
    ids = [d["id"] for d in r["departments"]]
    assert "swj" in ids
    assert any("responsibility" in d["reason"] for d in r["departments"])


@contextmanager
def threshold(service, value):
    service.settings.review_threshold = value
    service.__dict__.pop("router", None)
    try:
        yield
    finally:
        service.settings.review_threshold = None
        service.__dict__.pop("router", None)


def test_submit_review_correct_and_live_accuracy(service):
    with threshold(service, 0.0):  # confident enough for anything: routed straight away
        out = service.suggestions.submit(SuggestionIn(title="建议", body="希望多开几条公交线路到高新区，上班太难了"), STAFF)
    sid = out["id"]
    assert out["routing"]["model_version"].startswith("routing@") and not out["routing"]["needs_review"]
    with threshold(service, 1.01):  # never confident enough: waits for a person
        queued = service.suggestions.submit(SuggestionIn(body="那个事情一直没人管，麻烦看看"), STAFF)["id"]
    queue = service.routing.review_queue()
    assert queued in [i["id"] for i in queue["items"]] and sid not in [i["id"] for i in queue["items"]]
    service.routing.correct(queued, STAFF, topic="city_management", department="cgj")
    assert queued not in [i["id"] for i in service.routing.review_queue()["items"]]
    service.routing.accept(sid, STAFF)
    acc = service.routing.live_accuracy()
    assert acc["topic"]["reviewed"] >= 2 and 0 <= acc["topic"]["accuracy"] <= 1
    got = service.suggestions.get(queued, STAFF)
    assert (got["topic"], got["department"]) == ("city_management", "cgj")
    with pytest.raises(BadInputError):
        service.routing.correct(queued, STAFF, topic="no_such_topic")


def test_corrections_are_used_in_retraining(service):
    from nlp_service.routing.training import labelled_items

    sid = service.suggestions.submit(SuggestionIn(body="路灯坏了好几天"), STAFF)["id"]
    service.routing.correct(sid, STAFF, topic="public_safety", department="yjj")
    items = {i[0]: i for i in labelled_items(service.db)}
    assert items[sid][2:4] == ("public_safety", "yjj")


def test_submitter_sees_only_own_items_and_no_personal_data_of_others(service):
    alice, bob = Principal("alice", Role.submitter), Principal("bob", Role.submitter)
    sid = service.suggestions.submit(SuggestionIn(body="我的电话13912345678，楼下烧烤油烟太大"), alice)["id"]
    assert "13912345678" in service.suggestions.get(sid, alice)["body"]
    with pytest.raises(NotFoundError):
        service.suggestions.get(sid, bob)
    assert "13912345678" not in service.suggestions.get(sid, STAFF)["body"]
    assert "13912345678" in service.suggestions.get(sid, Principal("root", Role.admin))["body"]


def test_retraining_reports_old_and_new_and_refuses_a_worse_model(service, monkeypatch):
    """The retrained model is measured beside the one in service on the same held-out items; a model that
    routes worse (here: one that learnt from scrambled labels) is refused and the old artifact stays."""
    from nlp_service.errors import RetrainRefusedError
    from nlp_service.routing import training

    logs: list[str] = []
    manifest = service.routing.train(log=logs.append)
    assert "previous_model" in manifest["metrics"] and any("previous model" in m for m in logs)
    assert manifest["split"]["held_out"] > 50 and manifest["metrics"]["review"]["coverage_curve"]
    before = (service.settings.routing_model_dir / "manifest.json").read_text()
    real = training.labelled_items

    def scrambled(db):
        items = real(db)
        topics = [items[(n + 1) % len(items)][2] for n in range(len(items))]
        return [(i, t, topic, *rest) for (i, t, _, *rest), topic in zip(items, topics, strict=True)]

    monkeypatch.setattr(training, "labelled_items", scrambled)
    with pytest.raises(RetrainRefusedError, match="worse on the same"):
        service.routing.train(log=logs.append)
    assert (service.settings.routing_model_dir / "manifest.json").read_text() == before


def test_a_sure_department_is_sent_while_an_unsure_topic_waits(service, monkeypatch):
    monkeypatch.setattr(service.router, "thresholds", {"topic": 1.01, "department": 0.0})
    out = service.suggestions.submit(SuggestionIn(body="学校门口的小卖部卖三无辣条，希望市场监管局来查一查"), STAFF)
    r = out["routing"]
    assert r["review"] == {"topic": True, "department": False} and r["needs_review"]
    stored = service.suggestions.get(out["id"])
    assert stored["department"] == r["department"]["id"] and stored["topic"] is None
    assert out["id"] in [i["id"] for i in service.routing.review_queue(limit=500)["items"]]


def test_routing_quality_names_thresholds_and_live_accuracy(service):
    q = service.routing.quality()
    assert q["thresholds"] == service.router.thresholds
    assert q["held_out"]["items"] > 50 and 0 <= q["held_out"]["department"]["coverage"] <= 1
    assert len(q["coverage_curve"]["department"]) == 20
    assert set(q["live"]) == {"topic", "department"}


def test_the_district_named_decides_which_district_government(service):
    from nlp_service.routing.evidence import DepartmentEvidence
    from nlp_service.routing.router import DISTRICT, expand_district

    signals = service.router.signals
    assert signals.district("桃源镇桃溪村的文化广场堆满了建材") == "西山区"
    assert signals.district("路灯坏了", place="青溪县白沙镇") == "青溪县"
    assert signals.district("临江区和东湖区交界的路口") is None  # two districts: a cross-district matter
    units = ("gov_lj", "gov_xs")
    named = DepartmentEvidence({}, {}, {}, "西山区", "gov_xs")
    assert expand_district({DISTRICT: 0.6, "cgj": 0.4}, named, units) == {"cgj": 0.4, "gov_lj": 0.0, "gov_xs": 0.6}
    unnamed = DepartmentEvidence({}, {}, {})
    assert expand_district({DISTRICT: 0.6, "cgj": 0.4}, unnamed, units) == {"cgj": 0.4, "gov_lj": 0.3, "gov_xs": 0.3}


def test_a_district_matter_goes_to_that_districts_government(service):
    r = service.routing.route("村里的文化广场被一户人家建房堆满了砖头沙子，一个多月了，广场舞都跳不了，请镇里和区里管一管",
                              place="西山区桃源镇")
    govs = [d for d in r["departments"] if d["id"].startswith("gov_")]
    assert govs and all(d["id"] == "gov_xs" for d in govs)
    assert govs[0]["reason"]["district"] == "西山区"
