"""Text classifiers: features, calibrated models, evaluation, artifacts."""
