"""Features for the classifiers: word uni/bigrams and character 1-3 grams, both TF-IDF.

Characters catch typos and words jieba splits oddly; words catch phrases. Both come from the segmenter's
tokens, so training on pre-segmented data and predicting on raw text see the same thing.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer


def _word_ngrams(tokens: list[str]) -> list[str]:
    return tokens + [f"{a}_{b}" for a, b in itertools.pairwise(tokens)]


def _identity(x: Any) -> Any:
    return x


class TokenFeatures(BaseEstimator, TransformerMixin):
    """Input: lists of tokens. Output: one sparse matrix of word and character TF-IDF."""

    def __init__(self, min_df: int = 2, char_ngrams: tuple[int, int] = (1, 3), max_char_features: int = 300_000
                 ) -> None:
        self.min_df = min_df
        self.char_ngrams = char_ngrams
        self.max_char_features = max_char_features

    def fit(self, docs: list[list[str]], y: Any = None) -> TokenFeatures:
        self.words_ = TfidfVectorizer(analyzer=_word_ngrams, sublinear_tf=True, min_df=self.min_df)
        self.chars_ = TfidfVectorizer(analyzer="char", ngram_range=self.char_ngrams, sublinear_tf=True,
                                      min_df=self.min_df, max_features=self.max_char_features)
        self.words_.fit(docs)
        self.chars_.fit(["".join(d) for d in docs])
        self.feature_names_ = np.concatenate([self.words_.get_feature_names_out(),
                                              self.chars_.get_feature_names_out()])
        return self

    def transform(self, docs: list[list[str]]) -> csr_matrix:
        return hstack([self.words_.transform(docs), self.chars_.transform(["".join(d) for d in docs])]).tocsr()
