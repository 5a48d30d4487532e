"""The embedded default corpus in corpora/: suggestions and news written for this project."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from nlp_service.domain.records import NewsIn, SuggestionIn
from nlp_service.errors import BadInputError
from nlp_service.storage.db import Database
from nlp_service.storage.models import News, NewsLink, Suggestion
from nlp_service.storage.repository import audit, find_by_external_ids, upsert_suggestions


def _jsonl(paths: list[Path]) -> list[dict]:
    out = []
    for path in paths:
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError as e:
                    raise BadInputError(f"{path}:{i}: not valid JSON ({e.msg})") from None
    return out


def load_suggestions(corpora_dir: Path) -> list[SuggestionIn]:
    items = _jsonl(sorted((corpora_dir / "suggestions").glob("*.jsonl")))
    return [SuggestionIn.model_validate({**d, "external_id": d.pop("id"),
                                         "extra": {"co_departments": d.pop("co_departments")}
                                         if "co_departments" in d else {}}) for d in items]


def load_news(corpora_dir: Path) -> list[NewsIn]:
    items = _jsonl(sorted((corpora_dir / "news").glob("*.jsonl")))
    return [NewsIn.model_validate({**d, "external_id": d.pop("id")}) for d in items]


def seed_database(db: Database, corpora_dir: Path) -> dict[str, int]:
    """Load the embedded corpus into an empty database; a database with suggestions is left alone."""
    with db.session() as s:
        if s.scalar(select(func.count(Suggestion.id))):
            return {"suggestions": 0, "news": 0}
        suggestions = load_suggestions(corpora_dir)
        _, inserted, _ = upsert_suggestions(s, suggestions, actor="seed")
        news = load_news(corpora_dir)
        id_of = find_by_external_ids(s, {x for n in news for x in n.links})
        for n in news:
            row = News(external_id=n.external_id, title=n.title, body=n.body, published=n.published,
                       source=n.source, editor=n.editor, topic=n.topic, kind=n.kind, extra={})
            s.add(row)
            s.flush()
            for ext in n.links:
                if ext in id_of:
                    s.add(NewsLink(news_id=row.id, suggestion_id=id_of[ext], gold=True, confirmed=True))
        audit(s, "seed", "seed", "corpus", None, suggestions=inserted, news=len(news))
    return {"suggestions": inserted, "news": len(news)}
