#!/usr/bin/env bash
# Server CPU per call split into user and kernel time, at one fixed load:
#   bench/stateful/cpu_split.sh RATE CALLS [ROOT ...]
# For each ROOT (an import root holding a siprouter package, e.g. a copy of
# an older tree; "cur" = the installed package) the stateful server is started
# pinned to CPU 1, the shared harness's run-load.sh sends CALLS calls at RATE
# calls/s (SIPp on CPU 0), and utime/stime of the server process are read from
# /proc before and after. Prints one line per ROOT:
#   ROOT rate=R user_us=U sys_us=S failed=F retrans=N p99=MS other_cpu=S
# Bounded: CALLS/RATE s of sending plus run-load.sh's grace per ROOT.
# Loopback only (127.0.0.1:5078, SIPp UAS on a random even port 6000-9998).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
HARNESS=${HARNESS:-/work/shared/bench}
RATE=${1:?rate}; CALLS=${2:?calls}; shift 2
[ $# -gt 0 ] || set -- cur
TICK=$(getconf CLK_TCK)
for ROOT in "$@"; do
  PP=$ROOT; [ "$ROOT" = cur ] && PP=
  log=$(mktemp /tmp/cpu_split.XXXXXX)
  (cd "$HERE" && PYTHONPATH=$PP exec setsid taskset -c 1 python3 -m siprouter.core.server stateful.toml) >"$log" 2>&1 &
  SP=$!
  for _ in $(seq 50); do ss -Hlun "sport = :5078" 2>/dev/null | grep -q . && break; sleep 0.1; done
  read -r u1 s1 < <(awk '{print $14, $15}' /proc/$SP/stat)
  line=$(UAS_PORT=$((6000 + RANDOM % 2000 * 2)) SERVER_PGID=$SP "$HARNESS/run-load.sh" 127.0.0.1:5078 call "$RATE" "$CALLS" 2>/dev/null)
  read -r u2 s2 < <(awk '{print $14, $15}' /proc/$SP/stat)
  kill "$SP"; wait "$SP" 2>/dev/null
  f() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $line"; }
  echo "$ROOT rate=$RATE user_us=$(( (u2 - u1) * 1000000 / TICK / CALLS )) sys_us=$(( (s2 - s1) * 1000000 / TICK / CALLS )) failed=$(f calls_failed) retrans=$(f retrans) p99=$(f p99_ms) other_cpu=$(f other_cpu_s)"
  rm -f "$log"
done
