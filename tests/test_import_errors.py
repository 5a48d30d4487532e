"""Bad files: every bad row is named (row, column, cell, reason) and none swallows its neighbours; nothing stored
changes in all_or_nothing, and only the good rows are added in good_rows. Round trips: export -> import ->
export gives the same rows and the same count in CSV, XLSX and JSONL, and re-importing updates, never copies."""

import csv
import json

import pytest
from openpyxl import Workbook, load_workbook

from nlp_service.access.roles import Role
from nlp_service.domain.records import StatusEventIn, SuggestionIn
from nlp_service.errors import BadInputError, ImportFailedError, RowError
from nlp_service.io.exporter import export_rows, suggestion_row
from nlp_service.io.importer import import_file
from nlp_service.io.tabular import read_rows
from nlp_service.storage import repository as repo
from nlp_service.storage.models import Suggestion

HEADER = "external_id,title,body,submitted,likes\n"
SEVEN = [f"r{i},标题{i},内容{i},2021-03-0{i},{i}" for i in range(2, 9)]  # data rows 2..8 (7 rows)


def seed(db):
    """Two stored items every test starts from, so 'nothing stored changed' means something."""
    with db.session() as s:
        repo.upsert_suggestions(s, [
            SuggestionIn(external_id="old-1", title="旧标题", body="旧内容，电话13912345678", likes=2,
                         topic="traffic", reply="已转交", status_history=[
                             StatusEventIn(status="received", date="2021-01-01"),
                             StatusEventIn(status="replied", date="2021-01-05", note="电话回访")]),
            SuggestionIn(title="没有编号的旧建议", body="路灯坏了", submitted="2021-02-02"),
        ])


def stored(db):
    """Everything stored about every item: fields, label sources, events (with notes), extra."""
    with db.session() as s:
        rows = repo.list_suggestions(s, limit=None, newest_first=False)
        return [{**{c.name: getattr(r, c.name) for c in Suggestion.__table__.columns if c.name != "updated_at"},
                 "events": [(e.status, e.date, e.note, e.actor) for e in r.events]} for r in rows]


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def where(report_or_error):
    errors = report_or_error.errors
    return [(e.row, e.column, getattr(e, "cell", None)) for e in errors]


def both_modes(db, path, **kw):
    """all_or_nothing: refused, nothing stored changed. good_rows: returns the report, old rows unchanged."""
    before = stored(db)
    with pytest.raises(ImportFailedError) as failed:
        import_file(db, path, mode="all_or_nothing", **kw)
    assert stored(db) == before
    report = import_file(db, path, mode="good_rows", **kw)
    after = stored(db)
    assert after[: len(before)] == before  # good_rows adds; what was stored is untouched
    assert len(after) == len(before) + report.inserted
    assert where(failed.value) == where(report)  # both modes name the same rows
    return report, failed.value, after[len(before):]


# ------------------------------------------------------------------------------------------------- CSV


def test_unclosed_quote_on_row_5_of_7_swallows_nothing(db, tmp_path):
    seed(db)
    rows = list(SEVEN)
    rows[3] = 'r5,"标题5,内容5,2021-03-05,5'  # row 5 (line 5): the quote never closes
    report, failed, new = both_modes(db, write(tmp_path / "a.csv", HEADER + "\n".join(rows) + "\n"))
    assert where(report) == [(5, "title", "B5")]
    reason = report.errors[0].reason
    assert "never closes" in reason and "line 5" in reason and "read again from line 6" in reason
    assert "row 5" in str(failed)
    assert report.rows == 7 and report.inserted == 6
    assert [r["external_id"] for r in new] == ["r2", "r3", "r4", "r6", "r7", "r8"]
    assert all("\n" not in r["title"] for r in new)


def test_quote_closed_by_a_later_quote_is_an_error_for_its_row_only(db, tmp_path):
    seed(db)
    rows = list(SEVEN)
    rows[2] = 'r4,"标题4,内容4,2021-03-04,4'  # opens on line 4 ...
    rows[4] = 'r6,"标题6",内容6,2021-03-06,6'  # ... and the quote of line 6 closes it, followed by text
    report, _, new = both_modes(db, write(tmp_path / "a.csv", HEADER + "\n".join(rows) + "\n"))
    assert where(report) == [(4, "title", "B4")]
    assert "does not close on that line" in report.errors[0].reason
    assert [r["external_id"] for r in new] == ["r2", "r3", "r5", "r6", "r7", "r8"]
    assert {r["title"] for r in new} >= {"标题6"}


def test_quote_closed_by_a_stray_quote_with_the_right_cell_count_is_caught(db, tmp_path):
    seed(db)
    rows = list(SEVEN)
    rows[1] = 'r3,"标题3,内容3,2021-03-03,3'  # opens here; line 4 is swallowed whole ...
    rows[3] = 'r5,标题5",内容5,2021-03-05,5'  # ... and a stray quote closes it with five cells in all
    report, _, new = both_modes(db, write(tmp_path / "a.csv", HEADER + "\n".join(rows) + "\n"))
    assert where(report) == [(3, "title", "B3")]
    assert "read as whole rows" in report.errors[0].reason
    assert [r["external_id"] for r in new] == ["r2", "r4", "r5", "r6", "r7", "r8"]


def test_line_breaks_inside_closed_quotes_are_fine(db, tmp_path):
    seed(db)
    f = write(tmp_path / "a.csv", HEADER + 'm1,标题,"第一段\n第二段, 还有逗号\n第三段",2021-01-01,1\nm2,t,b,,\n')
    report = import_file(db, f, mode="all_or_nothing")
    assert (report.inserted, report.errors) == (2, [])
    assert stored(db)[2]["body"] == "第一段\n第二段, 还有逗号\n第三段"


@pytest.mark.parametrize("line,cells,more", [("r9,t,b,2021-01-01,1,多出来", 6, "more"), ("r9,t,b", 3, "fewer")])
def test_wrong_cell_counts_name_the_row(db, tmp_path, line, cells, more):
    seed(db)
    rows = [*SEVEN[:2], line, *SEVEN[2:]]
    report, _, new = both_modes(db, write(tmp_path / "a.csv", HEADER + "\n".join(rows) + "\n"))
    assert where(report) == [(4, None, None)]
    assert f"{cells} cells, {more} than the header's 5 columns" in report.errors[0].reason
    assert len(new) == 7


def test_text_after_a_closing_quote(db, tmp_path):
    seed(db)
    rows = [*SEVEN[:2], 'r9,"他说"好"",b,,', *SEVEN[2:]]
    report, _, new = both_modes(db, write(tmp_path / "a.csv", HEADER + "\n".join(rows) + "\n"))
    assert where(report) == [(4, "title", "B4")]
    assert "must be doubled" in report.errors[0].reason
    assert len(new) == 7


def test_several_bad_rows_are_all_reported(db, tmp_path):
    seed(db)
    rows = list(SEVEN)
    rows[0] = "r2,t"  # fewer cells
    rows[2] = "r4,t,b,not a date,1"  # bad value
    rows[4] = "r6,t,b,2021-01-01,-1"  # negative count
    rows[6] = 'r8,"t,b,2021-01-01,1'  # quote to the end of the file
    report, failed, new = both_modes(db, write(tmp_path / "a.csv", HEADER + "\n".join(rows) + "\n"))
    assert where(report) == [(2, None, None), (4, "submitted", "D4"), (6, "likes", "E6"), (8, "title", "B8")]
    assert len(failed.errors) == 4 and len(new) == 3
    assert report.to_dict()["skipped"] == 4


def test_bad_encoding_names_row_column_and_offset(db, tmp_path):
    seed(db)
    f = write(tmp_path / "gbk.csv", HEADER + "a1,ok,fine,,\na2,国家,内容,,\n", encoding="gbk")
    before = stored(db)
    for mode in ("good_rows", "all_or_nothing"):
        with pytest.raises(BadInputError) as e:
            import_file(db, f, mode=mode)
        msg = str(e.value)
        offset = len((HEADER + "a1,ok,fine,,\na2,").encode())
        assert "row 3, column 'title' (cell B3)" in msg and f"byte offset {offset}" in msg
        assert "--encoding gb18030" in msg
    assert stored(db) == before
    assert import_file(db, f, encoding="gb18030").inserted == 2


def test_bad_encoding_in_jsonl_names_the_line(db, tmp_path):
    seed(db)
    f = write(tmp_path / "a.jsonl", '{"title": "ok"}\n{"title": "国家"}\n', encoding="gbk")
    before = stored(db)
    with pytest.raises(BadInputError, match=r"line 2 \(byte offset 27.*--encoding gb18030"):
        import_file(db, f)
    assert stored(db) == before


@pytest.mark.parametrize("name,content,needle", [
    ("empty.csv", b"", "empty file"),
    ("blank.csv", b"  \n\n ", "empty input"),
    ("header.csv", HEADER.encode(), "no data rows"),
    ("blankrows.csv", (HEADER + ",,,,\n\n,,,,\n").encode(), "no data rows"),
    ("empty.jsonl", b"", "empty file"),
    ("blank.jsonl", b"\n\n  \n", "empty input"),
    ("bom.csv", b"\xef\xbb\xbf", "empty input"),
])
def test_empty_files_are_refused(db, tmp_path, name, content, needle):
    seed(db)
    before = stored(db)
    for mode in ("good_rows", "all_or_nothing"):
        with pytest.raises(BadInputError, match=needle):
            import_file(db, write(tmp_path / name, content.decode("utf-8")), mode=mode)
    assert stored(db) == before


def test_repeated_external_id_in_one_file_is_an_error_not_a_merge(db, tmp_path):
    seed(db)
    rows = [*SEVEN[:3], "r2,另一条,完全不同的内容,2021-01-01,1", *SEVEN[3:]]
    report, _, new = both_modes(db, write(tmp_path / "a.csv", HEADER + "\n".join(rows) + "\n"))
    assert where(report) == [(5, "external_id", "A5")]
    assert "also on row 2" in report.errors[0].reason
    assert [r["title"] for r in new if r["external_id"] == "r2"] == ["标题2"]


def test_strict_readers_stop_at_the_first_bad_row(tmp_path):
    f = write(tmp_path / "a.csv", HEADER + 'r2,"t,b,,\nr3,t,b,,\n')
    with pytest.raises(RowError, match=r"row 2.*never closes"):
        list(read_rows(f))


# ----------------------------------------------------------------------------------------------- JSONL


def test_malformed_jsonl_line_is_reported_and_the_rest_is_read(db, tmp_path):
    seed(db)
    lines = [json.dumps({"external_id": f"j{i}", "title": f"标题{i}", "body": "内容"}, ensure_ascii=False)
             for i in range(1, 6)]
    lines[1] = '{"external_id": "j2", "title": "断了'  # line 2: cut off
    lines[3] = '["not", "an", "object"]'  # line 4
    report, _, new = both_modes(db, write(tmp_path / "a.jsonl", "\n".join(lines) + "\n"))
    assert where(report) == [(2, None, None), (4, None, None)]
    assert "not valid JSON" in report.errors[0].reason and "JSON object" in report.errors[1].reason
    assert [r["external_id"] for r in new] == ["j1", "j3", "j5"]  # line 5 after the bad lines is read


def test_jsonl_line_separators_inside_strings_are_not_line_ends(db, tmp_path):
    body = "第一句\u2028第二句\x85第三句"
    f = write(tmp_path / "a.jsonl", json.dumps({"external_id": "u", "title": "t", "body": body},
                                               ensure_ascii=False) + "\n")
    report = import_file(db, f, mode="all_or_nothing")
    assert report.inserted == 1 and stored(db)[0]["body"] == body


def test_jsonl_bad_value_names_the_key(db, tmp_path):
    seed(db)
    lines = ['{"external_id": "k1", "title": "t", "likes": "很多"}', '{"external_id": "k2", "title": "t"}']
    report, _, new = both_modes(db, write(tmp_path / "a.jsonl", "\n".join(lines)))
    assert where(report) == [(1, "likes", None)] and len(new) == 1


# ------------------------------------------------------------------------------------------------ XLSX


def test_xlsx_bad_cells_name_row_column_and_cell(db, tmp_path):
    seed(db)
    wb = Workbook()
    ws = wb.active
    ws.append(["编号", "主题", "详情", "留言时间", "点赞数"])
    ws.append(["x1", "学位紧张", "没有配套小学", "2020-09-01", 5])
    ws.append(["x2", "噪音", "夜市太吵", "明天", 1])  # D3: not a date
    ws.append(["x3", "#REF!", "公式坏了", "2020-09-01", 1])  # B4: a spreadsheet error
    ws.append(["x4", "停车", "车位不够", "2020-09-01", -3])  # E5: negative
    ws.append(["x5", "绿化", "树被砍了", "2020-09-01", 2])
    wb.save(tmp_path / "a.xlsx")
    report, failed, new = both_modes(db, tmp_path / "a.xlsx")
    assert where(report) == [(3, "留言时间", "D3"), (4, "主题", "B4"), (5, "点赞数", "E5")]
    assert "cell D3" in str(failed) and "spreadsheet error #REF!" in report.errors[1].reason
    assert [r["external_id"] for r in new] == ["x1", "x5"]


def test_xlsx_empty_sheet_and_header_only(db, tmp_path):
    seed(db)
    before = stored(db)
    Workbook().save(tmp_path / "empty.xlsx")
    with pytest.raises(BadInputError, match="no header row"):
        import_file(db, tmp_path / "empty.xlsx")
    wb = Workbook()
    wb.active.append(["编号", "主题"])
    wb.save(tmp_path / "header.xlsx")
    with pytest.raises(BadInputError, match="no data rows"):
        import_file(db, tmp_path / "header.xlsx", mode="all_or_nothing")
    assert stored(db) == before


# ------------------------------------------------------------------------------------------ round trips


def seed_for_round_trip(db):
    with db.session() as s:
        repo.upsert_suggestions(s, [
            SuggestionIn(external_id="E-1", title="路灯不亮", body="朝阳路路灯坏了\n第二段：请尽快修", topic="traffic",
                         department="d1", submitted="2021-03-04", likes=3, reply="已修复，电话13912345678",
                         replied="2021-03-09", status_history=[
                             StatusEventIn(status="received", date="2021-03-04", note="来电"),
                             StatusEventIn(status="replied", date="2021-03-09", note="已回访")]),
            SuggestionIn(title="=HYPERLINK(\"http://x\")", body="-5度 太冷，联系 13812345678", place="江川区"),
            SuggestionIn(title="'引号开头", body="+86 的号码\u2028换行符", channel="hotline", dislikes=1),
            SuggestionIn(external_id="E-4", title="@所有人", body="正文\t有制表符", status="adopted"),
        ])
        ids = [r.id for r in repo.list_suggestions(s, limit=None, newest_first=False)]
        s.get(Suggestion, ids[3]).topic, s.get(Suggestion, ids[3]).topic_source = "env", "automatic"


def export(db, path, role=Role.admin):
    with db.session() as s:
        rows = [suggestion_row(x, role) for x in repo.list_suggestions(s, limit=None, newest_first=False)]
    export_rows(rows, path)
    return read_back(path)


def read_back(path):
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as f:
            return list(csv.DictReader(f))
    if path.suffix == ".xlsx":
        ws = load_workbook(path, read_only=True).worksheets[0]
        rows = list(ws.iter_rows(values_only=True))
        return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "jsonl"])
@pytest.mark.parametrize("role", [Role.admin, Role.staff])
def test_export_import_export_is_the_same(db, tmp_path, fmt, role):
    seed_for_round_trip(db)
    first = export(db, tmp_path / f"1.{fmt}", role)
    assert all(r["external_id"] for r in first)  # items stored without one got a stable one
    before = stored(db)
    report = import_file(db, tmp_path / f"1.{fmt}", mode="all_or_nothing")
    assert (report.rows, report.inserted, report.updated, report.errors) == (4, 0, 4, [])
    assert stored(db) == before  # nothing changed: not the masked texts, the notes, nor the label sources
    assert export(db, tmp_path / f"2.{fmt}", role) == first
    assert import_file(db, tmp_path / f"2.{fmt}").inserted == 0
    assert len(stored(db)) == 4


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "jsonl"])
def test_round_trip_into_a_fresh_database(db, tmp_path, fmt):
    from nlp_service.storage.db import Database

    seed_for_round_trip(db)
    first = export(db, tmp_path / f"1.{fmt}")
    other = Database(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        with other.session() as s:  # the other database's own item 1 must not be taken for ours
            repo.upsert_suggestions(s, [SuggestionIn(title="别处的建议", body="别处")])
        assert import_file(other, tmp_path / f"1.{fmt}", mode="all_or_nothing").inserted == 4
        again = export(other, tmp_path / f"2.{fmt}")
        mine = [{k: v for k, v in r.items() if k != "id"} for r in first]
        assert [{k: v for k, v in r.items() if k != "id"} for r in again[1:]] == mine
        assert again[0]["title"] == "别处的建议"
    finally:
        other.dispose()


def test_export_id_column_is_never_an_external_id(db, tmp_path):
    seed_for_round_trip(db)
    export(db, tmp_path / "1.csv")
    with db.session() as s:
        internal = {str(r.id) for r in repo.list_suggestions(s, limit=None)}
    import_file(db, tmp_path / "1.csv")
    with db.session() as s:
        assert not internal & {r.external_id for r in repo.list_suggestions(s, limit=None)}
        assert all("id" not in (r.extra or {}) for r in repo.list_suggestions(s, limit=None))


def test_a_foreign_id_column_is_kept_in_extra_with_a_note(db, tmp_path):
    f = write(tmp_path / "a.csv", "id,title\n77,外部系统的建议\n")
    report = import_file(db, f)
    assert report.inserted == 1 and "--map id=external_id" in report.notes[0]
    row = stored(db)[0]
    assert row["external_id"] is None and row["extra"] == {"id": "77"}
    report = import_file(db, write(tmp_path / "b.csv", "编号,id,title\nB-1,78,另一个系统\n"))
    assert report.notes == [] and stored(db)[1]["external_id"] == "B-1" and stored(db)[1]["extra"] == {"id": "78"}


def test_updates_never_blank_what_the_file_does_not_carry(db, tmp_path):
    seed(db)
    before = {r["external_id"]: r for r in stored(db)}["old-1"]
    f = write(tmp_path / "a.csv", "external_id,title,body,reply,topic,likes\nold-1,,,,,9\n")
    assert import_file(db, f, mode="all_or_nothing").updated == 1
    after = {r["external_id"]: r for r in stored(db)}["old-1"]
    assert after["likes"] == 9
    assert {k: v for k, v in after.items() if k != "likes"} == {k: v for k, v in before.items() if k != "likes"}


def test_a_changed_status_in_an_export_becomes_the_latest_step(db, tmp_path):
    seed(db)
    rows = export(db, tmp_path / "a.csv")
    rows[0]["status"] = "adopted"
    with (tmp_path / "b.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    import_file(db, tmp_path / "b.csv", mode="all_or_nothing")
    row = {r["external_id"]: r for r in stored(db)}["old-1"]
    assert row["status"] == "adopted"
    assert [e[:3] for e in row["events"]] == [("received", row["events"][0][1], None),
                                              ("replied", row["events"][1][1], "电话回访"), ("adopted", None, None)]


def test_bad_history_cell_names_the_column(db, tmp_path):
    seed(db)
    f = write(tmp_path / "a.csv", "external_id,title,history\nh1,t,received@2021-01-01; 胡说\nh2,t,\n")
    report, _, new = both_modes(db, f)
    assert where(report) == [(2, "history", "C2")] and len(new) == 1


def test_an_unchanged_label_keeps_its_source(db):
    with db.session() as s:
        (sid,), _, _ = repo.upsert_suggestions(s, [SuggestionIn(external_id="L", title="t", topic="env")])
        s.get(Suggestion, sid).topic_source = "automatic"
    with db.session() as s:
        repo.upsert_suggestions(s, [SuggestionIn(external_id="L", topic="env", department="d9")])
    with db.session() as s:
        row = s.get(Suggestion, sid)
        assert (row.topic_source, row.department_source) == ("automatic", "imported")


def test_rows_without_text_may_update_stored_items_only(db, tmp_path):
    seed(db)
    before = stored(db)
    f = write(tmp_path / "a.csv", "external_id,reply,replied\nold-1,已答复：下周修,2021-02-01\nnew-9,无人认领,\n")
    with pytest.raises(ImportFailedError) as failed:
        import_file(db, f, mode="all_or_nothing")
    assert where(failed.value) == [(3, None, None)] and "no text" in failed.value.errors[0].reason
    assert stored(db) == before
    report = import_file(db, f)
    assert (report.inserted, report.updated, where(report)) == (0, 1, [(3, None, None)])
    after = stored(db)
    assert len(after) == 2 and after[1] == before[1]
    assert (after[0]["reply"], after[0]["title"], after[0]["body"]) == ("已答复：下周修", "旧标题", before[0]["body"])




def test_every_bad_cell_of_a_row_is_named(db, tmp_path):
    seed(db)
    report, failed, new = both_modes(db, write(tmp_path / "a.csv", HEADER + "r2,t,b,不是日期,-1\nr3,t,b,,\n"))
    assert where(report) == [(2, "submitted", "D2"), (2, "likes", "E2")]
    assert "1 bad rows (2 problems)" in str(failed) and report.to_dict()["skipped"] == 1 and len(new) == 1


# ------------------------------------------------------------------------------------- Docker entry point


def test_docker_entrypoint_sets_up_the_volume_then_serves(tmp_path):
    """The image's entry point, run with a stand-in nlp-service: set-up goes to NLP_DATA_DIR (the volume) on
    every start, before serve; the stand-in's set-up makes a key file only where there is none, as setup does."""
    import os
    import subprocess
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "scripts" / "docker-entrypoint.sh"
    calls = tmp_path / "calls"
    stub = tmp_path / "nlp-service"
    stub.write_text('#!/bin/sh\necho "$NLP_DATA_DIR $*" >> "$CALLS"\n'
                    'if [ "$1" = setup ] && [ ! -e "$NLP_DATA_DIR/local-keys.json" ]; then\n'
                    '  echo "{}" > "$NLP_DATA_DIR/local-keys.json"; fi\n')
    stub.chmod(0o755)
    volume = tmp_path / "volume" / "nlp"
    env = {**os.environ, "NLP_SERVICE": str(stub), "NLP_DATA_DIR": str(volume), "CALLS": str(calls)}

    def run(*args):
        calls.write_text("")
        r = subprocess.run(["sh", str(script), *args], env=env, capture_output=True, text=True, timeout=20)
        return r.returncode, calls.read_text().splitlines(), r.stderr

    assert run() == (0, [f"{volume} setup", f"{volume} serve --skip-setup"], "")
    assert volume.is_dir() and oct(volume.stat().st_mode & 0o777) == "0o700"
    keys = (volume / "local-keys.json").stat()
    assert run("--port", "9000")[1] == [f"{volume} setup", f"{volume} serve --skip-setup --port 9000"]
    assert (volume / "local-keys.json").stat().st_mtime_ns == keys.st_mtime_ns  # kept, not made again
    assert run("import", "/in/a.csv")[1] == [f"{volume} setup", f"{volume} import /in/a.csv"]
    assert run("setup")[1] == [f"{volume} setup"]
    assert run("sh", "-c", "true")[1] == []  # a program runs as given
    stub.write_text('#!/bin/sh\necho "$*" >> "$CALLS"\n[ "$1" != setup ]\n')  # set-up fails: no serve
    rc, seen, _ = run()
    assert rc != 0 and seen == ["setup"]
    env["NLP_DATA_DIR"] = str(stub / "not-a-dir")
    rc, seen, err = run()
    assert rc != 0 and seen == [] and f"cannot make {stub / 'not-a-dir'}" in err
