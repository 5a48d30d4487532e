"""All settings in one place, read from ``NLP_`` environment variables at the entry points."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from nlp_service.domain.records import MAX_TEXT_CHARS

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Built once by an entry point (CLI, API, script) and passed down as plain values."""

    model_config = SettingsConfigDict(env_prefix="NLP_", env_file=None)

    data_dir: Path = PROJECT_ROOT / "data"
    corpora_dir: Path = PROJECT_ROOT / "corpora"
    models_dir: Path = PROJECT_ROOT / "models"
    database_url: str | None = None  # default: SQLite file in data_dir
    embedding_model: Path | None = None  # default: models/embedding/e5-small
    pair_model: Path | None = None  # default: models_dir/pairs, else the one shipped in the repository
    host: str = "127.0.0.1"
    port: int = 8000
    review_threshold: float | None = None  # default: the one stored in the routing model
    max_text_chars: int = MAX_TEXT_CHARS
    log_level: str = "INFO"
    admin_key: str | None = None  # bootstrap admin API key; make real keys with `nlp-service keys create`
    max_request_bytes: int = 2_000_000

    @property
    def project_root(self) -> Path:
        return self.corpora_dir.parent

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'nlp_service.db'}"

    @property
    def embedding_model_dir(self) -> Path:
        return self.embedding_model or self.models_dir / "embedding" / "e5-small"

    @property
    def pair_model_dir(self) -> Path:
        """The pair decision is trained on public paraphrase data and committed, so a models_dir without one
        (a test's, a volume's) uses the shipped artifact."""
        if self.pair_model:
            return self.pair_model
        mine = self.models_dir / "pairs"
        return mine if (mine / "manifest.json").is_file() else PROJECT_ROOT / "models" / "pairs"

    @property
    def routing_model_dir(self) -> Path:
        return self.models_dir / "routing"
