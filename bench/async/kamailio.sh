#!/usr/bin/env bash
# kamailio.sh - Kamailio's async module under the same loads as run.sh, for a
# side-by-side figure in one sitting.
#
#   bench/async/kamailio.sh [-o OUT_DIR] [-d SECONDS] [-r RATE]
#
# Starts Kamailio (Debian package) with the shared reference config
# /work/shared/bench/kamailio/async.cfg (1 UDP child, async workers = 2,
# async_workers = 4, 256 MB shm) on 127.0.0.1:5074 and runs RATE (300) calls/s
# for SECONDS (30) through each of its paths: resume (async_route 1 s),
# sleep (async_sleep 1 s), task (async_task_route).  Kamailio has no ms path in
# that config.  Every load is bounded (run-load.sh); loopback only.  Wrap in
# `flock /tmp/siprouter-bench.lock` on a shared machine.
set -u
SHARED=${SHARED_BENCH:-/work/shared/bench}
OUT= SECS=30 RATE=300
while getopts "o:d:r:" o; do
  case $o in o) OUT=$OPTARG;; d) SECS=$OPTARG;; r) RATE=$OPTARG;; *) exit 2;; esac
done
[[ $SECS =~ ^[0-9]+$ && $SECS -ge 1 && $SECS -le 120 ]] || { echo "kamailio.sh: -d 1..120" >&2; exit 2; }
[[ $RATE =~ ^[0-9]+$ && $RATE -ge 1 && $RATE -le 2000 ]] || { echo "kamailio.sh: -r 1..2000" >&2; exit 2; }
OUT=${OUT:-$(mktemp -d /tmp/kamailio-async-bench.XXXXXX)}
mkdir -p "$OUT"
PORT=5074
echo "# kamailio async bench $(date -u +%FT%TZ) out=$OUT"
. "$SHARED/lib-server.sh"
trap stop_server EXIT
start_server "SHM_MB=256 $SHARED/kamailio/kam.sh $SHARED/kamailio/async.cfg 1" $PORT "$OUT/server.log" || exit 2
P=5190
for u in resume sleep task; do
  LD="$OUT/load-$u"; mkdir -p "$LD"
  echo "load user=$u $(USER_PART=$u SERVER_PGID=$SERVER_PGID OUT_DIR="$LD" UAS_PORT=$P \
        UAC_PORT=$((P + 1)) "$SHARED/run-load.sh" 127.0.0.1:$PORT call $RATE $((RATE * SECS)))"
  P=$((P + 2))
done
echo "server_mem $("$SHARED/mem.sh" "$SERVER_PGID")"
exit 0
