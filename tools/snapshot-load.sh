#!/usr/bin/env bash
# A snapshot of a large store must not cost the cluster its leader: three release members
# (--snapshot-count 3000) take 4,000 puts of 256 KiB (1 GB) from etcdbench, each member
# snapshotting ~750 MB on the way. Passes when no member saw a leader change and no put
# failed. Needs ~4 GB of memory and 3 GB of disk; not part of `make test`.
#
#   tools/snapshot-load.sh [FERRY_BINARY]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$ROOT/.build/release/ferry}
BENCH=$ROOT/.build/etcdbench
[ -x "$BIN" ] || { echo "snapshot-load.sh: $BIN is missing (make release)" >&2; exit 1; }
[ -x "$BENCH" ] || { echo "snapshot-load.sh: $BENCH is missing (run tools/bench-vs-etcd once)" >&2; exit 1; }
BASE=23000
WORK=$(mktemp -d -p "$ROOT/.build")
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
source "$ROOT/tools/local-cluster.sh"
start_local_cluster "$BIN" "$BASE" "$WORK" snapshot-load --snapshot-count 3000 --quota-backend-bytes 8000000000
changes() {
    for i in 1 2 3; do
        curl -s "http://127.0.0.1:$((BASE + i))/metrics" | awk '/^etcd_server_leader_changes_seen_total/ { printf "%s ", $2 }'
    done
}
for _ in $(seq 150); do [ "$(changes | wc -w)" = 3 ] && [ "$(changes)" != "0 0 0 " ] && break; sleep 0.2; done
before=$(changes)
result=$("$BENCH" -endpoints "$ENDPOINTS" -op put -clients 16 -conns 4 -total 4000 -val-size 262144 -key-space 4000 2>/dev/null)
sleep 2
after=$(changes)
echo "$result"
grep -ho '"saved snapshot"[^}]*' "$WORK"/m*.log | sed 's/^/  /'
echo "leader changes seen by m1 m2 m3: before $before, after $after"
errors=$(echo "$result" | python3 -c 'import json, sys; print(json.load(sys.stdin)["errors"])')
if [ "$before" != "$after" ] || [ "$errors" != 0 ]; then
    echo "snapshot-load: FAIL (a leader change or failed puts while ~750 MB snapshots were taken)"
    exit 1
fi
echo "snapshot-load: PASS (no leader change, no failed put)"
