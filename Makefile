# The two commands a newcomer needs: `make run` and `make test`. Each sets itself up from nothing.
.PHONY: run test setup lint bench

setup:
	./scripts/setup.sh

run: setup
	.venv/bin/nlp-service serve

test: setup
	.venv/bin/ruff check nlp_service tests bench
	.venv/bin/python -m pytest -q

bench: setup
	.venv/bin/python bench/bench_segment.py
	.venv/bin/python bench/bench_classify.py
