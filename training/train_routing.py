"""Retrain the routing models from the database (embedded corpus + imports + staff corrections).

Run: .venv/bin/python training/train_routing.py [--config training/configs/routing.yaml]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nlp_service.classify.training import TrainConfig
from nlp_service.service import Service


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--config", type=Path, default=Path(__file__).parent / "configs" / "routing.yaml")
    args = ap.parse_args()
    svc = Service()
    manifest = svc.routing.train(log=print, config=TrainConfig.from_file(args.config))
    print(f"wrote {svc.settings.routing_model_dir} (review threshold {manifest['review_threshold']:.3f})")


if __name__ == "__main__":
    main()
