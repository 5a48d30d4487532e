from conftest import SEEDS, needs_shared
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp_service.text.normalize import normalize, strip_pinyin_notes


def test_html_entities_scripts_and_fragments_go():
    raw = "<div><script>var a=1;</script><style>p{}</style><p>统战&amp;工作&nbsp;好</p>?/p> 结束</p"
    assert normalize(raw) == "统战&工作 好\n结束"


def test_double_escaped_entities_are_unescaped():
    assert normalize("A&amp;lt;p&amp;gt;B") == "AB"


def test_traditional_to_simplified():
    assert normalize("新的社會階層人士統戰工作") == "新的社会阶层人士统战工作"


def test_pinyin_annotations_go_but_english_in_brackets_stays():
    assert normalize("統(tǒng)戰(zhàn)") == "统战"
    assert strip_pinyin_notes("下载(app)后") == "下载(app)后"
    assert normalize("鎮（zhèn）") == "镇"


def test_width_whitespace_and_replacement_chars():
    assert normalize("ＡＢＣ　１２３\ufffd\u200b") == "ABC 123"
    assert normalize("你好，世界！") == "你好，世界！"  # Chinese punctuation stays full-width
    assert normalize("  a \t b \n\n\n c  ") == "a b\nc"


@needs_shared(SEEDS)
def test_pinyin_page_is_fully_cleaned():
    raw = (SEEDS / "000_19441f5b4106aed0.txt").read_text(encoding="utf-8")
    out = normalize(raw)
    assert "(tǒng)" not in out and "zhàn" not in out
    assert "统战工作" in out and "新的社会阶层人士" in out
    assert "?/p>" not in out


texts = st.text(alphabet=st.sampled_from(list("統戰新的社會<>/p&;amp#x20 \n\t()（）tǒngzhàn，。ＡＢ１\ufffd中文abc=?!")),
                max_size=80)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_idempotent(s):
    once = normalize(s)
    assert normalize(once) == once


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_idempotent_on_any_unicode(s):
    once = normalize(s)
    assert normalize(once) == once
