#!/usr/bin/env bash
# Differential test of Ferry's raft against etcd 3.4's own raft, off CI:
#   tools/raft-oracle/run.sh [COUNT] [SEED]
# Generates COUNT random interaction scripts, has etcd's datadriven harness (built offline
# from Debian's golang-etcd-server-dev, as ../shared/etcd-tools/build.sh does) write its
# output into them, drops the ones etcd's harness itself fails on, then runs
# `ferry-conformance raft --strict` (log lines compared too) over the rest.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
count=${1:-200}
seed=${2:-1}
for p in golang-go golang-etcd-server-dev; do
  dpkg -s "$p" >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" >/dev/null; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src/oracle" "$work/scripts" "$work/one"
cp "$here/oracle_test.go" "$work/src/oracle/"
export GO111MODULE=off GOPATH="$work:/usr/share/gocode" GOCACHE="${GOCACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/etcd-tools-go}"
(cd "$work/src/oracle" && go test -c -o "$work/oracle.test" .)
python3 "$here/gen-scripts.py" "$work/scripts" "$count" "$seed"
kept=0
for f in "$work"/scripts/*.txt; do
  rm -f "$work"/one/* && cp "$f" "$work/one/"
  if ORACLE_DIR="$work/one" timeout 20 "$work/oracle.test" -test.run TestOracle -rewrite >/dev/null 2>&1; then
    cp "$work"/one/*.txt "$f"
    kept=$((kept + 1))
  else
    rm "$f"
  fi
done
echo "raft-oracle: $kept of $count scripts run under etcd's harness"
(cd "$root" && flock /tmp/ferry-build.lock swift build -c release --product ferry-conformance >/dev/null)
"$root/.build/release/ferry-conformance" raft "$work/scripts" --strict
