"""Helpers shared by the bench scripts: where the real data is, and a skip message when it is absent."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))


def need(path: Path) -> Path:
    if not path.exists():
        print(f"skipped: {path} is absent (the real data lives in ../shared/data beside the checkout)")
        raise SystemExit(0)
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))
