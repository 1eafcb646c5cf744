#!/usr/bin/env bash
# make test's two long parts side by side: the docs site (every notebook executed, one at a time, then the site built
# and checked: tools/docs.sh check) and pytest in two workers (pytest-xdist; tests/conftest.py hands them whole files,
# the longest first). Every process runs torch on one thread (the smoke preset's num_threads=1; here
# OMP_NUM_THREADS=1 for the rest): three single-threaded streams share two cores without the thread pool of one spinning
# on the core another needs. On a clean clone on 2 cores: 720 s, against 1,136 s one after the other on two threads.
# The docs log is kept in .test-logs/docs.log and printed when both are done; fails when either fails, naming it.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
mkdir -p .test-logs
t0=$SECONDS
# librosa's numba kernels, compiled once into NUMBA_CACHE_DIR (~37 s of CPU on a fresh machine) before the streams
# start, not by every process that starts before the first one has written them (~4 s when cached)
"$BIN/python" -c 'import librosa.core.audio, librosa.core.pitch, librosa.util.utils'
DOCS_JOBS=1 bash tools/docs.sh check > .test-logs/docs.log 2>&1 &
docs=$!
"$BIN/python" -m pytest -q -rs -n 2 --durations=15 tests &
pytest=$!
# Ctrl-C: background jobs ignore it, and a trap runs only once the foreground command ends (pytest-xdist can hang on
# a Ctrl-C that reaches its workers while they start), so both run in the background and `wait` is interrupted:
# the trap stops both process trees
tree() { echo "$1"; for c in $(pgrep -P "$1"); do tree "$c"; done; }
trap 'kill $(tree $pytest) $(tree $docs) 2>/dev/null; echo "make test: interrupted"; exit 130' INT TERM
wait $pytest
py=$?
echo "pytest finished after $((SECONDS - t0)) s; waiting for the docs site (log: .test-logs/docs.log)"
wait $docs
dc=$?
cat .test-logs/docs.log
echo "make test: pytest exit $py, docs check exit $dc, $((SECONDS - t0)) s side by side"
[ $py = 0 ] || echo "make test: pytest failed (above)"
[ $dc = 0 ] || echo "make test: the docs site failed (tools/docs.sh check; log above and in .test-logs/docs.log)"
[ $py = 0 ] && [ $dc = 0 ]
