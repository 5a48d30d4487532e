"""Crash safety: SIGKILL a real process mid-import and mid-submission, restart, and check that the database and
the indexes agree and that nothing acknowledged was lost."""

import csv
import os
import random
import signal
import subprocess
import sys
import time

import pytest
from conftest import ROOT
from sqlalchemy import func, select

WORKER = ROOT / "tests" / "crash_worker.py"


def start(data_dir, models_dir, *args):
    return subprocess.Popen([sys.executable, str(WORKER), str(data_dir), str(models_dir), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT)


def wait_ready(proc):
    line = proc.stdout.readline()
    assert line.strip() == "READY", proc.stderr.read()


def reopen(data_dir, models_dir):
    sys.path.insert(0, str(ROOT / "tests"))
    from crash_worker import service

    return service(data_dir, models_dir)


def agree(svc):
    """After the start-up check, every stored suggestion is in both indexes and nothing else is."""
    from nlp_service.storage.models import Embedding, Suggestion

    svc.indexes.sync()
    with svc.db.session() as s:
        ids = set(s.scalars(select(Suggestion.id)))
        emb = set(s.scalars(select(Embedding.item_id).where(Embedding.kind == "suggestion")))
    assert ids == emb == svc.indexes.vectors["suggestion"].ids() == svc.indexes.keywords["suggestion"].ids()
    return ids


@pytest.mark.parametrize("seed", [1, 2])
def test_kill_during_submissions(tmp_path, seed, service):
    models = service.settings.models_dir  # the routing model trained for the session, used read-only
    proc = start(tmp_path, models, "submit", "400")
    wait_ready(proc)
    time.sleep(random.Random(seed).uniform(1.0, 3.0))
    proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate()
    acked = {int(line.split()[1]) for line in out.splitlines() if line.startswith("ACK")}
    assert acked, "the worker was killed before acknowledging anything; lengthen the wait"
    svc = reopen(tmp_path, models)
    ids = agree(svc)
    assert acked <= ids  # nothing acknowledged is lost


def test_kill_during_bulk_import(tmp_path, service):
    models = service.settings.models_dir
    big = tmp_path / "big.csv"
    with big.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["external_id", "title", "body"])
        for i in range(12_000):
            w.writerow([f"b{i}", f"建议{i}", f"第{i}条建议：希望增加社区养老服务点，方便老人就近用餐。"])
    proc = start(tmp_path, models, "import", str(big))
    wait_ready(proc)
    wal = tmp_path / "nlp_service.db-wal"
    start_size = wal.stat().st_size if wal.exists() else 0
    deadline = time.time() + 60
    while time.time() < deadline and (not wal.exists() or wal.stat().st_size < start_size + 512 * 1024):
        time.sleep(0.02)  # wait until the import is writing rows, then kill it in the middle
    os.kill(proc.pid, signal.SIGKILL)
    out, _ = proc.communicate()
    assert "ACK" not in out, "the import finished before the kill; make the file bigger"
    svc = reopen(tmp_path, models)
    from nlp_service.storage.models import Suggestion

    with svc.db.session() as s:
        assert s.scalar(select(func.count(Suggestion.id))) == 0  # all or nothing: no partial rows
    agree(svc)
    report = svc.suggestions.import_file(big, mode="all_or_nothing")  # and the same import then succeeds whole
    assert report["inserted"] == 12_000
    assert len(agree(svc)) == 12_000
