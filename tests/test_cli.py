"""The CLI as a user runs it: real processes, JSON on stdout, clear errors and exit codes."""

import json
import subprocess
import sys

import pytest
from conftest import ROOT


def run(*args, stdin=b""):
    return subprocess.run([sys.executable, "-m", "nlp_service.cli", *args], input=stdin, capture_output=True,
                          cwd=ROOT, timeout=120)


def test_clean_reads_stdin():
    r = run("clean", stdin="統(tǒng)戰(zhàn)<p>工作</p>".encode())
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["text"] == "统战工作"


def test_segment_and_entities_on_files(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("市交运委收到新联会建言献策近400条", encoding="utf-8")
    r = run("segment", str(f))
    assert "建言献策" in json.loads(r.stdout)["tokens"]
    r = run("entities", str(f))
    ents = json.loads(r.stdout)["entities"]
    assert {"text": "市交运委", "label": "GOV", "id": "jtj"}.items() <= ents[0].items()


def test_keywords():
    r = run("keywords", "-k", "3", stdin="老旧小区加装电梯，加装电梯补贴，电梯维保".encode())
    words = [k["word"] for k in json.loads(r.stdout)["keywords"]]
    assert "加装电梯" in words


@pytest.mark.parametrize("data,needle", [(b"", "empty input"), (b"   \n ", "empty input"),
                                         (b"\x00\x01\x02", "binary"), ("国家".encode("gbk"), "gb18030")])
def test_bad_input_is_refused_clearly(data, needle):
    r = run("clean", stdin=data)
    assert r.returncode == 2
    assert needle in r.stderr.decode()
    assert r.stdout == b""


def test_gbk_with_encoding_option():
    r = run("clean", "--encoding", "gb18030", stdin="國家".encode("gb18030"))
    assert json.loads(r.stdout)["text"] == "国家"


def test_missing_file():
    r = run("segment", "/no/such/file.txt")
    assert r.returncode == 2 and "no such file" in r.stderr.decode()
