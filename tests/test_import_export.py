"""Import with mappings, row-level errors, both modes, re-import; export with masking and formula defusing."""

import csv
import json

import pytest
from conftest import SHARED_DATA, needs_shared
from openpyxl import Workbook, load_workbook

from nlp_service.access.roles import Role
from nlp_service.errors import BadInputError, ImportFailedError
from nlp_service.io.exporter import export_rows, suggestion_row
from nlp_service.io.importer import import_file, parse_mapping
from nlp_service.storage import repository as repo

HEADER = ["编号", "主题", "详情", "时间", "点赞"]


def write_csv(path, rows, header=HEADER, encoding="utf-8"):
    with path.open("w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


MAP = parse_mapping(["编号=external_id", "主题=title", "详情=body", "时间=submitted", "点赞=likes"])


def count(db):
    with db.session() as s:
        return repo.count_suggestions(s)


def test_good_rows_mode_skips_bad_rows_and_names_them(db, tmp_path):
    f = write_csv(tmp_path / "a.csv", [["1", "路灯不亮", "朝阳路路灯坏了", "2021/3/4 10:00", "3"],
                                       ["2", "噪音", "夜市太吵", "不是日期", "1"],
                                       ["3", "", "", "2021-01-01", "0"],
                                       ["4", "停车", "车位不够", "2022-05-06", "-2"]])
    report = import_file(db, f, MAP, "good_rows")
    assert report.inserted == 1 and report.rows == 4
    where = [(e.row, e.column) for e in report.errors]
    assert where == [(3, "时间"), (4, None), (5, "点赞")]
    assert "not a date" in report.errors[0].reason
    assert count(db) == 1


def test_all_or_nothing_leaves_nothing(db, tmp_path):
    f = write_csv(tmp_path / "a.csv", [["1", "路灯不亮", "朝阳路路灯坏了", "2021/3/4", "3"],
                                       ["2", "噪音", "夜市太吵", "2021/13/40", "1"]])
    with pytest.raises(ImportFailedError) as e:
        import_file(db, f, MAP, "all_or_nothing")
    assert "row 3" in str(e.value)
    assert count(db) == 0


def test_reimport_updates_instead_of_duplicating(db, tmp_path):
    f = write_csv(tmp_path / "a.csv", [["1", "路灯不亮", "朝阳路路灯坏了", "2021/3/4", "3"]])
    import_file(db, f, MAP)
    f2 = write_csv(tmp_path / "b.csv", [["1", "路灯不亮", "朝阳路路灯还是坏的", "2021/3/4", "9"]])
    report = import_file(db, f2, MAP)
    assert (report.inserted, report.updated) == (0, 1)
    with db.session() as s:
        (row,) = repo.list_suggestions(s)
        assert row.likes == 9 and "还是坏的" in row.body


def test_xlsx_and_jsonl(db, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append([101, "学位紧张", "新小区没有配套小学", "2020-09-01", 5])
    wb.save(tmp_path / "a.xlsx")
    assert import_file(db, tmp_path / "a.xlsx", MAP).inserted == 1
    (tmp_path / "a.jsonl").write_text(json.dumps({"external_id": "j1", "title": "垃圾分类", "body": "没有分类桶"},
                                                 ensure_ascii=False) + "\n{broken\n", encoding="utf-8")
    report = import_file(db, tmp_path / "a.jsonl")
    assert report.inserted == 1 and report.errors[0].row == 2
    with db.session() as s:
        assert {r.external_id for r in repo.list_suggestions(s)} == {"101", "j1"}


def test_clear_errors_for_bad_files(db, tmp_path):
    f = write_csv(tmp_path / "gbk.csv", [["1", "国家", "内容", "2021-01-01", "1"]], encoding="gbk")
    with pytest.raises(BadInputError, match="gb18030"):
        import_file(db, f, MAP)
    assert import_file(db, f, MAP, encoding="gb18030").inserted == 1
    with pytest.raises(BadInputError, match="mapped columns not in the file: 详情"):
        import_file(db, write_csv(tmp_path / "m.csv", [["1", "t"]], header=["编号", "主题"]),
                    parse_mapping(["主题=title", "详情=body"]))
    with pytest.raises(BadInputError, match="unknown field"):
        parse_mapping(["主题=nonsense"])
    (tmp_path / "x.xlsx").write_bytes(b"not a zip")
    with pytest.raises(BadInputError, match="not a readable XLSX"):
        import_file(db, tmp_path / "x.xlsx")


def test_huge_cell_is_a_row_error_not_a_crash(db, tmp_path):
    f = write_csv(tmp_path / "big.csv", [["1", "t", "长" * 300_000, "2021-01-01", "1"], ["2", "t", "ok", "", ""]])
    report = import_file(db, f, MAP)
    assert report.inserted == 1 and report.errors[0].column == "详情"


@needs_shared(SHARED_DATA / "messages_with_replies_raw.csv")
def test_real_messages_with_replies(db):
    mapping = parse_mapping(["留言主题=title", "留言详情=body", "留言时间=submitted", "答复意见=reply",
                             "答复时间=replied", "留言编号=external_id"])
    report = import_file(db, SHARED_DATA / "messages_with_replies_raw.csv", mapping, "all_or_nothing")
    assert report.inserted == 2794 and not report.errors
    with db.session() as s:
        row = repo.list_suggestions(s, repo.SuggestionFilter(), limit=1)[0]
        assert row.reply and row.replied and row.status == "replied"


def test_export_masks_by_role_and_defuses_formulas(db, tmp_path):
    from nlp_service.domain.records import SuggestionIn

    with db.session() as s:
        repo.upsert_suggestions(s, [SuggestionIn(external_id="p", title="=cmd|' /C calc'!A0",
                                                 body="请回电13912345678")])
    with db.session() as s:
        items = repo.list_suggestions(s)
        staff = [suggestion_row(x, Role.staff) for x in items]
        admin = [suggestion_row(x, Role.admin) for x in items]
    assert "13912345678" not in staff[0]["body"] and "13912345678" in admin[0]["body"]
    export_rows(staff, tmp_path / "o.csv")
    with (tmp_path / "o.csv").open(encoding="utf-8-sig") as f:
        row = next(csv.DictReader(f))
    assert row["title"].startswith("'=") and "139****5678" in row["body"]
    export_rows(staff, tmp_path / "o.xlsx")
    ws = load_workbook(tmp_path / "o.xlsx").active
    assert ws.cell(2, 3).value.startswith("'=")
    assert export_rows(admin, tmp_path / "o.jsonl") == 1
    with pytest.raises(BadInputError):
        export_rows(admin, tmp_path / "o.pdf")
