"""Search, similar and merge through the service, with the embedded corpus."""

from datetime import date

from nlp_service.access.roles import Principal, Role
from nlp_service.domain.records import SuggestionIn
from nlp_service.search.hybrid import SearchRequest, highlight, rrf
from nlp_service.storage.repository import SuggestionFilter

STAFF = Principal("li", Role.staff)


def test_rrf_prefers_items_both_lists_agree_on():
    fused = [i for i, _ in rrf([[1, 2, 3], [3, 2, 4]])]
    assert fused[:2] == [2, 3] or fused[:2] == [3, 2]


def test_highlight_escapes_and_marks():
    assert highlight("<b>地铁</b>过街", {"地铁"}) == "&lt;b&gt;<mark>地铁</mark>&lt;/b&gt;过街"


def test_keyword_semantic_and_hybrid_find_the_item(service):
    sid = service.suggestions.submit(SuggestionIn(title="建议在星河路口增设地铁过街通道", body="星河路口行人横穿马路很危险",
                                      submitted=date(2024, 5, 1), place="高新区创新街道"), STAFF)["id"]
    for mode in ("keyword", "semantic", "hybrid"):
        res = service.search.search(SearchRequest("星河路口地铁过街通道", mode=mode, limit=5), STAFF)
        assert sid in [r["id"] for r in res["results"]], mode
    res = service.search.search(SearchRequest("星河路口地铁过街通道", limit=5), STAFF)
    top = next(r for r in res["results"] if r["id"] == sid)
    assert "<mark>" in top["title_html"]


def test_filters_sort_and_pagination(service):
    flt = SuggestionFilter(since=date(2023, 1, 1), topic="transport")
    res = service.search.search(SearchRequest("公交", filters=flt, sort="newest", limit=5), STAFF)
    assert res["results"] and all(r["topic"] == "transport" and r["date"] >= "2023-01-01" for r in res["results"])
    dates = [r["date"] for r in res["results"]]
    assert dates == sorted(dates, reverse=True)
    page2 = service.search.search(SearchRequest("公交", filters=flt, sort="newest", offset=5, limit=5), STAFF)
    assert not {r["id"] for r in res["results"]} & {r["id"] for r in page2["results"]}


def test_more_like_this_and_news(service):
    first = service.search.search(SearchRequest("垃圾分类", limit=1), STAFF)["results"][0]
    like = service.search.search(SearchRequest(like_id=first["id"], limit=5), STAFF)
    assert like["results"] and first["id"] not in [r["id"] for r in like["results"]]
    news = service.search.search(SearchRequest("新联会", kind="news", limit=3), STAFF)
    assert news["results"] and news["results"][0]["kind"] == "news"


def test_similar_flags_duplicates_and_explains(service):
    text = "滨江公园篮球场晚上不开灯还要收费，希望免费开放到晚上十点"
    items = service.search.similar(text, k=5)
    assert len(items) == 5 and items[0]["score"] >= items[-1]["score"]
    assert {"shared_keywords"} <= set(items[0]["why"])
    out = service.suggestions.submit(SuggestionIn(body=text), STAFF)
    again = service.suggestions.submit(SuggestionIn(body=text + "。"), STAFF)
    assert out["id"] in again["duplicate_of"]


def test_merge_keeps_submitters_and_history(service):
    a = service.suggestions.submit(SuggestionIn(body="南屏华府小区电梯经常困人"), Principal("u1", Role.submitter))["id"]
    b = service.suggestions.submit(SuggestionIn(body="南屏华府电梯老是坏，困过好几次人"), Principal("u2", Role.submitter))["id"]
    primary = service.suggestions.merge(b, a, STAFF)
    assert primary["id"] == a and primary["merged"][0]["submitter"] == "u2"
    merged = service.suggestions.get(b, STAFF)
    assert merged["status"] == "merged" and merged["merged_into"] == a
    assert [h["status"] for h in merged["history"]][-1] == "merged"
