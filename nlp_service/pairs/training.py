"""Labelled pairs from the database: the corpus's marked duplicate groups, merges (并案) and staff "same issue?"
answers. training/train_pair_model.py trains on public paraphrase pairs; these are the service's own."""

from __future__ import annotations

import random
from collections import defaultdict
from itertools import combinations

from sqlalchemy import select
from sqlalchemy.orm import Session

from nlp_service.storage.models import PairJudgement, Suggestion

MAX_GROUP = 8  # pairs from at most this many members of one group, so one big group does not dominate


def stored_pairs(session: Session, negatives_per_positive: int = 2, seed: int = 0) -> list[tuple[int, int, int]]:
    """(id a, id b, 1 same / 0 not): staff answers win over everything else; random pairs across groups are
    the negatives the answers do not give."""
    groups: dict[str, list[int]] = defaultdict(list)
    merged: list[tuple[int, int]] = []
    ids = []
    for sid, group, into in session.execute(select(Suggestion.id, Suggestion.dup_group, Suggestion.merged_into)):
        ids.append(sid)
        if group:
            groups[group].append(sid)
        if into:
            merged.append((sid, into))
    label: dict[tuple[int, int], int] = {}
    for members in groups.values():
        for a, b in combinations(sorted(members)[:MAX_GROUP], 2):
            label[(a, b)] = 1
    for a, b in merged:
        label[(min(a, b), max(a, b))] = 1
    group_of = {i: g for g, members in groups.items() for i in members}
    rng = random.Random(seed)
    for _ in range(negatives_per_positive * len(label)):
        a, b = sorted(rng.sample(ids, 2))
        if (a, b) not in label and (group_of.get(a) is None or group_of.get(a) != group_of.get(b)):
            label[(a, b)] = 0
    for a, b, same in session.execute(select(PairJudgement.a_id, PairJudgement.b_id, PairJudgement.same)):
        label[(a, b)] = int(same)
    return [(a, b, y) for (a, b), y in sorted(label.items())]
