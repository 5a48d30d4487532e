from nlp_service.issues.events import group_events


def test_complete_linkage_does_not_chain():
    # 0~1 and 1~2 are confident but 0~2 is not: no group holds both 0 and 2
    groups = group_events(3, {(0, 1): 0.95, (1, 2): 0.9, (0, 2): 0.2}, 0.7)
    assert groups == [[0, 1]]


def test_same_event_many_submitters_groups():
    probs = {(a, b): 0.9 for a in range(4) for b in range(a + 1, 4)}
    assert group_events(5, probs, 0.7) == [[0, 1, 2, 3]]


def test_excluded_pairs_never_link():
    probs = {(0, 1): 0.99, (2, 3): 0.9}
    assert group_events(4, probs, 0.7, excluded_pairs={(1, 0)}) == [[2, 3]]
