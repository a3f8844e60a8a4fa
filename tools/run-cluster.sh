#!/usr/bin/env bash
# run-cluster.sh [FERRY] — a local three-member Ferry cluster in the foreground, laid out as
# etcd's own Procfile lays out its cluster: client ports 2379, 22379, 32379 and peer ports
# 12380, 22380, 32380 on 127.0.0.1. Data dirs under .build-cluster/ (kept between runs, so a
# second run restarts the same cluster). Ctrl-C stops every member cleanly.
set -euo pipefail
ferry=${1:-.build/release/ferry}
dir=.build-cluster
mkdir -p "$dir"
cluster='infra1=http://127.0.0.1:12380,infra2=http://127.0.0.1:22380,infra3=http://127.0.0.1:32380'
pids=()
stop() {
  trap - INT TERM
  echo; echo "stopping the cluster"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  exit 0
}
trap stop INT TERM
for i in 1 2 3; do
  client=$([ $i = 1 ] && echo 2379 || echo ${i}2379)
  peer=${i}2380
  "$ferry" --name infra$i --data-dir "$dir/infra$i.ferry" \
    --listen-client-urls http://127.0.0.1:$client --advertise-client-urls http://127.0.0.1:$client \
    --listen-peer-urls http://127.0.0.1:$peer --initial-advertise-peer-urls http://127.0.0.1:$peer \
    --initial-cluster-token etcd-cluster-1 --initial-cluster "$cluster" --initial-cluster-state new \
    2> >(trap '' INT TERM; exec sed -u "s/^/infra$i | /" >&2) &
  pids+=($!)
done
cat <<MSG
Ferry: three members running (logs below, prefixed by member name). Reach them with etcdctl:
  export ETCDCTL_API=3 ENDPOINTS=127.0.0.1:2379,127.0.0.1:22379,127.0.0.1:32379
  etcdctl --endpoints \$ENDPOINTS endpoint status -w table
  etcdctl --endpoints \$ENDPOINTS put greeting hello
  etcdctl --endpoints \$ENDPOINTS get greeting
Ctrl-C stops the cluster; data stays in $dir/ (rm -rf $dir for a fresh one).
Member i (1-3) runs as: $ferry --name infrai --data-dir $dir/infrai.ferry --listen-client-urls http://127.0.0.1:<client> \
  --advertise-client-urls http://127.0.0.1:<client> --listen-peer-urls http://127.0.0.1:i2380 \
  --initial-advertise-peer-urls http://127.0.0.1:i2380 --initial-cluster-token etcd-cluster-1 \
  --initial-cluster $cluster --initial-cluster-state new
MSG
# A member that dies (or is killed to try a failover) leaves the others running; restart it
# with the same flags and it rejoins from its data dir. Ctrl-C stops them all.
wait "${pids[@]}" || true
