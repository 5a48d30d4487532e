"""Bounded load test of the HTTP service on 127.0.0.1: submit and search at concurrency 1, 8 and 32.

Starts `nlp-service serve` on a free port with a throw-away data directory (the embedded corpus, the real
models), makes a staff key, and sends a fixed number of requests per level. Prints requests/s, p50, p99 and
errors. Nothing leaves this machine.

Run: .venv/bin/python bench/bench_load.py [--requests 64]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
from _common import ROOT

TEXTS = ["小区门口的红绿灯坏了三天了，早高峰特别堵，请交警部门尽快修复。",
         "建议在高新区增设一所公办小学，解决学位紧张问题。",
         "楼下烧烤店油烟太大，晚上还很吵，希望环保部门管一管。", "老旧小区加装电梯补贴什么时候发放？",
         "公司拖欠三个月工资不发，劳动监察能不能管？", "地铁站出口共享单车乱停，盲道都被占了。"]
QUERIES = ["地铁过街通道", "加装电梯", "拖欠工资", "学位紧张", "油烟扰民", "公交线路"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def level(client: httpx.AsyncClient, kind: str, concurrency: int, total: int) -> dict[str, float]:
    lat: list[float] = []
    errors = 0
    sem = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        nonlocal errors
        async with sem:
            t0 = time.perf_counter()
            if kind == "submit":
                r = await client.post("/v1/suggestions", json={"body": f"{TEXTS[i % len(TEXTS)]}（第{i}条）"})
            else:
                r = await client.get("/v1/search", params={"q": QUERIES[i % len(QUERIES)], "limit": 20})
            lat.append((time.perf_counter() - t0) * 1000)
            if r.status_code >= 400:
                errors += 1

    t0 = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(total))), timeout=600)
    wall = time.perf_counter() - t0
    return {"rps": total / wall, "p50": float(np.percentile(lat, 50)), "p99": float(np.percentile(lat, 99)),
            "errors": errors}


async def run(base: str, key: str, total: int) -> None:
    async with httpx.AsyncClient(base_url=base, headers={"X-API-Key": key}, timeout=120) as client:
        print(f"{'endpoint':<8}{'conc':>6}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
        for kind in ("submit", "search"):
            for c in (1, 8, 32):
                m = await level(client, kind, c, total)
                print(f"{kind:<8}{c:>6}{m['rps']:>9.1f}{m['p50']:>9.1f}{m['p99']:>9.1f}{m['errors']:>8}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=64, help="requests per endpoint and concurrency level")
    args = ap.parse_args()
    cli = [sys.executable, "-m", "nlp_service.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "NLP_DATA_DIR": tmp, "NLP_LOG_LEVEL": "warning"}
        subprocess.run([*cli, "setup"], env=env, cwd=ROOT, check=True, capture_output=True)
        made = subprocess.run([*cli, "keys", "create", "load-test", "--role", "staff"], env=env, cwd=ROOT,
                              check=True, capture_output=True, text=True)
        key = json.loads(made.stdout)["key"]
        port = free_port()
        server = subprocess.Popen([*cli, "serve", "--port", str(port), "--skip-setup"], env=env, cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(600):
                try:
                    if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            httpx.post(f"{base}/v1/route", json={"text": "预热"}, headers={"X-API-Key": key}, timeout=120)
            asyncio.run(run(base, key, args.requests))
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"(data directory {Path(tmp).name} removed)")


if __name__ == "__main__":
    main()
