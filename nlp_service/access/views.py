"""What a caller may see of one item: personal data masked unless the role (or ownership) allows it."""

from __future__ import annotations

from typing import Any

from nlp_service.access.roles import Principal, may_see_personal_data
from nlp_service.text.pii import mask_pii


def suggestion_view(row: Any, who: Principal) -> dict[str, Any]:
    own = row.submitter is not None and row.submitter == who.name
    show = may_see_personal_data(who.role) or own

    def m(text: str | None) -> str | None:
        return text if (show or not text) else mask_pii(text)

    return {
        "id": row.id, "external_id": row.external_id, "title": m(row.title), "body": m(row.body),
        "submitted": row.submitted.isoformat() if row.submitted else None, "channel": row.channel,
        "submitter_group": row.submitter_group, "place": row.place, "topic": row.topic,
        "department": row.department, "status": row.status, "reply": m(row.reply),
        "replied": row.replied.isoformat() if row.replied else None, "dup_group": row.dup_group,
        "merged_into": row.merged_into, "likes": row.likes, "merged": (row.extra or {}).get("merged", []),
        "history": [{"status": e.status, "date": e.date.isoformat() if e.date else None, "note": m(e.note)}
                    for e in row.events],
    }
