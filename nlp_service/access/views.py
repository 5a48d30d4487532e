"""What a caller may see: the one masking policy for every way an item leaves the service.

- Admins see everything. Staff see every item with personal data (phones, ID numbers, e-mail, bank cards)
  masked in its texts, and no submitter account names of other people's items (merge records included).
- A submitter sees their own items whole, and nothing of other people's: their submission's answer carries no
  similar items or duplicates, and lists, search and the rest are closed to them by role.

The application services apply it (``suggestion_view`` for one item, ``masker`` before highlighting,
``redact`` for any other answer), so the API, the page, the CLI, exports and reports all get the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nlp_service.access.roles import Principal, may_see_personal_data
from nlp_service.text.pii import mask_pii

TEXT_KEYS = frozenset({"title", "body", "reply", "note", "text", "label"})
# Lists of short texts quoted from items: the pair decision's reasons name the numbers both sides share.
TEXT_LIST_KEYS = frozenset({"for", "against"})


def _same(text: str | None) -> str | None:
    return text


def _mask(text: str | None) -> str | None:
    return mask_pii(text) if text else text


def masker(who: Principal) -> Callable[[str | None], str | None]:
    return _same if may_see_personal_data(who.role) else _mask


def redact(value: Any, who: Principal) -> Any:
    """A copy of an answer (dicts and lists) with the texts masked for ``who``."""
    if may_see_personal_data(who.role):
        return value
    if isinstance(value, dict):
        return {k: (_mask(v) if k in TEXT_KEYS and isinstance(v, str)
                    else [_mask(t) for t in v] if k in TEXT_LIST_KEYS and isinstance(v, list)
                    else redact(v, who)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, who) for v in value]
    return value


def suggestion_view(row: Any, who: Principal) -> dict[str, Any]:
    own = row.submitter is not None and row.submitter == who.name
    show = may_see_personal_data(who.role) or own
    merged = (row.extra or {}).get("merged", [])

    def m(text: str | None) -> str | None:
        return text if (show or not text) else mask_pii(text)

    return {
        "id": row.id, "external_id": row.external_id, "title": m(row.title), "body": m(row.body),
        "submitted": row.submitted.isoformat() if row.submitted else None, "channel": row.channel,
        "submitter_group": row.submitter_group, "place": row.place, "topic": row.topic,
        "department": row.department, "topic_source": row.topic_source,
        "department_source": row.department_source, "status": row.status, "reply": m(row.reply),
        "replied": row.replied.isoformat() if row.replied else None, "dup_group": row.dup_group,
        "merged_into": row.merged_into, "likes": row.likes, "merged": merged if show else redact(merged, who),
        "history": [{"status": e.status, "date": e.date.isoformat() if e.date else None, "note": m(e.note)}
                    for e in row.events],
    }
