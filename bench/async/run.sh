#!/usr/bin/env bash
# run.sh - siprouter's async paths under load, measured with the shared SIPp harness.
#
#   bench/async/run.sh [-q] [-o OUT_DIR]
#
# 1. /work/shared/bench/async-check.sh against async.toml (light + 300/s x 10 s
#    per path, taskslow at 3/s and 8/s) - the same runs as the Kamailio baseline.
# 2. 300 calls/s for 30 s through each of resume / sleep / task (run-load.sh).
# 3. memory per suspended transaction (mem_per_suspended.py, in process).
# Then the server's own counters (suspended_peak ...) from its shutdown log line.
# -q: only the quick async-check runs and a 100/s x 10 s load.  Loopback only.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SHARED=${SHARED_BENCH:-$(cd "$HERE/../../../shared/bench" 2>/dev/null && pwd || echo /work/shared/bench)}
QUICK=0 OUT=
while getopts "qo:" o; do case $o in q) QUICK=1;; o) OUT=$OPTARG;; *) exit 2;; esac; done
OUT=${OUT:-$(mktemp -d /tmp/siprouter-async-bench.XXXXXX)}
mkdir -p "$OUT"
PORT=5076
CMD="cd $HERE && exec python -m siprouter.core.server async.toml"
echo "# siprouter async bench $(date -u +%FT%TZ) out=$OUT"

# 1. the reference check (starts and stops its own server)
LOG_DIR="$OUT/check" && mkdir -p "$LOG_DIR"
LOG_DIR=$LOG_DIR "$SHARED/async-check.sh" $([ $QUICK = 1 ] && echo -q) -t 127.0.0.1:$PORT -s "$CMD"

# 2. sustained load, one server for all three paths
. "$SHARED/lib-server.sh"
trap stop_server EXIT
start_server "$CMD" $PORT "$OUT/server.log" || exit 2
RATE=300 CALLS=9000
[ $QUICK = 1 ] && RATE=100 CALLS=1000
P=5190
for u in resume sleep task; do
  echo "load user=$u $(USER_PART=$u SERVER_PGID=$SERVER_PGID OUT_DIR="$OUT/load-$u" UAS_PORT=$P \
        UAC_PORT=$((P + 1)) "$SHARED/run-load.sh" 127.0.0.1:$PORT call $RATE $CALLS)"
  P=$((P + 2))
done
echo "server_mem $("$SHARED/mem.sh" "$SERVER_PGID")"
stop_server
grep -h "stats at shutdown" "$OUT/server.log" | tail -1

# 3. memory per suspended transaction
(cd "$HERE/../.." && python bench/async/mem_per_suspended.py 10000 2>/dev/null | tail -1)
