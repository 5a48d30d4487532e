# The same set-up as `make run`: pinned dependencies (torch CPU first) and the models built into the image; the
# API on port 8000. No data and no keys in the image: the build's set-up (which trains the models) runs against
# a throw-away data directory deleted in the same layer, so no layer holds a database or a key. On a container's
# first start the entry point (scripts/docker-entrypoint.sh) runs `nlp-service setup` against NLP_DATA_DIR, the
# mounted volume: database, embedded corpus, indexes and a fresh staff and admin key in
# /var/lib/nlp_service/local-keys.json (mode 600), different for every volume; later starts skip what is done.
#   docker build -t nlp-service . && docker run -p 8000:8000 -v nlp-data:/var/lib/nlp_service nlp-service
FROM python:3.11-slim

ENV PIP_NO_CACHE_DIR=1 PYTHONUNBUFFERED=1 NLP_HOST=0.0.0.0 NLP_DATA_DIR=/var/lib/nlp_service \
    NLP_CORPORA_DIR=/app/corpora NLP_MODELS_DIR=/app/models
WORKDIR /app
# Chinese glyphs for the charts in XLSX reports.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-noto-cjk && rm -rf /var/lib/apt/lists/*

COPY requirements.txt constraints.txt ./
# torch first, pinned; point PIP_EXTRA_INDEX_URL at a CPU-only wheel index to keep the image small.
RUN pip install torch==2.13.0 \
 && pip install -r requirements.txt -c constraints.txt

COPY pyproject.toml README.md ./
COPY nlp_service ./nlp_service
COPY corpora ./corpora
COPY training ./training
RUN mkdir -p models && pip install --no-deps . \
 && NLP_DATA_DIR=/tmp/build-data nlp-service setup && rm -rf /tmp/build-data \
 && test ! -e /var/lib/nlp_service/local-keys.json
COPY scripts/docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN chmod 755 /usr/local/bin/docker-entrypoint.sh

VOLUME /var/lib/nlp_service
EXPOSE 8000
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["serve"]
