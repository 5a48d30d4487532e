"""Segmentation speed and agreement: jieba (reference) vs the project's fast path, same lines, one run.

Run: .venv/bin/python bench/bench_segment.py
"""

from __future__ import annotations

import time

from _common import ROOT, SHARED_DATA, need, read_csv

from nlp_service.domain.taxonomy import load_taxonomy
from nlp_service.text.normalize import normalize
from nlp_service.text.segment import build_segmenter


def main() -> None:
    rows = read_csv(need(SHARED_DATA / "messages_unlabeled_raw.csv"))
    rows += read_csv(need(SHARED_DATA / "messages_with_likes_raw.csv"))
    lines = [ln.strip() for r in rows for ln in normalize(f"{r['留言主题']}\n{r['留言详情']}").split("\n")
             if ln.strip()]
    mb = sum(len(ln.encode()) for ln in lines) / 1e6
    seg = build_segmenter(ROOT / "corpora", load_taxonomy(ROOT / "corpora"))
    for ln in lines[:200]:  # warm both engines
        seg.cut(ln), seg.reference_cut(ln)
    t0 = time.perf_counter()
    ref = [seg.reference_cut(ln) for ln in lines]
    t_ref = time.perf_counter() - t0
    t0 = time.perf_counter()
    fast = [seg.cut(ln) for ln in lines]
    t_fast = time.perf_counter() - t0
    same = sum(a == b for a, b in zip(ref, fast, strict=True)) / len(lines)
    print(f"{len(lines)} lines, {mb:.2f} MB of real messages (cleaned)")
    print(f"{'engine':<34}{'MB/s':>8}{'ratio':>8}")
    print(f"{'jieba Tokenizer.lcut (reference)':<34}{mb / t_ref:>8.2f}{1:>8.2f}")
    print(f"{'Segmenter.cut (rjieba + fix-ups)':<34}{mb / t_fast:>8.2f}{t_ref / t_fast:>8.2f}")
    print(f"lines segmented identically: {same:.4%}")


if __name__ == "__main__":
    main()
