#!/usr/bin/env bash
# Records a capture folder (../shared/captures/README.md) of a real etcd 3.4.23 cluster whose
# leader is SIGKILLed: three members on loopback with the README's flags (token
# capture-failover), tshark on the peer ports, an etcdctl workload (puts, a txn, a lease), the
# leader killed, a new leader awaited, puts, the killed member restarted on its data dir and
# awaited until caught up, more puts, a clean stop. Writes OUT/peers.pcapng, workload.log and
# mN/ (wal, snap, db-bytes.txt); tools/capture-extract.py then makes the ground truth.
# Every wait polls etcdctl with a deadline; loopback only; all it starts is stopped on exit.
#
# It runs in a network namespace of its own (unshare --net, as root): that loopback carries
# nothing but this cluster, and its ephemeral port range is narrowed (PORT_RANGE) so that the
# survivors' redials to the dead member reuse, within seconds, 4-tuples it left in TIME_WAIT:
# the dead member's kernel answers such a SYN with a stale ACK, the dialer resets and
# retransmits the same SYN, which tshark keeps in one tcp.stream.
#
#   tools/capture-etcd-failover.sh OUT
set -euo pipefail
if [ -z "${CAPTURE_FAILOVER_NETNS:-}" ]; then
    exec unshare --net env CAPTURE_FAILOVER_NETNS=1 "$0" "$@"
fi
ip link set lo up
echo "${PORT_RANGE:-40000 40199}" >/proc/sys/net/ipv4/ip_local_port_range
OUT=$(realpath -m "${1:?usage: capture-etcd-failover.sh OUT}")
ETCD=${ETCD:-/usr/bin/etcd}
ETCDCTL=${ETCDCTL:-/usr/bin/etcdctl}
for tool in "$ETCD" "$ETCDCTL" tshark python3; do
    command -v "$tool" >/dev/null || { echo "capture-etcd-failover: $tool is missing" >&2; exit 1; }
done
[ -e "$OUT/peers.pcapng" ] && { echo "capture-etcd-failover: $OUT already holds a capture" >&2; exit 1; }
mkdir -p "$OUT"
WORK=$(mktemp -d)
CLUSTER=m1=http://127.0.0.1:23801,m2=http://127.0.0.1:23802,m3=http://127.0.0.1:23803
ALL=127.0.0.1:23791,127.0.0.1:23792,127.0.0.1:23793
declare -A MEMBER_PID=()
TSHARK_PID=

cleanup() {
    local pid
    for pid in "${MEMBER_PID[@]}" $TSHARK_PID; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${MEMBER_PID[@]}" $TSHARK_PID; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

start_member() {
    local n=$1
    "$ETCD" --name "m$n" --data-dir "$WORK/m$n" --listen-client-urls "http://127.0.0.1:2379$n" \
        --advertise-client-urls "http://127.0.0.1:2379$n" --listen-peer-urls "http://127.0.0.1:2380$n" \
        --initial-advertise-peer-urls "http://127.0.0.1:2380$n" --initial-cluster "$CLUSTER" \
        --initial-cluster-state new --initial-cluster-token capture-failover --snapshot-count 50 \
        >>"$WORK/m$n.log" 2>&1 &
    MEMBER_PID[$n]=$!
}

ctl() {
    "$ETCDCTL" --command-timeout=5s "$@" 2>&1 | tee -a "$OUT/workload.log"
}

# status ENDPOINTS: one line per member that answered: "endpoint member leader raftIndex appliedIndex".
status() {
    { "$ETCDCTL" --endpoints "$1" --command-timeout=1s endpoint status -w json 2>/dev/null || true; } | python3 -c '
import json, sys
text = sys.stdin.read().strip()
for entry in json.loads(text) if text else []:
    s = entry["Status"]
    print(entry["Endpoint"], s["header"]["member_id"], s["leader"], s["raftIndex"], s.get("raftAppliedIndex", s["raftIndex"]))'
}

# wait_for WHAT SECONDS COMMAND...: polls COMMAND until it succeeds, failing after SECONDS.
wait_for() {
    local what=$1 deadline=$((SECONDS + $2))
    shift 2
    until "$@"; do
        [ "$SECONDS" -lt "$deadline" ] || { echo "capture-etcd-failover: timed out waiting for $what" >&2; exit 1; }
        sleep 0.1
    done
}

# One leader, the same for every endpoint of $1, among the members that answered, all answering.
agreed_leader() {
    local endpoints=$1 want=$2 lines
    lines=$(status "$endpoints")
    [ "$(grep -c . <<<"$lines")" = "$want" ] || return 1
    LEADER=$(awk '{ print $3 }' <<<"$lines" | sort -u)
    [ "$(wc -l <<<"$LEADER")" = 1 ] && [ "$LEADER" != 0 ] && awk -v l="$LEADER" '$2 == l { found = 1 } END { exit !found }' <<<"$lines"
}

leader_number() {
    status "$ALL" | awk -v l="$1" '$2 == l { split($1, a, ":"); print substr(a[2], 5) }'
}

# Every member answers and has applied what the leader had in its log when asked.
caught_up() {
    local lines target
    lines=$(status "$ALL")
    [ "$(grep -c . <<<"$lines")" = 3 ] || return 1
    target=$(awk -v l="$LEADER" '$2 == l { print $4 }' <<<"$lines")
    [ -n "$target" ] && awk -v t="$target" '$5 < t { behind = 1 } END { exit behind }' <<<"$lines"
}

capturing() { grep -q "Capturing on" "$WORK/tshark.log"; }
tshark -i lo -f 'tcp portrange 23801-23804' -w "$OUT/peers.pcapng" >"$WORK/tshark.log" 2>&1 &
TSHARK_PID=$!
wait_for "tshark to capture" 20 capturing

for n in 1 2 3; do start_member "$n"; done
wait_for "a leader" 30 agreed_leader "$ALL" 3
ctl --endpoints "$ALL" put /config/a 1
ctl --endpoints "$ALL" put /config/b 2
ctl --endpoints "$ALL" txn <<'EOF'
value("/config/a") = "1"

put /config/c 3

put /config/c 4

EOF
LEASE=$(ctl --endpoints "$ALL" lease grant 600 | awk '/granted/ { print $2 }')
ctl --endpoints "$ALL" put --lease="$LEASE" /session/one alive
ctl --endpoints "$ALL" lease keep-alive --once "$LEASE"
for i in $(seq 1 5); do ctl --endpoints "$ALL" put "/before/$i" "v$i"; done

OLD_LEADER=$LEADER
KILLED=$(leader_number "$OLD_LEADER")
[ -n "$KILLED" ] || { echo "capture-etcd-failover: no member has the leader's id $OLD_LEADER" >&2; exit 1; }
echo "SIGKILL m$KILLED (the leader, $(python3 -c "print(format($OLD_LEADER, 'x'))"))" >>"$OUT/workload.log"
kill -KILL "${MEMBER_PID[$KILLED]}"
wait "${MEMBER_PID[$KILLED]}" 2>/dev/null || true
unset "MEMBER_PID[$KILLED]"
SURVIVORS=$(for n in 1 2 3; do [ "$n" = "$KILLED" ] || printf '127.0.0.1:2379%s,' "$n"; done)
SURVIVORS=${SURVIVORS%,}
new_leader() { agreed_leader "$SURVIVORS" 2 && [ "$LEADER" != "$OLD_LEADER" ]; }
wait_for "a new leader" 30 new_leader
for i in $(seq 1 5); do ctl --endpoints "$SURVIVORS" put "/during/$i" "v$i"; done
ctl --endpoints "$SURVIVORS" lease revoke "$LEASE"

echo "restart m$KILLED" >>"$OUT/workload.log"
start_member "$KILLED"
wait_for "m$KILLED to catch up" 30 caught_up
for i in $(seq 1 5); do ctl --endpoints "$ALL" put "/after/$i" "v$i"; done
wait_for "every member to apply the last put" 30 caught_up

for n in "${!MEMBER_PID[@]}"; do kill -TERM "${MEMBER_PID[$n]}"; done
for n in "${!MEMBER_PID[@]}"; do wait "${MEMBER_PID[$n]}" 2>/dev/null || true; done
MEMBER_PID=()
# The members are gone; stop tshark once the file has stopped growing (it flushes as it goes).
size() { stat -c %s "$OUT/peers.pcapng"; }
settled() { local before; before=$(size); sleep 0.5; [ "$(size)" = "$before" ]; }
wait_for "the capture file to settle" 20 settled
kill -INT "$TSHARK_PID"
wait "$TSHARK_PID" 2>/dev/null || true
TSHARK_PID=

# Each member's data files; the WAL's preallocated zero tail trimmed to a multiple of 8 bytes.
for n in 1 2 3; do
    mkdir -p "$OUT/m$n/wal" "$OUT/m$n/snap"
    cp "$WORK/m$n/member/snap/"*.snap "$OUT/m$n/snap/" 2>/dev/null || true
    stat -c %s "$WORK/m$n/member/snap/db" >"$OUT/m$n/db-bytes.txt"
    for wal in "$WORK/m$n/member/wal/"*.wal; do
        python3 -c '
import sys
data = open(sys.argv[1], "rb").read()
end = len(data.rstrip(b"\0"))
open(sys.argv[2], "wb").write(data[:(end + 7) // 8 * 8])' "$wal" "$OUT/m$n/wal/$(basename "$wal")"
    done
done
echo "capture-etcd-failover: $OUT ($(du -sh "$OUT/peers.pcapng" | cut -f1) of peer traffic; m$KILLED was killed and restarted)"
