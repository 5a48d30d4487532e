# The two commands a newcomer needs: `make run` and `make test`. Each sets itself up from nothing.
.PHONY: run test setup bench

setup:
	./scripts/setup.sh

run: setup
	.venv/bin/nlp-service serve

test: setup
	.venv/bin/ruff check nlp_service tests bench training
	.venv/bin/python -m pytest -q

bench: setup
	for b in segment classify embed duplicates pairs search news_links clusters report load batch; do \
	  .venv/bin/python bench/bench_$$b.py || exit 1; done
