import jieba

from nlp_service.text.segment import Entry, Segmenter


def test_domain_terms_are_single_tokens(segmenter):
    toks = segmenter.tokens("新的社会阶层人士积极建言献策，新联会推动实践创新基地建设，市交运委回复")
    for term in ("新的社会阶层人士", "建言献策", "新联会", "实践创新基地", "市交运委"):
        assert term in toks


def test_stopwords_and_punctuation_are_dropped(segmenter):
    toks = segmenter.tokens("您好，我们希望尽快解决这个问题！！")
    assert "您好" not in toks and "，" not in toks and "！" not in toks
    assert "解决" in toks


def test_no_global_state_leaks():
    Segmenter([Entry("某某特别词组", 100000)])
    assert "某某特别词组" not in jieba.lcut("某某特别词组")  # jieba's global tokenizer is untouched


def test_fast_engine_agrees_with_jieba(segmenter):
    samples = ["A市西湖建筑集团占道施工有安全隐患", "GB8702-88标准和LIST-PUB接口，版本1.0.4",
               "位于书院路主干道的在水一方大厦一楼至四楼人为拆除水、电等设施后，烂尾多年",
               "请问www.baidu.com上说的12345热线电话怎么打？", "市交运委和交通运输局回复了"]
    for s in samples:
        assert segmenter.cut(s) == segmenter.reference_cut(s), s


def test_reference_only_mode():
    seg = Segmenter([Entry("新联会", 100000)], fast=False)
    assert seg.cut("新联会") == ["新联会"]
