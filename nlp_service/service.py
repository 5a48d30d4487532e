"""The facade: the one object the API, the CLI, the training scripts and the benches build.

It composes and does nothing else: components are built on first use from Settings, and each application
service (``nlp_service.services``) receives the components it needs, never the facade. Call the services:
``svc.suggestions.submit(...)``, ``svc.routing.route(...)``, ``svc.search.search(...)``, ``svc.issues``,
``svc.news``, ``svc.reports``, ``svc.ops``.
"""

from __future__ import annotations

from functools import cached_property

from nlp_service.errors import ModelNotReadyError
from nlp_service.settings import Settings
from nlp_service.storage.db import Database
from nlp_service.text.pipeline import TextPipeline


class Service:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()

    # --- components, built on first use -------------------------------------------------------------------
    @cached_property
    def pipeline(self) -> TextPipeline:
        return TextPipeline(self.settings.corpora_dir, self.settings.max_text_chars)

    @cached_property
    def db(self) -> Database:
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        return Database(self.settings.db_url)

    @cached_property
    def router(self):
        from nlp_service.routing.router import load_router

        model_dir = self.settings.routing_model_dir
        if not (model_dir / "manifest.json").is_file():
            raise ModelNotReadyError(f"no routing model in {model_dir}; run `nlp-service setup` to train it")
        return load_router(model_dir, self.pipeline, self.settings.review_threshold, self.embedding_fingerprint)

    @cached_property
    def encoder(self):
        from nlp_service.embedding.encoder import Encoder

        return Encoder(self.settings.embedding_model_dir)  # refuses a missing or broken model with a clear error

    @cached_property
    def embedding_fingerprint(self) -> dict[str, str]:
        from nlp_service.embedding.encoder import fingerprint

        return fingerprint(self.settings.embedding_model_dir)

    @cached_property
    def analyzer(self):
        from nlp_service.text.document import Analyzer

        return Analyzer(self.pipeline, lambda texts: self.encoder.encode(texts))

    @cached_property
    def _index_store(self):
        from nlp_service.index.store import IndexStore
        from nlp_service.text.normalize import normalize

        return IndexStore(self.db, self.encoder, self.settings.embedding_model_dir.name,
                          self.pipeline.segmenter.tokens, self.settings.data_dir / "indexes", clean=normalize)

    @cached_property
    def pair_judge(self):
        from nlp_service.pairs.features import vocabulary
        from nlp_service.pairs.judge import PairJudge
        from nlp_service.pairs.model import PairModel

        model = PairModel.load(self.settings.pair_model_dir)
        model.check_embedding(self.settings.embedding_model_dir.name, self.encoder.dim)
        return PairJudge(model, vocabulary(self.pipeline.taxonomy))

    @property
    def indexes(self):
        return self._index_store.ensure_synced()  # checked against the database before anything reads it

    def _indexes_ready(self) -> bool:
        return "_index_store" in self.__dict__ or (self.settings.embedding_model_dir / "manifest.json").is_file()

    def _forget_router(self) -> None:
        self.__dict__.pop("router", None)

    # --- application services ----------------------------------------------------------------------------
    @cached_property
    def ops(self):
        from nlp_service.services.ops import OpsService

        s = self.settings
        return OpsService(self.db, s.corpora_dir, s.data_dir, s.routing_model_dir, s.embedding_model_dir,
                          s.embedding_model is None, lambda log: self.routing.train(log),
                          lambda: self._index_store)

    @cached_property
    def suggestions(self):
        from nlp_service.services.suggestions import SuggestionService

        return SuggestionService(self.db, self.analyzer, lambda: self.router, lambda: self.indexes,
                                 self._indexes_ready, lambda: self.pair_judge)

    @cached_property
    def routing(self):
        from nlp_service.services.routing import RoutingService

        config = self.settings.project_root / "training" / "configs" / "routing.yaml"
        return RoutingService(self.db, self.pipeline, self.analyzer, lambda: self.router,
                              self.settings.routing_model_dir, config, self._forget_router,
                              lambda ids, texts: self.indexes.stored_vectors("suggestion", ids, texts),
                              lambda: self.embedding_fingerprint)

    @cached_property
    def search(self):
        from nlp_service.services.search import SearchService

        return SearchService(self.db, self.analyzer, lambda: self.indexes, lambda: self.pair_judge)

    @cached_property
    def issues(self):
        from nlp_service.services.issues import IssueService

        return IssueService(self.db, lambda: self.indexes, lambda: self.pair_judge)

    @cached_property
    def news(self):
        from nlp_service.services.news import NewsService

        return NewsService(self.db, self.analyzer, lambda: self.router.model.topic, lambda: self.indexes,
                           self.settings.max_text_chars)

    @cached_property
    def reports(self):
        from nlp_service.services.reports import ReportService

        return ReportService(self.db, lambda: self.pipeline.taxonomy, self.issues,
                             self.settings.data_dir / "reports")
