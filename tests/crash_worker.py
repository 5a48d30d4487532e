"""Run by test_crash.py in a child process that the test kills with SIGKILL at a random moment.

usage: crash_worker.py DATA_DIR MODELS_DIR (import CSV | submit N)
Prints "ACK <id>" only after the service call returned, i.e. after the commit.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fakes import HashingEncoder

from nlp_service.domain.records import SuggestionIn
from nlp_service.service import Service
from nlp_service.settings import Settings


def service(data_dir: Path, models_dir: Path) -> Service:
    root = Path(__file__).resolve().parent.parent
    svc = Service(Settings(data_dir=data_dir, models_dir=models_dir, corpora_dir=root / "corpora",
                           embedding_model=data_dir / "hashing-encoder"))
    svc.__dict__["encoder"] = HashingEncoder()
    return svc


def main() -> None:
    data_dir, models_dir, action, arg = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4]
    svc = service(data_dir, models_dir)
    svc.indexes  # noqa: B018 - open and sync before the work starts
    svc.routing.route("预热")  # load the segmenter and the routing model before the clock starts
    print("READY", flush=True)
    if action == "import":
        report = svc.suggestions.import_file(Path(arg), mode="all_or_nothing")
        print(f"ACK import {report['inserted']}", flush=True)
    else:
        for i in range(int(arg)):
            out = svc.suggestions.submit(SuggestionIn(external_id=f"c{i}", body=f"第{i}条：小区门口路灯坏了，晚上很黑，编号{i}"))
            print(f"ACK {out['id']}", flush=True)
            if i % 10 == 9:
                svc.indexes.save()


if __name__ == "__main__":
    main()
