"""Shared fixtures: one text pipeline for the session, a fresh database per test, real data when present."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT / "corpora"
SHARED = ROOT.parent / "shared"
SHARED_DATA = SHARED / "data"
SEEDS = SHARED / "seeds"


def needs_shared(path: Path) -> pytest.MarkDecorator:
    return pytest.mark.skipif(not path.exists(), reason=f"{path} is absent (real data lives beside the checkout)")


@pytest.fixture(scope="session")
def pipeline():
    from nlp_service.text.pipeline import TextPipeline

    return TextPipeline(CORPORA)


@pytest.fixture(scope="session")
def segmenter(pipeline):
    return pipeline.segmenter


@pytest.fixture(scope="session")
def taxonomy(pipeline):
    return pipeline.taxonomy


def _db_urls() -> list[str]:
    urls = ["sqlite"]
    if os.environ.get("NLP_TEST_POSTGRES_URL"):
        urls.append("postgres")
    return urls


@pytest.fixture(params=_db_urls())
def db(request, tmp_path):
    """A migrated, empty database: SQLite always, PostgreSQL too when NLP_TEST_POSTGRES_URL is set."""
    from sqlalchemy import text

    from nlp_service.storage.db import Database

    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'test.db'}")
        yield database
        database.dispose()
        return
    base = os.environ["NLP_TEST_POSTGRES_URL"]
    from sqlalchemy import create_engine

    name = f"t_{os.getpid()}_{abs(hash(request.node.nodeid)) % 10**8}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        c.execute(text(f'CREATE DATABASE "{name}"'))
    database = Database(base.rsplit("/", 1)[0] + f"/{name}")
    yield database
    database.dispose()
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture(scope="session")
def service(tmp_path_factory, pipeline):
    """A service on a temporary data directory, set up like `nlp-service setup` does: corpus + routing model."""
    from fakes import HashingEncoder, install_pair_model

    from nlp_service.service import Service
    from nlp_service.settings import Settings

    base = tmp_path_factory.mktemp("svc")
    svc = Service(Settings(data_dir=base / "data", models_dir=base / "models", corpora_dir=CORPORA,
                           embedding_model=base / "hashing-encoder"))
    svc.__dict__["pipeline"] = pipeline  # share the session's segmenter: building it costs seconds
    svc.__dict__["encoder"] = HashingEncoder()
    svc.ops.setup(log=lambda _m: None)
    install_pair_model(svc)
    return svc
