#!/usr/bin/env bash
# kv-replay.sh MODE [TRANSCRIPT|DIR ...] — replays the KV transcripts (default:
# $SHARED/conformance/kv) through the gRPC API of a real cluster: for every transcript file a
# fresh cluster is started (members in parallel, short election timeouts), the file replayed
# with `ferry-conformance kv FILE --endpoints ...`, and the cluster stopped.
#   MODE: ferry (one Ferry member), ferry-3 (three Ferry members), etcd (one etcd 3.4 member)
# Environment: FERRY, CONFORMANCE (default .build/release/...), ETCD (default etcd), SHARED
# (default ../shared), PORT_BASE (default: a random one in 24000-31980, below Linux's
# ephemeral ports, which loopback connections take from 32768 up).
set -uo pipefail
mode=${1:?usage: kv-replay.sh ferry|ferry-3|etcd [TRANSCRIPT|DIR ...]}
shift
ferry=${FERRY:-.build/release/ferry}
conformance=${CONFORMANCE:-.build/release/ferry-conformance}
etcd=${ETCD:-etcd}
shared=${SHARED:-../shared}
base=${PORT_BASE:-$((24000 + RANDOM % 800 * 10))}
case $mode in
  ferry | etcd) members=1 ;;
  ferry-3) members=3 ;;
  *) echo "kv-replay.sh: unknown mode $mode (ferry, ferry-3 or etcd)" >&2; exit 2 ;;
esac

files=()
for path in "${@:-$shared/conformance/kv}"; do
  if [ -d "$path" ]; then files+=("$path"/*.jsonl); else files+=("$path"); fi
done

work=$(mktemp -d)
pids=()
stop_cluster() {
  [ ${#pids[@]} -gt 0 ] || return 0
  kill -TERM "${pids[@]}" 2>/dev/null
  wait "${pids[@]}" 2>/dev/null
  pids=()
}
trap 'stop_cluster; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

# start_cluster N: members of cluster number N on their own ports; sets `endpoints`.
start_cluster() {
  local n=$1 i initial="" client peer dir
  endpoints=""
  rm -rf "$work"/c$n-m*
  for i in $(seq 1 $members); do
    peer=$((base + 2 * i + 1))
    initial+="${initial:+,}m$i=http://127.0.0.1:$peer"
  done
  for i in $(seq 1 $members); do
    client=$((base + 2 * i)); peer=$((base + 2 * i + 1)); dir=$work/c$n-m$i
    endpoints+="${endpoints:+,}127.0.0.1:$client"
    local flags=(--name m$i --data-dir "$dir" --initial-cluster "$initial" --initial-cluster-token kv-replay-$n
      --listen-client-urls http://127.0.0.1:$client --advertise-client-urls http://127.0.0.1:$client
      --listen-peer-urls http://127.0.0.1:$peer --initial-advertise-peer-urls http://127.0.0.1:$peer
      --heartbeat-interval 10 --election-timeout 100)
    if [ "$mode" = etcd ]; then
      "$etcd" "${flags[@]}" >"$dir.log" 2>&1 &
    else
      "$ferry" "${flags[@]}" >"$dir.log" 2>&1 &
    fi
    pids+=($!)
  done
  # Ready once every member answers /health with a leader and a quorum. The bound only limits
  # a failing start, so it is generous for a loaded machine.
  local deadline=$((SECONDS + 30)) ready endpoint pid
  while :; do
    ready=1
    for pid in "${pids[@]}"; do kill -0 $pid 2>/dev/null || ready=dead; done
    [ $ready = 1 ] && for endpoint in ${endpoints//,/ }; do
      curl -s --max-time 1 "http://$endpoint/health" | grep -q '"health":"true"' || { ready=0; break; }
    done
    [ $ready = 1 ] && return 0
    if [ $ready = dead ] || [ $SECONDS -ge $deadline ]; then
      echo "kv-replay.sh: cluster $n ($mode) did not come up (a member exited, or no health within 30 s); its logs end:" >&2
      tail -n 5 "$work"/c$n-m*.log >&2
      return 1
    fi
    sleep 0.05
  done
}

# A cluster that does not come up (a port taken meanwhile) is tried again on other ports.
start_fresh_cluster() {
  local try
  for try in 1 2 3; do
    start_cluster $n && return 0
    stop_cluster
    base=$((base + 2 * members + 2))
  done
  return 1
}

started=$(date +%s.%N)
passed=0 failed=0 n=0
for file in "${files[@]}"; do
  n=$((n + 1))
  if start_fresh_cluster && "$conformance" kv "$file" --endpoints "$endpoints" >"$work/out" 2>&1; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL $(basename "$file") ($mode):"
    sed 's/^/  /' "$work/out" 2>/dev/null
  fi
  stop_cluster
  base=$((base + 2 * members + 2))
done
awk -v mode="$mode" -v n=$n -v from="$started" -v to="$(date +%s.%N)" \
  'BEGIN { printf "kv-replay %s: %d transcripts in %.1f s\n", mode, n, to - from }'
echo "kv-replay: $passed passed, $failed failed"
[ $failed = 0 ]
