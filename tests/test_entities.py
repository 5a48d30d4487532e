import pytest


@pytest.fixture(scope="module")
def extractor(pipeline):
    return pipeline.entity_extractor


def test_department_aliases_resolve_to_one_unit(extractor):
    ents = extractor.extract("市交运委答复说，交通运输局将会同交警支队处理")
    gov = [(e.text, e.id) for e in ents if e.label == "GOV"]
    assert ("市交运委", "jtj") in gov and ("交通运输局", "jtj") in gov and ("交警支队", "jjzd") in gov


def test_places_and_organisations(extractor):
    ents = extractor.extract("临江区滨江街道新联会和知联会联合开展活动")
    labels = {(e.text, e.label) for e in ents}
    assert ("临江区", "GPE") in labels and ("滨江街道", "GPE") in labels
    assert ("新联会", "ORG") in labels and ("知联会", "ORG") in labels


def test_suggestion_figures(extractor):
    text = "建言献策近400条，有200余条已落实，有近百条建设性意见写入镇村五年发展规划"
    ents = [e for e in extractor.extract(text) if e.label == "FIGURE"]
    assert [e.text for e in ents] == ["近400条", "200余条", "近百条"]


def test_figure_values():
    from nlp_service.text.figures import extract_figures

    figs = {f.kind: (f.value, f.qualifier) for f in
            extract_figures("建言献策近400条，有200余条已落实，有近百条建设性意见写入镇村五年发展规划。办结率98.6%")}
    assert figs == {"submitted": (400, "nearly"), "implemented": (200, "more_than"),
                    "written_into_plan": (100, "nearly"), "rate:办结率": (98.6, "exact")}


def test_offsets_point_into_the_clean_text(pipeline):
    text = "请市住建局  关注老旧小区改造"
    clean = pipeline.clean(text)
    for e in pipeline.entities(text):
        assert clean[e.start:e.end] == e.text
