"""Hot issues as events: complete-linkage groups over the pair decision's confident pairs.

Only the grouping step is here so far: candidate pairs (from the vector index) scored by the pair model
(``PairModel.probabilities``) come in as ``{(a, b): probability}``; pairs below the model's threshold or in
``excluded_pairs`` (staff "not a duplicate" answers) never link. Groups merge strongest pair first, and only
when every cross pair is itself confident (complete linkage), so no chain glues two events together.
"""

from __future__ import annotations


def group_events(n: int, probs: dict[tuple[int, int], float], threshold: float,
                 excluded_pairs: set[tuple[int, int]] | None = None) -> list[list[int]]:
    """Groups (of at least two rows) of ``n`` rows, biggest first."""
    banned = {(min(a, b), max(a, b)) for a, b in (excluded_pairs or set())}
    ok = {(min(a, b), max(a, b)): p for (a, b), p in probs.items()
          if p >= threshold and (min(a, b), max(a, b)) not in banned}
    group_of = list(range(n))
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    for (a, b), _ in sorted(ok.items(), key=lambda kv: (-kv[1], kv[0])):
        ga, gb = group_of[a], group_of[b]
        if ga == gb:
            continue
        if not all((min(x, y), max(x, y)) in ok for x in members[ga] for y in members[gb]):
            continue
        for y in members[gb]:
            group_of[y] = ga
        members[ga] += members.pop(gb)
    groups = [sorted(m) for m in members.values() if len(m) >= 2]
    return sorted(groups, key=lambda g: (-len(g), g[0]))
