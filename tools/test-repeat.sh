#!/usr/bin/env bash
# Runs the unit tests (debug build, already built) UNIT times and the cluster suite CLUSTER
# times, optionally beside LOAD busy loops that keep the cores loaded as another process
# would. The output of every failing run is kept under OUT; the last line is the tally.
set -uo pipefail
cd "$(dirname "$0")/.."

unit=10 cluster=3 load=0 out=.build/test-repeat
while [ $# -gt 0 ]; do
  case "$1" in
    --unit) unit=$2; shift 2 ;;
    --cluster) cluster=$2; shift 2 ;;
    --load) load=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: $0 [--unit N] [--cluster N] [--load BUSY_LOOPS] [--out DIR]" >&2; exit 2 ;;
  esac
done
rm -rf "$out"
mkdir -p "$out"

loaders=()
stop_load() { for pid in "${loaders[@]}"; do kill "$pid" 2>/dev/null; done; }
trap stop_load EXIT
for _ in $(seq 1 "$load"); do
  ( while :; do :; done ) &
  loaders+=($!)
done
[ "$load" -gt 0 ] && echo "test-repeat: $load busy loops running beside the tests"

passed=0 failed=0
run() {  # run NAME COMMAND...: one timed run, its output kept only when it fails
  local name=$1; shift
  local log="$out/$name.log" started=$SECONDS
  if "$@" >"$log" 2>&1; then
    passed=$((passed + 1))
    echo "test-repeat: $name passed in $((SECONDS - started)) s"
    rm -f "$log"
  else
    failed=$((failed + 1))
    echo "test-repeat: $name FAILED in $((SECONDS - started)) s, output in $log"
    grep -E "✘|error:|Expectation failed|FAIL" "$log" | head -20 | sed 's/^/    /'
  fi
}

for i in $(seq 1 "$unit"); do run "unit-$i" swift test --skip-build; done
for i in $(seq 1 "$cluster"); do run "cluster-$i" make --no-print-directory cluster-tests; done
echo "test-repeat: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
