#!/bin/sh
# The image's entry point. The image holds code, corpus and models, never data or keys: on a container's first
# start, `nlp-service setup` makes the database, loads the embedded corpus, builds the indexes and a fresh staff
# and admin key (local-keys.json, mode 600) in $NLP_DATA_DIR, the mounted volume; later starts find them there
# and skip what is done. Then it serves. Other commands run as given, after the same set-up:
#   docker run IMAGE                       set up the volume, then serve
#   docker run IMAGE serve --port 9000     the same, with serve's options
#   docker run IMAGE import /in/a.csv      set up, then `nlp-service import /in/a.csv`
#   docker run IMAGE sh                    sh, bash, python, nlp-service or a path: as given, no set-up
set -eu

: "${NLP_DATA_DIR:=/var/lib/nlp_service}"
export NLP_DATA_DIR
NLP_SERVICE=${NLP_SERVICE:-nlp-service}  # tests point this at a stand-in

if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then
    set -- serve "$@"  # no command, or only options: serve
fi
case $1 in
    */* | sh | bash | python | python3 | nlp-service) exec "$@" ;;  # a program: as given, no set-up
esac

umask 077  # the database and the key file hold personal data and secrets: readable by the service only
if ! mkdir -p "$NLP_DATA_DIR" 2>/dev/null; then
    echo "error: cannot make $NLP_DATA_DIR (NLP_DATA_DIR); mount a volume there" >&2
    exit 1
fi
if [ ! -w "$NLP_DATA_DIR" ]; then
    echo "error: $NLP_DATA_DIR is not writable by user $(id -u); mount a volume there that it may write" >&2
    exit 1
fi
if [ "$1" = setup ]; then
    exec "$NLP_SERVICE" "$@"
fi
"$NLP_SERVICE" setup
if [ "$1" = serve ]; then
    shift
    exec "$NLP_SERVICE" serve --skip-setup "$@"  # set up just above
fi
exec "$NLP_SERVICE" "$@"
