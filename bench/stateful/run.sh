#!/usr/bin/env bash
# Highest call rate siprouter relays statefully (tm) with no failed calls,
# and Kamailio's stateful reference config in the same sitting.
# Uses the shared harness: each server is started pinned to CPU 1 (taskset,
# own process group), SIPp UAC+UAS on CPU 0, loopback only.
#   bench/stateful/run.sh [siprouter|kamailio|both] [extra find-max.sh args, e.g. -r "100 200 400"]
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
HARNESS=${HARNESS:-/work/shared/bench}
PY=${PYTHON:-$(command -v python3)}
WHICH=${1:-both}
[ $# -gt 0 ] && shift
# GC_THRESHOLD=N: run siprouter with gc.set_threshold(N, 50, 100) (an experiment: the
# server itself keeps the interpreter's default (700, 10, 10)).
if [ "$WHICH" = siprouter ] || [ "$WHICH" = both ]; then
  if [ -n "${GC_THRESHOLD:-}" ]; then
    echo "== siprouter stateful (tm), gc threshold ${GC_THRESHOLD} =="
    SRV="exec $PY -c 'import gc, runpy; gc.set_threshold(${GC_THRESHOLD}, 50, 100); runpy.run_module(\"siprouter.core.server\", run_name=\"__main__\", alter_sys=True)' $HERE/stateful.toml"
  else
    echo "== siprouter stateful (tm) =="
    SRV="exec $PY -m siprouter.core.server $HERE/stateful.toml"
  fi
  "$HARNESS/find-max.sh" -t 127.0.0.1:5078 -s "$SRV" "$@"
fi
if [ "$WHICH" = kamailio ] || [ "$WHICH" = both ]; then
  echo "== kamailio 5.6 stateful.cfg, 1 child =="
  SHM_MB=${SHM_MB:-1024} "$HARNESS/find-max.sh" -t 127.0.0.1:5072 \
    -s "$HARNESS/kamailio/kam.sh $HARNESS/kamailio/stateful.cfg 1" "$@"
fi
