"""Issue clusters with ids that stay put: compute from the stored vectors, persist, and match on re-runs.

The state lives in ``issue_clusters`` (centroid, label, members, radius, first/last seen). A re-computation
starts from the stored centroids (see kmeans.py for why), adds seeds for groups of new items that fit no
cluster and for growth of the corpus, then matches each new cluster to the old one with the nearest centroid
(one-to-one, Hungarian, centred cosine >= kmeans.MATCH_THRESHOLD). Matched clusters keep their id; the rest
get fresh ids (never reused) and are flagged new; old clusters left unmatched are retired, not deleted.

Without re-computation, items keep their stored cluster and items added since are placed in the nearest one,
so a read never writes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nlp_service.index.store import IndexStore
from nlp_service.issues.kmeans import (
    assign,
    choose_k,
    drop_empty,
    fresh_centroids,
    match,
    new_group_seeds,
    plusplus_seeds,
    radii,
    refine,
    unit_rows,
)
from nlp_service.issues.labels import cluster_terms, ctfidf
from nlp_service.storage.models import IssueCluster, utcnow

N_KEYWORDS = 6
LABEL_WORDS = 3
# One clustering transaction at a time in this process: two concurrent re-computations would hand out the
# same fresh ids. Hold it around the session that calls ``assignments``.
LOCK = threading.Lock()


@dataclass
class ClusterInfo:
    """One cluster's stored description, detached from the session."""

    id: int
    label: str
    keywords: list[dict[str, Any]]
    centroid: np.ndarray
    is_new: bool
    first_seen: datetime
    last_seen: datetime
    match_similarity: float | None = None  # centred cosine to the old centroid it was matched to, this run


@dataclass
class Assignment:
    """Which cluster each item is in and how close to its centre (cosine)."""

    clusters: dict[int, ClusterInfo] = field(default_factory=dict)
    cluster_of: dict[int, int] = field(default_factory=dict)
    similarity: dict[int, float] = field(default_factory=dict)
    recomputed: bool = False
    model: str = ""

    def members(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {c: [] for c in self.clusters}
        for item, c in self.cluster_of.items():
            out[c].append(item)
        return {c: sorted(v) for c, v in out.items()}


def _vectors(store: IndexStore) -> tuple[list[int], np.ndarray]:
    index = store.vectors["suggestion"]
    ids = sorted(index.ids())
    if not ids:
        return [], np.zeros((0, index.dim), np.float32)
    return ids, unit_rows(np.stack([index.vector(i) for i in ids]))


def _centroid(row: IssueCluster) -> np.ndarray:
    return np.frombuffer(row.centroid, np.float32)


def _info(row: IssueCluster, match_similarity: float | None = None) -> ClusterInfo:
    return ClusterInfo(row.id, row.label, list(row.keywords or []), _centroid(row), row.is_new, row.first_seen,
                       row.last_seen, match_similarity)


def active_state(session: Session, model: str, dim: int) -> list[IssueCluster]:
    """Active clusters computed with this embedding model (centroids of another model are not comparable)."""
    rows = session.scalars(select(IssueCluster).where(IssueCluster.active).order_by(IssueCluster.id)).all()
    return [r for r in rows if r.model == model and len(r.centroid) == 4 * dim]


def recompute(session: Session, store: IndexStore) -> Assignment:
    """Cluster every suggestion with a vector, give each cluster a stable id and store the new state."""
    ids, x = _vectors(store)
    old = active_state(session, store.model_name, x.shape[1])
    if not ids:
        _retire(session, keep=set())
        return Assignment(recomputed=True, model=store.model_name)
    if old:
        old_c = np.stack([_centroid(r) for r in old])
        known = {m for r in old for m in r.members}
        new_rows = [r for r, i in enumerate(ids) if i not in known]
        init = np.vstack([old_c, new_group_seeds(x[new_rows], old_c, np.array([r.radius for r in old]))])
        grow = choose_k(len(ids)) - max(choose_k(len(known)), len(init))
        init = np.vstack([init, plusplus_seeds(x, init, grow)])
        centroids, labels = refine(x, init)
    else:
        centroids, labels = refine(x, fresh_centroids(x, choose_k(len(ids))))
    centroids, labels, _ = drop_empty(centroids, labels)
    sims = np.einsum("ij,ij->i", x, centroids[labels])
    matched = match(centroids, np.stack([_centroid(r) for r in old]), x.mean(0)) if old else {}

    sizes = np.bincount(labels, minlength=len(centroids))
    next_id = (session.scalar(select(func.max(IssueCluster.id))) or 0) + 1
    cid: dict[int, int] = {}
    for c in sorted(range(len(centroids)), key=lambda c: (-sizes[c], c)):  # fresh ids go to big clusters first
        if c in matched:
            cid[c] = old[matched[c][0]].id
        else:
            cid[c], next_id = next_id, next_id + 1
    members = {cid[c]: [ids[r] for r in np.flatnonzero(labels == c)] for c in cid}
    keywords = ctfidf(cluster_terms(members, store.keywords["suggestion"].terms_of), N_KEYWORDS)
    radius = radii(sims, labels, len(centroids))

    now = utcnow()
    _retire(session, keep=set(cid.values()))
    out = Assignment(recomputed=True, model=store.model_name)
    for c, cluster_id in cid.items():
        row = session.get(IssueCluster, cluster_id) or IssueCluster(id=cluster_id, first_seen=now)
        words = [w for w, _ in keywords.get(cluster_id, [])]
        row.model, row.centroid = store.model_name, centroids[c].astype(np.float32).tobytes()
        row.label = "、".join(words[:LABEL_WORDS])[:255]
        row.keywords = [{"word": w, "score": s} for w, s in keywords.get(cluster_id, [])]
        row.size, row.radius, row.members = int(sizes[c]), float(radius[c]), members[cluster_id]
        row.is_new = bool(old) and c not in matched
        row.active, row.last_seen = True, now
        session.add(row)
        out.clusters[cluster_id] = _info(row, matched[c][1] if c in matched else None)
    session.flush()
    for r, item in enumerate(ids):
        out.cluster_of[item] = cid[int(labels[r])]
        out.similarity[item] = float(sims[r])
    return out


def _retire(session: Session, keep: set[int]) -> None:
    for row in session.scalars(select(IssueCluster).where(IssueCluster.active)):
        if row.id not in keep:
            row.active = False


def current(session: Session, store: IndexStore) -> Assignment | None:
    """The stored clusters, with items added since placed in the nearest one; None when nothing is stored."""
    ids, x = _vectors(store)
    old = active_state(session, store.model_name, x.shape[1])
    if not old:
        return None
    out = Assignment(clusters={r.id: _info(r) for r in old}, model=store.model_name)
    row_of = {item: r for r, item in enumerate(ids)}
    centroids = np.stack([_centroid(r) for r in old])
    stored: dict[int, int] = {}
    for k, r in enumerate(old):
        for m in r.members:
            if m in row_of:
                stored[m] = k
    fresh = [item for item in ids if item not in stored]
    if fresh:
        labels, sims = assign(x[[row_of[i] for i in fresh]], centroids)
        for item, k, s in zip(fresh, labels.tolist(), sims.tolist(), strict=True):
            out.cluster_of[item], out.similarity[item] = old[k].id, s
    if stored:
        items = list(stored)
        rows, ks = [row_of[i] for i in items], [stored[i] for i in items]
        sims = np.einsum("ij,ij->i", x[rows], centroids[ks])
        for item, k, s in zip(items, ks, sims.tolist(), strict=True):
            out.cluster_of[item], out.similarity[item] = old[k].id, s
    return out


def assignments(session: Session, store: IndexStore, recompute_now: bool = False) -> Assignment:
    """The current clustering; computed (and stored) when asked or when none is stored yet."""
    if not recompute_now:
        found = current(session, store)
        if found is not None:
            return found
    return recompute(session, store)
