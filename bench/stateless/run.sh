#!/usr/bin/env bash
# Highest call rate siprouter relays statelessly with no failed calls.
# Uses the shared harness: the server is started pinned to CPU $SERVER_CPU
# (taskset, own process group), SIPp UAC+UAS on CPU $SIPP_CPU, loopback only.
#   bench/stateless/run.sh [extra find-max.sh args, e.g. -r "200 400 800" -d 5]
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
HARNESS=${HARNESS:-/work/shared/bench}
PY=${PYTHON:-$(command -v python3)}
exec "$HARNESS/find-max.sh" -t 127.0.0.1:5066 \
  -s "exec $PY -m siprouter.core.server $HERE/stateless.toml" "$@"
