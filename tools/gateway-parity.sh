#!/usr/bin/env bash
# gateway-parity.sh [FERRY] — one session of JSON gateway requests (curl, HTTP/1.1 and 1.0)
# against a fresh single etcd 3.4.23 member and a fresh single Ferry member, on the same ports
# one after the other; status lines, headers and bodies must be equal byte for byte after
# masking only what must differ (cluster and member IDs, raft term, Date, a lease's remaining
# TTL). Exit status 0 when they match; the difference is printed otherwise.
# Environment: ETCD (default etcd), PORT (client port, default 29379; the peer port is +1).
set -uo pipefail
ferry=${1:-.build/release/ferry}
etcd=${ETCD:-etcd}
port=${PORT:-29379}
url=http://127.0.0.1:$port
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT

# Seconds a request, or a member's start, may take before it counts as failed: only a failing
# run waits that long, so it is generous for a loaded machine.
limit=30

session() {
  local E=$url
  r() { echo "### ${*//$E/}"; curl -si --max-time $limit "$@"; echo; }
  # messages FILE: how many messages (lines starting with "{") arrived whole, newline and all.
  messages() {
    local n
    n=$(grep -c '^{' "$1")
    [ -n "$(tail -c 1 "$1")" ] && [[ $(tail -n 1 "$1") == "{"* ]] && n=$((n - 1))
    echo $n
  }
  # s COUNT ARGS...: a streaming request, read until the server has sent COUNT messages (or
  # ended the stream itself), then hung up on: the same output however slow the machine.
  s() {
    local count=$1 curl
    shift
    echo "### ${*//$E/}"
    : >"$work/stream"  # emptied before the count starts, not by the child at some point
    curl -si -N --max-time $limit "$@" >"$work/stream" &
    curl=$!
    while kill -0 $curl 2>/dev/null && [ "$(messages "$work/stream")" -lt "$count" ]; do sleep 0.02; done
    kill $curl 2>/dev/null
    wait $curl 2>/dev/null
    cat "$work/stream"
    echo
  }
  r $E/v3/kv/put -d '{"key":"Zm9v","value":"YmFy"}'
  r $E/v3/kv/range -d '{"key":"Zm9v"}'
  r $E/v3/kv/range -d '{"key":"Zm9v","count_only":true}'
  r $E/v3/kv/range -d '{"key":""}'
  r -X POST $E/v3/kv/range
  r $E/v3/kv/range -d '{"key":"Zm9v","revision":100}'
  r $E/v3/kv/range -d '{bad'
  r $E/v3/kv/range -d '{"key":"Zm9v"'
  r $E/v3/kv/range -d '{"key" "Zm9v"}'
  r $E/v3/kv/range -d '{"key":"Zm9v",}'
  r $E/v3/kv/range -d '{"key":"Zm9v","limit":tru}'
  r $E/v3/kv/range -d '[]'
  r $E/v3/kv/range -d '7'
  r $E/v3/kv/range -d 'null'
  r $E/v3/kv/range -d '   '
  r $E/v3/kv/range -d '{"key":"Zm9v"} garbage'
  r $E/v3/kv/range -d '{"key":"Zm9v","foo":1}'
  r $E/v3/kv/range
  r $E/v3/kv/nothing -d '{}'
  r -X OPTIONS $E/v3/kv/range
  r $E/v3beta/kv/range -d '{"key":"Zm9v"}'
  r $E/v3/lease/grant -d '{"TTL":600,"ID":"7587869012345"}'
  r $E/v3/lease/grant -d '{"TTL":"600","ID":9007199254740993}'
  r $E/v3/kv/put -d '{"key":"YQ==","value":"MQ==","lease":"7587869012345"}'
  r $E/v3/kv/lease/leases -d '{}'
  r $E/v3/lease/timetolive -d '{"ID":"7587869012345","keys":true}'
  r $E/v3/lease/revoke -d '{"ID":"9007199254740993"}'
  r $E/v3/kv/lease/revoke -d '{"ID":"9007199254740993"}'
  r $E/v3/kv/txn -d '{"compare":[{"key":"YQ==","target":"VALUE","result":"EQUAL","value":"MQ=="}],"success":[{"request_range":{"key":"YQ=="}},{"request_put":{"key":"Yg==","value":"Mg==","prev_kv":true}}],"failure":[{"request_delete_range":{"key":"YQ=="}}]}'
  r $E/v3/kv/txn -d '{"compare":[{"key":"YQ==","target":"CREATE","result":"GREATER","create_revision":"100"}],"failure":[{"request_delete_range":{"key":"YQ==","prev_kv":true}},{"request_txn":{}}]}'
  r $E/v3/kv/txn -d '{"success":[{"request_put":{"key":"Yw=="}},{"request_put":{"key":"Yw=="}}]}'
  r $E/v3/kv/deleterange -d '{"key":"AA==","range_end":"AA==","prev_kv":true}'
  r $E/v3/kv/compaction -d '{"revision":"3","physical":true}'
  r $E/v3/kv/compaction -d '{"revision":"3"}'
  r $E/v3/kv/range -d '{"key":"AA==","range_end":"AA==","revision":2}'
  r -H 'Connection: close' $E/v3/kv/range -d '{"key":"Zm9v"}'
  r -H 'Connection: close' $E/v3/kv/range -d '{"key":""}'
  r -0 $E/v3/kv/range -d '{"key":"Zm9v"}'
  r -0 $E/v3/kv/range -d '{"key":""}'
  # Watches: created, then the history; created, then canceled; an error; created only.
  s 2 $E/v3/watch -d '{"create_request":{"key":"AA==","range_end":"AA==","start_revision":4,"prev_kv":true}}'
  s 2 $E/v3/watch -d '{"create_request":{"key":"AA==","range_end":"AA==","start_revision":2}}'
  s 2 $E/v3/watch -d '{"create_request":{"key":"YQ=="}} {"cancel_request":{"watch_id":0}}'
  s 1 $E/v3/watch -d '{"create_request":{"key":""'
  s 1 $E/v3/watch -d '{"create_request":{"key":"YQ=="}} [1]'
  r $E/v3/lease/grant -d '{"TTL":600,"ID":"42"}'
  s 2 $E/v3/lease/keepalive -d '{"ID":"42"} {"ID":"43"}'
}

mask() {
  sed -E -e 's/"cluster_id":"[0-9]+"/"cluster_id":"C"/g' -e 's/"member_id":"[0-9]+"/"member_id":"M"/g' \
    -e 's/"raft_term":"[0-9]+"/"raft_term":"T"/g' -e 's/^Date: .*/Date: D/' -e 's/"TTL":"59[0-9]"/"TTL":"600"/g'
}

# run NAME BINARY: a fresh member, the session, the member stopped.
run() {
  local name=$1 binary=$2 deadline=$((SECONDS + limit))
  "$binary" --name m --data-dir "$work/$name" --listen-client-urls $url --advertise-client-urls $url \
    --listen-peer-urls http://127.0.0.1:$((port + 1)) --initial-advertise-peer-urls http://127.0.0.1:$((port + 1)) \
    --initial-cluster m=http://127.0.0.1:$((port + 1)) --heartbeat-interval 10 --election-timeout 100 >"$work/$name.log" 2>&1 &
  pid=$!
  until curl -s --max-time 1 $url/health | grep -q '"health":"true"'; do
    [ $SECONDS -lt $deadline ] || { echo "gateway-parity.sh: $name did not come up; its log ends:" >&2; tail -5 "$work/$name.log" >&2; exit 2; }
    sleep 0.05
  done
  session | mask >"$work/$name.txt"
  kill $pid
  wait $pid 2>/dev/null
  pid=
}

run etcd "$etcd"
run ferry "$ferry"
if diff -u "$work/etcd.txt" "$work/ferry.txt"; then
  echo "gateway-parity: $(grep -c '^### ' "$work/etcd.txt") requests, etcd and Ferry answer alike"
else
  exit 1
fi
