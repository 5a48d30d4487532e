"""News desk: ingest a real seed page, classify, extract figures, link to suggestions, confirm."""

from conftest import SEEDS, needs_shared

from nlp_service.access.roles import Principal, Role
from nlp_service.domain.records import SuggestionIn

STAFF = Principal("zhao", Role.staff)


@needs_shared(SEEDS)
def test_ingest_seed_page_with_figures(service):
    raw = (SEEDS / "002_cb0f821f9cdfda49.txt").read_text(encoding="utf-8")
    out = service.news.ingest(raw, STAFF)
    assert out["title"] == "“3+4+N”,激发海安新阶层新动力" and out["published"] == "2019-06-04"
    kinds = {(f["kind"], f["value"]) for f in out["figures"]}
    assert {("submitted", 400.0), ("implemented", 200.0), ("written_into_plan", 100.0)} <= kinds
    assert out["topic"]["id"] in service.pipeline.taxonomy.topic_by_id and out["keywords"]


def test_outcome_news_links_to_its_suggestion_and_can_be_confirmed(service):
    sid = service.suggestions.submit(SuggestionIn(title="建议在柳河镇卫生院增设夜间急诊",
                                      body="柳河镇卫生院晚上没有急诊，村民夜里看病要跑四十公里到县城，建议增设夜间急诊。",
                                      submitted="2023-03-01"), STAFF)["id"]
    page = ("柳河镇卫生院夜间急诊正式开诊\n发布时间:2024-01-10 来源:江川日报\n"
            "去年有群众通过12345热线建议柳河镇卫生院增设夜间急诊。市卫健委采纳建议，柳河镇卫生院夜间急诊近日正式开诊，"
            "村民夜里看病再也不用跑四十公里到县城。")
    service.news.threshold = 0.5  # the test's hashing encoder spreads cosines wider than e5 does
    out = service.news.ingest(page, STAFF)
    assert out["links"] and out["links"][0]["suggestion_id"] == sid
    assert out["links"][0]["evidence"]["outcome_words"] is True
    ev = service.news.evidence(sid)
    assert ev and ev[0]["news_id"] == out["id"] and ev[0]["confirmed"] is None
    assert service.news.confirm(ev[0]["link_id"], True, STAFF)["confirmed"] is True


SEED_FIGURES = {
    "000_19441f5b4106aed0.txt": set(),
    "001_1b4a96568180a86c.txt": set(),
    "002_cb0f821f9cdfda49.txt": {("submitted", 400.0, "nearly"), ("implemented", 200.0, "more_than"),
                                 ("written_into_plan", 100.0, "nearly")},
    "003_7319886ea51dcb29.txt": set(),  # "15个城市", "5个方面": counts, but not of suggestions
    "004_a56f45a86e3ebe9f.txt": {("written_into_plan", 5.0, "exact"), ("adopted", 12.0, "exact")},
}


@needs_shared(SEEDS)
def test_figures_on_every_seed_page():
    from nlp_service.news.page import extract_news
    from nlp_service.text.figures import extract_figures

    for name, want in SEED_FIGURES.items():
        body = extract_news((SEEDS / name).read_text(encoding="utf-8")).body
        assert {(f.kind, f.value, f.qualifier) for f in extract_figures(body)} == want, name
