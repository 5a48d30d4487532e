"""Batch topic reports: the figures add up to their ids, every format renders, the API job runs to the end,
Chinese shows in the charts, and a bad period is refused with a clear message."""

import io
import json
import shutil
import subprocess
import sys
import zipfile
from datetime import date

import pytest
from conftest import ROOT

from nlp_service.errors import BadInputError, FontMissingError, JobNotReadyError, NotFoundError
from nlp_service.reports.data import STAGES, build_report
from nlp_service.reports.period import Period, make_period

SINCE, UNTIL = "2024-01-01", "2024-12-31"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def report_and_calls(service):
    """One report for 2024; duplicates at a lower threshold so the fake encoder yields some groups."""
    calls = []
    real = service.issues.duplicate_groups
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(service.issues, "duplicate_groups", lambda threshold=None: real(0.8))
        report = build_report(service.db, service.pipeline.taxonomy, service.issues, SINCE, UNTIL,
                              lambda stage, f: calls.append((stage, f)))
    return json.loads(json.dumps(report)), calls  # exactly what the JSON format holds


@pytest.fixture(scope="module")
def report(report_and_calls):
    return report_and_calls[0]


def _walk(node, path="$"):
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            yield from _walk(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, f"{path}[{i}]")


def test_progress_and_timings(report_and_calls):
    report, calls = report_and_calls
    assert [s for s, _ in calls] == list(STAGES)
    fractions = [f for _, f in calls]
    assert fractions == sorted(fractions) and fractions[0] >= 0 and fractions[-1] < 1
    assert set(report["timings"]) == {*STAGES, "total"}
    assert all(v >= 0 for v in report["timings"].values())


def test_every_id_list_adds_up_to_its_count(report):
    checked = 0
    for path, d in _walk(report):
        for key, ids in d.items():
            if not (key == "ids" or key.endswith("_ids")) or not isinstance(ids, list):
                continue
            count_key = "count" if key == "ids" else key[:-3] + "count"
            if count_key in d:
                assert len(ids) == d[count_key], f"{path}.{key}"
                assert len(set(ids)) == len(ids) and ids == sorted(ids), f"{path}.{key}"
                checked += 1
    assert checked > 100


def test_ids_are_the_items_of_the_period(report, service):
    from sqlalchemy import select

    from nlp_service.storage.models import Suggestion

    with service.db.session() as s:
        expected = sorted(s.scalars(select(Suggestion.id).where(
            Suggestion.submitted >= date(2024, 1, 1), Suggestion.submitted <= date(2024, 12, 31))))
    assert report["volume"]["ids"] == expected and report["volume"]["count"] > 50
    assert [x["id"] for x in report["items"]] == expected
    assert sorted(i for m in report["volume"]["series"] for i in m["ids"]) == expected
    assert [m["key"] for m in report["volume"]["series"]] == [f"2024-{m:02d}" for m in range(1, 13)]
    for key in ("topics", "departments", "channels"):
        assert sorted(i for g in report[key]["groups"] for i in g["ids"]) == expected, key
        assert all(g["name"] for g in report[key]["groups"])
    inside = set(expected)
    for c in report["clusters"]["clusters"]:
        assert set(c["ids"]) <= inside and c["size"] == c["count"]
        assert sum(m["count"] for m in c["trend"]["series"]) == c["count"]
        assert c["trend"]["direction"] in ("rising", "falling", "steady")
    heats = [c["heat"] for c in report["clusters"]["clusters"]]
    assert heats == sorted(heats, reverse=True)


def test_adoption_figures_partition_their_groups(report):
    states = ("adopted", "partly_adopted", "reference", "not_adopted", "open", "merged")
    for by in ("cluster", "topic", "department", "channel"):
        section = report["adoption"][by]
        assert sum(g["n"] for g in section["groups"]) == section["total"]["n"] == report["volume"]["count"]
        for g in [section["total"], *section["groups"]]:
            assert sum(g[s] for s in states) == g["n"]
            for s in (*states, "decided", "implemented"):
                assert len(g["ids"][s]) == g[s]
            assert g["name"] if g is not section["total"] else True


def test_reply_times_and_news(report):
    rt = report["reply_times"]
    assert rt["count"] + rt["not_replied"]["count"] + rt["replied_before_submitted"]["count"] == report["volume"][
        "count"]
    assert sum(g["count"] for g in rt["by_department"]) == rt["count"]
    days = sorted(rt["days"].values())
    assert rt["median_days"] <= rt["p90_days"] and days[0] >= 0 and len(days) == rt["count"]
    news = report["news"]
    assert news["count"] > 0 and set(news["ids"]) <= set(report["volume"]["ids"])
    assert sorted({i for a in news["articles"] for i in a["suggestion_ids"]}) == news["ids"]


def test_emerging_compares_with_the_previous_period(report):
    e = report["emerging"]
    assert e["previous_period"] == {"since": "2023-01-01", "until": "2023-12-31", "days": 365}
    assert e["previous_total"] > 0
    for x in e["items"]:
        assert x["count"] >= 3 and x["share"] >= 1.5 * x["previous_share"]


def test_hot_issues_are_events_of_the_period_with_their_ids(report):
    h = report["hot_issues"]
    assert h["events"], "the corpus's marked duplicate groups should give some events"
    period = set(report["volume"]["ids"])
    heats = [e["heat"] for e in h["events"]]
    assert heats == sorted(heats, reverse=True)
    for e in h["events"]:
        assert e["count"] >= 2 and set(e["ids"]) <= period and e["min_probability"] >= 0.5
    assert h["count"] == len({i for e in h["events"] for i in e["ids"]})


def test_duplicate_groups_are_restricted_to_the_period(report):
    d = report["duplicates"]
    assert d["groups_count"] == len(d["groups"]) > 0
    for g in d["groups"]:
        assert set(g["ids"]) <= set(g["all_ids"]) and set(g["ids"]) <= set(report["volume"]["ids"])


@pytest.mark.parametrize("fmt", ["html", "xlsx", "json", "md"])
def test_every_format_renders(service, tmp_path, fmt):
    seen = []
    path = service.reports.build(SINCE, UNTIL, fmt, tmp_path / f"r.{fmt}", lambda s, f: seen.append((s, f)))
    assert path.is_file() and path.stat().st_size > 1000
    assert seen[-1] == ("done", 1.0) and ("render", 0.9) in seen
    assert not list(tmp_path.glob(".*.part"))
    if fmt == "json":
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data["period"]["since"] == SINCE and data["volume"]["count"] > 0
    if fmt == "md":
        text = path.read_text(encoding="utf-8")
        assert text.startswith("# 建言献策与群众留言分析报告") and "## 4. 议题聚类" in text and "## 6. 热点问题" in text and "| 建议编号 |" in text


def test_html_is_self_contained_with_chinese_titles(service, tmp_path):
    from plotly.offline import get_plotlyjs

    html = service.reports.build(SINCE, UNTIL, "html", tmp_path / "r.html").read_text(encoding="utf-8")
    lib = get_plotlyjs()
    assert html.count(lib) == 1  # the library, inlined once
    page = html.replace(lib, "")
    assert "<script src" not in page and "<link" not in page and "http" not in page
    assert "<html lang='zh-CN'>" in html
    for title in ("建言献策与群众留言分析报告", "数量趋势", "主题分布", "议题聚类", "热点问题", "新兴问题", "采纳与落实",
                  "答复时效", "新闻报道", "中各数字对应的建议编号"):
        assert title in html, title
    assert html.count("class='plotly-graph-div'") + html.count('class="plotly-graph-div"') >= 10


def test_html_escapes_item_text(report, tmp_path):
    from nlp_service.reports.html import render_html

    evil = json.loads(json.dumps(report))
    evil["clusters"]["clusters"][0]["label"] = "<script>alert(1)</script>"
    text = render_html(evil, tmp_path / "e.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_xlsx_opens_with_sheets_ids_and_png_charts(service, tmp_path):
    import openpyxl

    path = service.reports.build(SINCE, UNTIL, "xlsx", tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(path)
    names = wb.sheetnames
    assert names[0] == "1.概览" and "4.议题聚类" in names and "6.热点问题" in names and "8.采纳与落实" in names
    assert sum(len(ws._images) for ws in wb.worksheets) >= 10
    assert len(wb["2.数量趋势"]._images) == 1
    with zipfile.ZipFile(path) as z:
        pngs = [n for n in z.namelist() if n.startswith("xl/media/") and n.endswith(".png")]
        assert len(pngs) >= 10 and z.read(pngs[0])[:8] == b"\x89PNG\r\n\x1a\n"
    ws = wb["1.概览"]
    assert ws.cell(5, 1).value == "主要数字"
    assert [c.value for c in ws[6]][:3] == ["指标", "数值", "建议编号"]
    assert ws.cell(7, 1).value == "建议总数"
    ids = [int(x) for x in str(ws.cell(7, 3).value).split(", ")]
    assert len(ids) == ws.cell(7, 2).value > 50


def test_long_id_lists_continue_in_the_next_cell():
    from nlp_service.reports.xlsx import CELL_LIMIT, _id_cells

    ids = list(range(100_000, 120_000))
    cells = _id_cells(ids)
    assert len(cells) > 1 and all(len(c) <= CELL_LIMIT for c in cells)
    assert [int(x) for c in cells for x in c.split(", ")] == ids


def test_chart_png_draws_chinese_with_a_cjk_font(report):
    from PIL import Image

    from nlp_service.reports.charts import report_charts
    from nlp_service.reports.fonts import cjk_font
    from nlp_service.reports.xlsx import chart_png

    assert "CJK" in cjk_font() or "Hei" in cjk_font() or "Han" in cjk_font()
    png = chart_png(report_charts(report)[1])
    img = Image.open(io.BytesIO(png))
    assert img.format == "PNG" and img.size[0] > 500


def test_missing_cjk_font_is_a_clear_error(monkeypatch):
    from matplotlib import font_manager

    from nlp_service.reports import fonts

    fonts.cjk_font.cache_clear()
    monkeypatch.setattr(font_manager.fontManager, "ttflist", [])
    try:
        with pytest.raises(FontMissingError, match="fonts-noto-cjk"):
            fonts.cjk_font()
    finally:
        monkeypatch.undo()
        fonts.cjk_font.cache_clear()


def test_bad_period_and_format_are_refused(service, tmp_path):
    with pytest.raises(BadInputError, match="since 2024-12-31 is after until 2024-01-01"):
        service.reports.build("2024-12-31", "2024-01-01", "html", tmp_path / "x.html")
    with pytest.raises(BadInputError, match="not a date"):
        service.reports.build("last year", "2024-01-01", "html", tmp_path / "x.html")
    with pytest.raises(BadInputError, match="period: until missing"):
        make_period("2024-01-01", None)
    with pytest.raises(BadInputError, match="unknown report format 'pdf'"):
        service.reports.build(SINCE, UNTIL, "pdf", tmp_path / "x.pdf")
    assert not list(tmp_path.iterdir())


def test_cli_refuses_a_bad_period_clearly(tmp_path):
    r = subprocess.run([sys.executable, "-m", "nlp_service.cli", "report", "--since", "2024-05-01", "--until",
                        "2024-04-01", "--out", str(tmp_path / "r.html")], capture_output=True, cwd=ROOT,
                       timeout=120, env={"NLP_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"})
    assert r.returncode == 2
    assert "since 2024-05-01 is after until 2024-04-01" in r.stderr.decode()
    assert not (tmp_path / "r.html").exists()


def test_cli_writes_the_report(service, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from nlp_service import cli
    from nlp_service.cli import data

    monkeypatch.setattr(data, "make_service", lambda: service)
    out = tmp_path / "r.md"
    r = CliRunner().invoke(cli.app, ["report", "--since", SINCE, "--until", UNTIL, "--format", "md", "--out",
                                     str(out)])
    assert r.exit_code == 0, r.output
    line = json.loads(r.stdout.strip().splitlines()[-1])
    assert line["path"] == str(out) and line["bytes"] == out.stat().st_size


def test_period_helpers():
    p = Period(date(2024, 3, 1), date(2024, 5, 31))
    assert p.days == 92 and p.previous() == Period(date(2023, 12, 1), date(2024, 2, 29))  # whole months
    assert Period(date(2024, 1, 1), date(2024, 12, 31)).previous() == Period(date(2023, 1, 1), date(2023, 12, 31))
    assert Period(date(2024, 3, 5), date(2024, 3, 14)).previous() == Period(date(2024, 2, 24), date(2024, 3, 4))
    assert Period(date(2024, 1, 1), date(2024, 1, 31)).previous() == Period(date(2023, 12, 1), date(2023, 12, 31))
    assert p.months() == ["2024-03", "2024-04", "2024-05"]
    assert date(2024, 5, 31) in p and date(2024, 6, 1) not in p


# --- the API job -------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def client(service):
    from fastapi.testclient import TestClient

    from nlp_service.api.app import create_app

    return TestClient(create_app(service))


@pytest.fixture(scope="module")
def staff(service):
    from nlp_service.access.keys import create_key
    from nlp_service.access.roles import Role

    return {"X-API-Key": create_key(service.db, "reports-test-staff", Role.staff)}


def test_api_job_runs_to_completion_and_returns_the_file(client, staff, service):
    r = client.post("/v1/reports", json={"since": SINCE, "until": UNTIL, "format": "json"}, headers=staff)
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    first = client.get(f"/v1/reports/{job_id}", headers=staff).json()
    assert first["status"] in ("queued", "running", "done") and 0 <= first["progress"] <= 1
    service.reports.registry.wait(job_id, timeout=120)
    status = client.get(f"/v1/reports/{job_id}", headers=staff).json()
    assert status["status"] == "done", status
    assert status["progress"] == 1.0 and status["stage"] == "done"
    assert status["file_url"] == f"/v1/reports/{job_id}/file"
    f = client.get(status["file_url"], headers=staff)
    assert f.status_code == 200 and f.headers["content-type"].startswith("application/json")
    assert "attachment" in f.headers["content-disposition"]
    assert f.json()["period"] == {"since": SINCE, "until": UNTIL, "days": 366}


def test_api_refuses_bad_requests(client, staff, service):
    from nlp_service.access.keys import create_key
    from nlp_service.access.roles import Role

    r = client.post("/v1/reports", json={"since": "2024-06-01", "until": "2024-01-01"}, headers=staff)
    assert r.status_code == 422 and "is after until" in r.json()["detail"]
    r = client.post("/v1/reports", json={"since": SINCE, "until": UNTIL, "format": "pdf"}, headers=staff)
    assert r.status_code == 422
    assert client.get("/v1/reports/no-such-job", headers=staff).status_code == 404
    assert client.get("/v1/reports/no-such-job/file", headers=staff).status_code == 404
    sub = {"X-API-Key": create_key(service.db, "reports-test-submitter", Role.submitter)}
    assert client.post("/v1/reports", json={"since": SINCE, "until": UNTIL}, headers=sub).status_code == 403


def test_a_failed_or_unfinished_job_has_no_file(tmp_path):
    import threading

    from nlp_service.services.jobs import JobRegistry

    reg = JobRegistry()
    gate = threading.Event()

    def slow(progress):
        progress("waiting", 0.5)
        gate.wait(10)
        raise BadInputError("nothing to report")

    job = reg.start("report", slow, {}, "tester")
    with pytest.raises(NotFoundError):
        reg.get("other")
    assert reg.get(job.id).status in ("queued", "running")
    gate.set()
    done = reg.wait(job.id, timeout=10)
    assert done.status == "failed" and "nothing to report" in done.error and done.path is None

    from nlp_service.services.reports import ReportService

    rj = ReportService(None, lambda: None, None, tmp_path, reg)
    with pytest.raises(JobNotReadyError, match="nothing to report"):
        rj.file(job.id)


# --- Chinese in a real browser -----------------------------------------------------------------------------
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is absent (apt-get install chromium)")
def test_html_renders_in_headless_chromium(service, tmp_path):
    from PIL import Image

    page = service.reports.build(SINCE, UNTIL, "html", tmp_path / "r.html")
    shot = tmp_path / "shot.png"
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--window-size=1200,2400", "--virtual-time-budget=10000", f"--screenshot={shot}",
                    page.as_uri()], capture_output=True, timeout=180, check=True)
    img = Image.open(shot).convert("RGB")
    assert img.size == (1200, 2400)
    colours = img.resize((120, 240)).getcolors(maxcolors=100_000)
    assert colours is not None and len(colours) > 50  # text and drawn charts, not a blank page
