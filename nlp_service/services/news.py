"""The news desk: ingest pages, classify them, extract figures, and link them to the suggestions they report on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nlp_service.access.roles import SYSTEM, Principal
from nlp_service.errors import NotFoundError

if TYPE_CHECKING:
    from nlp_service.service import Service


class NewsDesk:
    """News ingest and linking for one Service."""

    def __init__(self, svc: Service) -> None:
        from nlp_service.news.links import LINK_THRESHOLD

        self.svc = svc
        self.threshold = LINK_THRESHOLD  # measured for e5-small; another embedding model needs its own

    def ingest(self, raw: str, who: Principal = SYSTEM, external_id: str | None = None) -> dict[str, Any]:
        """Clean and parse a page, classify it, pull keywords/entities/figures, store it, link it."""
        from datetime import date

        from nlp_service.errors import BadInputError
        from nlp_service.index.store import item_text
        from nlp_service.news.page import extract_news
        from nlp_service.storage.models import News, NewsLink
        from nlp_service.storage.repository import audit
        from nlp_service.text.figures import extract_figures
        from nlp_service.text.keywords import tfidf_keywords

        svc = self.svc
        if len(raw) > svc.settings.max_text_chars * 5:
            raise BadInputError(f"page has {len(raw)} characters; the limit is {svc.settings.max_text_chars * 5}")
        page = extract_news(raw)
        text = item_text(page.title, page.body)
        if not text.strip():
            raise BadInputError("no article text found on the page")
        tokens = svc.pipeline.segmenter.tokens(text)
        topic = svc.router.model.topic.predict([tokens], 3)[0]
        keywords = [w for w, _ in tfidf_keywords(tokens, 10)]  # the tokens above: no second segmentation
        entities = [e.to_dict() for e in svc.pipeline.entities(text) if e.label != "FIGURE"]
        figures = [f.to_dict() for f in extract_figures(text)]
        vec = svc.indexes.embed([text])
        published = None if page.published is None else date.fromisoformat(page.published)
        with svc.db.session() as s:
            row = News(external_id=external_id, title=page.title, body=page.body, published=published,
                       source=page.source, editor=page.editor, topic=topic.label, kind=None,
                       extra={"topic_probability": topic.probability, "keywords": keywords, "entities": entities,
                              "figures": figures, "subtitle": page.subtitle})
            s.add(row)
            s.flush()
            svc.indexes.stage(s, "news", [row.id], [text], vec)
            links = self._links(s, text, tokens, vec[0], published)
            for link in links:
                s.add(NewsLink(news_id=row.id, suggestion_id=link["suggestion_id"], score=link["score"],
                               evidence=link["evidence"], gold=False, confirmed=None))
            audit(s, who.name, "ingest", "news", row.id, links=len(links), topic=topic.label)
            news_id = row.id
        svc.indexes.publish("news", [news_id], [text], vec)
        return {"id": news_id, "title": page.title, "published": page.published, "source": page.source,
                "editor": page.editor, "topic": {"id": topic.label, "probability": round(topic.probability, 4)},
                "keywords": keywords, "entities": entities, "figures": figures, "links": links}

    def _links(self, session: Any, text: str, tokens: list[str], vec: Any, published: Any) -> list[dict[str, Any]]:
        from nlp_service.news.links import NewsQuery, link_candidates

        cands = link_candidates(session, self.svc.indexes, NewsQuery(text, tokens, vec, published),
                                self.svc._entity_names)
        return [c for c in cands if c["score"] >= self.threshold][:5]

    def confirm(self, link_id: int, confirmed: bool, who: Principal) -> dict[str, Any]:
        from nlp_service.storage.models import NewsLink
        from nlp_service.storage.repository import audit

        with self.svc.db.session() as s:
            link = s.get(NewsLink, link_id)
            if link is None:
                raise NotFoundError(f"news link {link_id} does not exist")
            link.confirmed = confirmed
            audit(s, who.name, "confirm_link", "news_link", link_id, confirmed=confirmed)
            return {"id": link_id, "news_id": link.news_id, "suggestion_id": link.suggestion_id,
                    "confirmed": confirmed}

    def evidence(self, suggestion_id: int) -> list[dict[str, Any]]:
        """News reports linked to a suggestion: evidence of adoption for staff to confirm."""
        from sqlalchemy import select

        from nlp_service.storage.models import News, NewsLink

        with self.svc.db.session() as s:
            rows = s.execute(select(NewsLink, News).join(News, News.id == NewsLink.news_id)
                             .where(NewsLink.suggestion_id == suggestion_id).order_by(News.published)).all()
            return [{"link_id": link.id, "news_id": n.id, "title": n.title,
                     "published": n.published.isoformat() if n.published else None, "source": n.source,
                     "score": link.score, "gold": link.gold, "confirmed": link.confirmed,
                     "evidence": link.evidence} for link, n in rows]
