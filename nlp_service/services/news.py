"""The news desk: ingest pages, classify them, extract figures, and link them to the suggestions they report on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import select

from nlp_service.access.roles import SYSTEM, Principal
from nlp_service.access.views import redact
from nlp_service.classify.model import TextClassifier
from nlp_service.domain.records import MAX_TEXT_CHARS, NEWS_PAGE_FACTOR, check_length, item_text
from nlp_service.errors import BadInputError, ConflictError, NotFoundError
from nlp_service.index.store import IndexStore
from nlp_service.news.links import LINK_THRESHOLD, NewsQuery, link_candidates
from nlp_service.news.page import extract_news
from nlp_service.storage.db import Database
from nlp_service.storage.models import News, NewsLink, Suggestion
from nlp_service.storage.repository import audit
from nlp_service.text.document import Analyzer
from nlp_service.text.figures import extract_figures
from nlp_service.text.keywords import tfidf_keywords


class NewsService:
    def __init__(self, db: Database, analyzer: Analyzer, topic_model: Callable[[], TextClassifier],
                 indexes: Callable[[], IndexStore], max_chars: int = MAX_TEXT_CHARS) -> None:
        self.db, self.analyzer, self.topic_model, self.indexes = db, analyzer, topic_model, indexes
        self.max_page_chars = max_chars * NEWS_PAGE_FACTOR
        self.threshold = LINK_THRESHOLD  # measured for e5-small; another embedding model needs its own

    def ingest(self, raw: str, who: Principal = SYSTEM, external_id: str | None = None) -> dict[str, Any]:
        """Clean and parse a page, classify it, pull keywords/entities/figures, store it, link it."""
        page = extract_news(check_length(raw, self.max_page_chars, "page"))
        text = item_text(page.title, page.body)
        if not text.strip():
            raise BadInputError("no article text found on the page")
        doc = self.analyzer.analyze(text)
        topic = self.topic_model().predict([doc.tokens], 3, vectors=doc.vector[None, :])[0]
        keywords = [w for w, _ in tfidf_keywords(doc.tokens, 10)]
        entities = [e.to_dict() for e in doc.entities if e.label != "FIGURE"]
        figures = [f.to_dict() for f in extract_figures(doc.clean)]
        published = None if page.published is None else date.fromisoformat(page.published)
        store = self.indexes()
        with self.db.session() as s:
            if external_id and s.scalar(select(News.id).where(News.external_id == external_id)) is not None:
                raise ConflictError(f"a news item with external id {external_id!r} is stored already")
            row = News(external_id=external_id, title=page.title, body=page.body, published=published,
                       source=page.source, editor=page.editor, topic=topic.label, kind=None,
                       extra={"topic_probability": topic.probability, "keywords": keywords, "entities": entities,
                              "figures": figures, "subtitle": page.subtitle})
            s.add(row)
            s.flush()
            store.stage(s, "news", [row.id], [doc])
            cands = link_candidates(s, store, NewsQuery(doc, published))
            links = [c for c in cands if c["score"] >= self.threshold][:5]
            for link in links:
                stored = NewsLink(news_id=row.id, suggestion_id=link["suggestion_id"], score=link["score"],
                                  evidence=link["evidence"], gold=False, confirmed=None)
                s.add(stored)
                s.flush()
                suggestion = s.get(Suggestion, link["suggestion_id"])
                link.update(link_id=stored.id, title=suggestion.title if suggestion else None)  # to confirm it
            audit(s, who.name, "ingest", "news", row.id, links=len(links), topic=topic.label)
            news_id = row.id
        store.publish("news", [news_id], [doc])
        return {"id": news_id, "title": page.title, "published": page.published, "source": page.source,
                "editor": page.editor, "topic": {"id": topic.label, "probability": round(topic.probability, 4)},
                "keywords": keywords, "entities": entities, "figures": figures, "links": redact(links, who)}

    def confirm(self, link_id: int, confirmed: bool, who: Principal) -> dict[str, Any]:
        with self.db.session() as s:
            link = s.get(NewsLink, link_id)
            if link is None:
                raise NotFoundError(f"news link {link_id} does not exist")
            link.confirmed = confirmed
            audit(s, who.name, "confirm_link", "news_link", link_id, confirmed=confirmed)
            return {"id": link_id, "news_id": link.news_id, "suggestion_id": link.suggestion_id,
                    "confirmed": confirmed}

    def evidence(self, suggestion_id: int) -> list[dict[str, Any]]:
        """News reports linked to a suggestion: evidence of adoption for staff to confirm."""
        with self.db.session() as s:
            rows = s.execute(select(NewsLink, News).join(News, News.id == NewsLink.news_id)
                             .where(NewsLink.suggestion_id == suggestion_id).order_by(News.published)).all()
            return [{"link_id": link.id, "news_id": n.id, "title": n.title,
                     "published": n.published.isoformat() if n.published else None, "source": n.source,
                     "score": link.score, "gold": link.gold, "confirmed": link.confirmed,
                     "evidence": link.evidence} for link, n in rows]
