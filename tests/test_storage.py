"""Storage on SQLite, and on PostgreSQL when CI provides one (NLP_TEST_POSTGRES_URL)."""

from datetime import date

import pytest
from sqlalchemy import select

from nlp_service.domain.records import SuggestionIn
from nlp_service.errors import NotFoundError
from nlp_service.storage import repository as repo
from nlp_service.storage.models import AuditEntry, Suggestion


def rec(ext, **kw):
    return SuggestionIn(external_id=ext, title=kw.pop("title", f"标题{ext}"), body=kw.pop("body", "内容"), **kw)


def test_migrated_schema_has_every_table(db):
    assert {"suggestions", "status_events", "news", "news_links", "predictions", "corrections", "audit_log",
            "api_keys", "alembic_version"} <= set(db.tables())


def test_upsert_inserts_then_updates_by_external_id(db):
    with db.session() as s:
        ids, ins, upd = repo.upsert_suggestions(s, [rec("a", submitted="2021-01-02"), rec("b")])
        assert (ins, upd) == (2, 0) and len(ids) == 2
    with db.session() as s:
        _, ins, upd = repo.upsert_suggestions(s, [rec("a", title="新标题", status="adopted")])
        assert (ins, upd) == (0, 1)
    with db.session() as s:
        rows = repo.list_suggestions(s, newest_first=False)
        assert [r.external_id for r in rows] == ["a", "b"]
        assert rows[0].title == "新标题" and rows[0].status == "adopted"
        assert rows[0].submitted == date(2021, 1, 2)


def test_failed_transaction_leaves_nothing(db):
    with pytest.raises(RuntimeError), db.session() as s:
        repo.upsert_suggestions(s, [rec("x")])
        raise RuntimeError("crash mid-way")
    with db.session() as s:
        assert repo.count_suggestions(s) == 0


def test_status_history_and_audit(db):
    with db.session() as s:
        (sid,), _, _ = repo.upsert_suggestions(s, [rec("h")])
        repo.add_status(s, sid, "replied", date(2022, 3, 1), "已转交住建局办理", "staff1")
    with db.session() as s:
        row = repo.get_suggestion(s, sid)
        assert [e.status for e in row.events] == ["received", "replied"]
        assert row.reply == "已转交住建局办理"
        actions = {a.action for a in s.scalars(select(AuditEntry))}
        assert {"upsert", "status"} <= actions


def test_filters(db):
    with db.session() as s:
        repo.upsert_suggestions(s, [rec("f1", topic="transport", submitted="2019-05-01", place="临江区滨江街道"),
                                    rec("f2", topic="education", submitted="2023-05-01", place="东湖区")])
    with db.session() as s:
        flt = repo.SuggestionFilter(since=date(2020, 1, 1))
        assert [r.external_id for r in repo.list_suggestions(s, flt)] == ["f2"]
        assert repo.count_suggestions(s, repo.SuggestionFilter(topic="transport", place="临江区")) == 1


def test_missing_item(db):
    with db.session() as s, pytest.raises(NotFoundError):
        repo.get_suggestion(s, 999)


def test_seed_loads_corpus_once(db):
    from conftest import CORPORA

    from nlp_service.storage.corpus import seed_database

    first = seed_database(db, CORPORA)
    assert first["suggestions"] >= 1000 and first["news"] >= 150
    assert seed_database(db, CORPORA) == {"suggestions": 0, "news": 0}
    with db.session() as s:
        assert s.scalar(select(Suggestion).where(Suggestion.external_id == "S8-001")).status == "implemented"
