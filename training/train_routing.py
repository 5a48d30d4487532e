"""Retrain the routing models from the database (embedded corpus + imports + staff corrections).

Run: .venv/bin/python training/train_routing.py [--config training/configs/routing.yaml] [--force]
or `nlp-service retrain`, which runs the same with the installed config.
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
    ap.add_argument("--force", action="store_true", help="replace the model in service even if worse")
    args = ap.parse_args()
    svc = Service()
    svc.routing.train(log=print, config=TrainConfig.from_file(args.config), force=args.force)
    print(f"wrote {svc.settings.routing_model_dir}")


if __name__ == "__main__":
    main()
