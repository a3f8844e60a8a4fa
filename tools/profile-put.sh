#!/usr/bin/env bash
# Profiles Ferry's write path: a three-member release cluster on loopback under etcdbench
# puts (64 clients over 8 connections, as tools/bench-vs-etcd runs them), with `perf record`
# on the leader and on one follower. Prints the CPU each member spent per put, then where the
# leader and the follower spend it: by library, the hottest symbols, and Ferry's layers with
# their callees. `--server /usr/bin/etcd` profiles etcd the same way. Not part of `make test`.
#
#   tools/profile-put.sh [--server PATH] [--clients N] [--total N] [--val-size BYTES] [--keep DIR]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
FERRY=$ROOT/.build/release/ferry
ETCDBENCH=$ROOT/.build/etcdbench
CLIENTS=64
TOTAL=60000
VALUE=256
KEEP=
BASE=22000
while [ $# -gt 0 ]; do
    case $1 in
        --server) FERRY=$2; shift 2 ;;
        --clients) CLIENTS=$2; shift 2 ;;
        --total) TOTAL=$2; shift 2 ;;
        --val-size) VALUE=$2; shift 2 ;;
        --keep) KEEP=$2; shift 2 ;;
        *) echo "profile-put.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
command -v perf >/dev/null || { echo "profile-put.sh: perf is missing (apt-get install linux-perf)" >&2; exit 1; }
[ -x "$FERRY" ] || { echo "profile-put.sh: $FERRY is missing (make release)" >&2; exit 1; }
FERRY=$(cd "$(dirname "$FERRY")" && pwd)/$(basename "$FERRY")
[ -x "$ETCDBENCH" ] || { echo "profile-put.sh: $ETCDBENCH is missing (run tools/bench-vs-etcd once)" >&2; exit 1; }

WORK=${KEEP:-$(mktemp -d)}
mkdir -p "$WORK"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [ -n "$KEEP" ] || rm -rf "$WORK"
}
trap cleanup EXIT

source "$ROOT/tools/local-cluster.sh"
start_local_cluster "$FERRY" "$BASE" "$WORK" profile

leader=
for _ in $(seq 150); do
    for i in 1 2 3; do
        if curl -s "http://127.0.0.1:$((BASE + i))/metrics" 2>/dev/null | grep -q '^etcd_server_is_leader 1'; then leader=$i; fi
    done
    [ -n "$leader" ] && break
    sleep 0.2
done
[ -n "$leader" ] || { echo "profile-put.sh: no leader in 30 s (logs in $WORK)" >&2; KEEP=$WORK; exit 1; }
follower=$(( leader % 3 + 1 ))

"$ETCDBENCH" -endpoints "$ENDPOINTS" -op put -clients 64 -conns 8 -total 5000 >/dev/null  # warm-up
perf record -F 2000 -g -o "$WORK/leader.data" -p "${PIDS[$((leader - 1))]}" >/dev/null 2>&1 &
PERF_LEADER=$!
perf record -F 2000 -g -o "$WORK/follower.data" -p "${PIDS[$((follower - 1))]}" >/dev/null 2>&1 &
PERF_FOLLOWER=$!
sleep 0.5
echo "== load: put, $CLIENTS clients over 8 connections, $TOTAL requests of $VALUE-byte values, to all three members"
cpu_ticks() { for pid in "${PIDS[@]}"; do awk '{ print $14 + $15 }' "/proc/$pid/stat"; done; }
before=($(cpu_ticks))
"$ETCDBENCH" -endpoints "$ENDPOINTS" -op put -clients "$CLIENTS" -conns 8 -total "$TOTAL" -val-size "$VALUE"
after=($(cpu_ticks))
hz=$(getconf CLK_TCK)
for i in 1 2 3; do
    ticks=$(( after[i - 1] - before[i - 1] ))
    role=follower; [ "$i" = "$leader" ] && role=leader
    echo "m$i ($role): $(awk -v t="$ticks" -v hz="$hz" -v n="$TOTAL" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }') CPU µs per put (perf sampling included)"
done
kill -INT $PERF_LEADER $PERF_FOLLOWER
wait $PERF_LEADER $PERF_FOLLOWER 2>/dev/null || true

# Functions that stand for a layer of the write path, for the callers-included view.
LAYERS='processReady|WAL.*save|WALEncoder|fdatasync|fsync|KVStateMachine.*apply|applyEntries|Transport.*send|Transport.*route|HTTP2Session.*(receive|output)|nghttp2_session_mem_recv|GRPCServer|KVService|protobuf_c_message_(un)?pack|RawNode.*(ready|step|advance)|sendmsg|writev|epoll_wait|MVCC|Backend'
set +o pipefail  # `head` ends the reports early
for role in leader follower; do
    echo
    echo "== $role: CPU by library"
    perf report -i "$WORK/$role.data" --no-children --sort dso --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -12
    echo "== $role: hottest symbols"
    perf report -i "$WORK/$role.data" --no-children --sort dso,symbol --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -40 \
        | cut -c1-160
    echo "== $role: CPU under Ferry's own layers (callers included)"
    perf report -i "$WORK/$role.data" --children --sort symbol --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' \
        | grep -E "$LAYERS" | head -25 | cut -c1-160
done
