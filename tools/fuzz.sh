#!/usr/bin/env bash
# Builds Wire's libFuzzer targets (swiftc -sanitize=fuzzer,address, one binary) and runs each
# for SECONDS seconds (default 60) with its own corpus, seeded from ../shared/vectors when
# present. Usage: tools/fuzz.sh [SECONDS] [TARGET...]
# Targets: message entry raftpb-other wal-record snap-file message-stream msgappv2
#          internal-raft-request api-request.
# Findings (crash-*, leak-*, timeout-*) land in fuzz-out/TARGET/; exit 1 if any.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(message entry raftpb-other wal-record snap-file message-stream msgappv2 internal-raft-request api-request)
out="$root/fuzz-out"
build="$out/build"
mkdir -p "$build"
bin="$build/ferry-fuzz"

echo "fuzz: building $bin"
objs=()
while IFS= read -r c; do
  o="$build/$(basename "${c%.c}").o"
  clang -c -O1 -g -fsanitize=fuzzer-no-link,address -I "$root/Sources/CEtcdProto/include" "$c" -o "$o"
  objs+=("$o")
done < <(find "$root/Sources/CEtcdProto" -name '*.c' | sort)
swiftc -O -g -sanitize=fuzzer,address -parse-as-library -module-name FerryFuzz \
  -I "$root/Sources/CEtcdProto/include" \
  "$root"/Sources/Wire/*.swift "$root"/Sources/Wire/Generated/*.swift "$root/Fuzz/FuzzTargets.swift" \
  "${objs[@]}" -lprotobuf-c -o "$bin"

seed_corpus() { # TARGET DIR: message bytes from the vectors as starting inputs
  local target=$1 dir=$2 vectors="$root/../shared/vectors"
  [ -d "$vectors" ] || return 0
  python3 - "$target" "$dir" "$vectors" <<'PY'
import json, os, sys, glob
target, out, vectors = sys.argv[1:]
api = ["RangeRequest", "PutRequest", "DeleteRangeRequest", "TxnRequest", "CompactionRequest",
       "LeaseGrantRequest", "LeaseRevokeRequest", "LeaseKeepAliveRequest", "LeaseTimeToLiveRequest",
       "LeaseLeasesRequest", "WatchRequest", "MemberAddRequest", "MemberRemoveRequest",
       "MemberUpdateRequest", "MemberListRequest", "MemberPromoteRequest", "AlarmRequest",
       "StatusRequest", "DefragmentRequest", "HashRequest", "HashKVRequest", "SnapshotRequest",
       "MoveLeaderRequest"]
want = {"message": ["raftpb.Message"], "entry": ["raftpb.Entry"], "wal-record": ["walpb.Record"],
        "internal-raft-request": ["etcdserverpb.InternalRaftRequest"],
        "api-request": ["etcdserverpb." + t for t in api],
        "snap-file": ["snappb.snapshot", "snappb.Snapshot"],
        "raftpb-other": ["raftpb.HardState", "raftpb.ConfState", "raftpb.ConfChange", "raftpb.ConfChangeV2", "raftpb.Snapshot"]}
prefix = {"raftpb.HardState": b"\0", "raftpb.ConfState": b"\1", "raftpb.ConfChange": b"\2",
          "raftpb.ConfChangeV2": b"\3", "raftpb.Snapshot": b"\4"}
prefix.update({"etcdserverpb." + t: bytes([i]) for i, t in enumerate(api)})
n = 0
for f in glob.glob(os.path.join(vectors, "*.jsonl")):
    for line in open(f):
        v = json.loads(line)
        if v.get("type") in want.get(target, []):
            open(os.path.join(out, f"v{n}"), "wb").write(prefix.get(v["type"], b"") + bytes.fromhex(v["hex"]))
            n += 1
for f in glob.glob(os.path.join(vectors, "streams", "*.bin")):
    if target == "message-stream":
        open(os.path.join(out, f"s{n}"), "wb").write(open(f, "rb").read()[:4096])
        n += 1
PY
}

status=0
for t in "${targets[@]}"; do
  corpus="$out/$t/corpus"
  mkdir -p "$corpus"
  [ -n "$(ls -A "$corpus")" ] || seed_corpus "$t" "$corpus"
  echo "fuzz: $t for ${seconds}s"
  log="$out/$t/log.txt"
  if ! (cd "$out/$t" && SWIFT_BACKTRACE=enable=no FERRY_FUZZ_TARGET=$t "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 "$corpus" >"$log" 2>&1); then
    echo "fuzz: $t FOUND A PROBLEM, see $log"; status=1
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$log" | sed "s/^/fuzz: $t /" || true
done
exit $status
