"""The two hot-issue tables staff are asked for, as a workbook: the ranked hot-issue table (热点问题表) and the
per-message detail table (热点问题留言明细表), one row per message with its issue's rank."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nlp_service.storage.files import atomic_file

RANKED = ["热度排名", "问题ID", "热度指数", "时间范围", "地点/人群", "问题描述", "留言数", "留言用户数", "点赞数",
          "反对数", "留言编号"]
DETAIL = ["问题ID", "热度排名", "留言编号", "留言用户", "留言主题", "留言时间", "点赞数", "反对数"]


def hot_issue_rows(result: dict[str, Any]) -> tuple[list[list[Any]], list[list[Any]]]:
    ranked, detail = [], []
    for rank, e in enumerate(result["issues"], start=1):
        span = f"{e['since'] or '?'} 至 {e['until'] or '?'}"
        ranked.append([rank, rank, e["heat"], span, e["place"] or "", e["label"], e["size"], e["submitters"],
                       e["likes"], e["dislikes"], ", ".join(str(x) for x in e["external_ids"] if x is not None)])
        detail += [[rank, rank, m["external_id"], m["submitter"], m["title"], m["submitted"], m["likes"],
                    m["dislikes"]] for m in e["messages"]]
    return ranked, detail


def write_hot_issues_xlsx(result: dict[str, Any], path: Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    ranked, detail = hot_issue_rows(result)
    wb = Workbook()
    for ws, headers, rows in ((wb.active, RANKED, ranked), (wb.create_sheet(), DETAIL, detail)):
        ws.title = "热点问题表" if headers is RANKED else "热点问题留言明细表"
        ws.append(headers)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append(row)
        ws.freeze_panes = "A2"
    with atomic_file(path) as tmp:
        wb.save(tmp)
    return path
