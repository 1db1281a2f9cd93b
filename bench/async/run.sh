#!/usr/bin/env bash
# run.sh - siprouter's async paths under load, measured with the shared SIPp harness.
#
#   bench/async/run.sh [-q] [-n] [-o OUT_DIR] [-d SECONDS] [-r RATE] [-p "PATHS"]
#
# 1. /work/shared/bench/async-check.sh against async.toml (light + 300/s x 10 s
#    per path, taskslow at 3/s and 8/s) - the same runs as the Kamailio baseline.
# 2. RATE (300) calls/s for SECONDS (30) through each path of PATHS (default
#    "resume sleep task msresume mssleep", see async.cfg) on one server
#    (run-load.sh), and after each path the server's own figure: how late the
#    resumed routes started (RPC async.latency, reset between paths), i.e. the
#    resume error (resume/sleep/msresume/mssleep) or the dispatch latency (task)
#    without the relay, the UAS and SIPp's 4 ms clock steps.
# 3. memory per suspended transaction (mem_per_suspended.py, in process).
# Then the server's own counters (suspended_peak ...) from its shutdown log line.
# -q: only the quick async-check runs and 100/s x 10 s loads.  -n: skip 1. and 3.
# LAUNCH=FILE.py: start the server as `python3 FILE.py async.toml` (a launcher with
# probes or switches) instead of `python3 -m siprouter.core.server`.
# Every load is bounded (run-load.sh); loopback only.  Wrap in
# `flock /tmp/siprouter-bench.lock` on a shared machine.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SHARED=${SHARED_BENCH:-$(cd "$HERE/../../../shared/bench" 2>/dev/null && pwd || echo /work/shared/bench)}
QUICK=0 SKIP=0 OUT= SECS=30 RATE=300 PATHS="resume sleep task msresume mssleep"
while getopts "qno:d:r:p:" o; do
  case $o in q) QUICK=1;; n) SKIP=1;; o) OUT=$OPTARG;; d) SECS=$OPTARG;; r) RATE=$OPTARG;;
             p) PATHS=$OPTARG;; *) exit 2;; esac
done
[[ $SECS =~ ^[0-9]+$ && $SECS -ge 1 && $SECS -le 120 ]] || { echo "run.sh: -d 1..120" >&2; exit 2; }
[[ $RATE =~ ^[0-9]+$ && $RATE -ge 1 && $RATE -le 2000 ]] || { echo "run.sh: -r 1..2000" >&2; exit 2; }
OUT=${OUT:-$(mktemp -d /tmp/siprouter-async-bench.XXXXXX)}
mkdir -p "$OUT"
PORT=5076
SOCK=/tmp/siprouter-$PORT.sock           # async.toml keeps the default rpc_socket
CMD="cd $HERE && exec python3 ${LAUNCH:--m siprouter.core.server} async.toml"
echo "# siprouter async bench $(date -u +%FT%TZ) out=$OUT"

# 1. the reference check (starts and stops its own server)
if [ $SKIP = 0 ]; then
  LOG_DIR="$OUT/check" && mkdir -p "$LOG_DIR"
  LOG_DIR=$LOG_DIR "$SHARED/async-check.sh" $([ $QUICK = 1 ] && echo -q) -t 127.0.0.1:$PORT -s "$CMD"
fi

# server-side lateness since the last reset, one line: "server_late user=U kind=K n=.. p50_ms=.. ..."
late() {  # user
  timeout 15 python3 -m siprouter.cli rpc -s "$SOCK" async.latency reset 2>/dev/null | python3 -c '
import json, sys
user = sys.argv[1]
try:
    data = json.load(sys.stdin)
except ValueError:
    print(f"server_late user={user} na"); sys.exit(0)
for kind, s in data.items():
    if s.get("n"):
        print(f"server_late user={user} kind={kind} " + " ".join(f"{k}={v}" for k, v in s.items()))
' "$1"
}

# 2. sustained load, one server for all paths
. "$SHARED/lib-server.sh"
trap stop_server EXIT
start_server "$CMD" $PORT "$OUT/server.log" || exit 2
CALLS=$((RATE * SECS))
[ $QUICK = 1 ] && RATE=100 CALLS=1000
P=5190
late warmup >/dev/null
for u in $PATHS; do
  # run-load.sh reads the first *_rtt.csv of its folder: never reuse one from an earlier run
  LD="$OUT/load-$u"; [ -e "$LD" ] && LD=$(mktemp -d "$OUT/load-$u.XXXXXX")
  echo "load user=$u $(USER_PART=$u SERVER_PGID=$SERVER_PGID OUT_DIR="$LD" UAS_PORT=$P \
        UAC_PORT=$((P + 1)) "$SHARED/run-load.sh" 127.0.0.1:$PORT call $RATE $CALLS)"
  late "$u"
  P=$((P + 2))
done
echo "server_mem $("$SHARED/mem.sh" "$SERVER_PGID")"
stop_server
grep -h "stats at shutdown" "$OUT/server.log" | tail -1

# 3. memory per suspended transaction
[ $SKIP = 0 ] && (cd "$HERE/../.." && python3 bench/async/mem_per_suspended.py 10000 2>/dev/null | tail -1)
exit 0
