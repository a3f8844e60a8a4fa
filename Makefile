# Ferry — quick start: `make run` and `make test` on a fresh Debian machine.
SHELL := /bin/bash
SHARED ?= ../shared
SWIFT_BUILD_FLAGS ?=
APT_PACKAGES := libprotobuf-c-dev libnghttp2-dev protobuf-c-compiler protobuf-compiler python3-protobuf \
	etcd-client etcd-server nghttp2-client curl golang-go golang-etcd-server-dev
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test deps build release check-shared check-generated conformance unit-tests crash-tests cluster-tests test-repeat bench-vs-etcd lincheck raft-oracle generate fuzz bench tsan clean

## run: builds and runs a local three-member cluster in the foreground (Ctrl-C stops it)
run: deps release
	tools/run-cluster.sh .build/release/ferry

## test: installs what is missing, builds, runs every test including conformance
test: deps check-generated build unit-tests conformance crash-tests cluster-tests

deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

build:
	swift build $(SWIFT_BUILD_FLAGS) --build-tests

release:
	swift build -c release $(SWIFT_BUILD_FLAGS)

check-shared:
	@[ -d "$(SHARED)/vectors" ] || { echo "error: $(SHARED) is missing: the conformance material must sit beside the checkout (../shared)" >&2; exit 1; }

## check-generated: regenerating the C and Swift code from proto/ must leave no diff
check-generated: deps
	tools/gen-protobuf-c.sh
	tools/gen-swift.py
	@git diff --exit-code --stat -- Sources/CEtcdProto Sources/Wire/Generated || { echo "error: generated code differs from proto/: run 'make generate' and commit" >&2; exit 1; }
	@[ -z "$$(git status --porcelain -- Sources/CEtcdProto Sources/Wire/Generated)" ] || { echo "error: untracked generated files" >&2; git status --porcelain -- Sources/CEtcdProto Sources/Wire/Generated; exit 1; }

generate: deps
	tools/gen-protobuf-c.sh
	tools/gen-swift.py

unit-tests: build
	swift test --skip-build

conformance: check-shared release
	.build/release/ferry-conformance vectors $(SHARED)/vectors
	.build/release/ferry-conformance streams $(SHARED)/vectors/streams
	.build/release/ferry-conformance raft $(SHARED)/conformance/raft-interaction
	.build/release/ferry-conformance kv $(SHARED)/conformance/kv
	.build/release/ferry-conformance wal $(SHARED)/vectors/wal
	.build/release/ferry-conformance snap $(SHARED)/vectors/snap
	.build/release/ferry-conformance datadirs $(SHARED)/captures
	.build/release/ferry-conformance captures $(SHARED)/captures
	.build/release/ferry-conformance datadirs captures
	.build/release/ferry-conformance captures captures

## crash-tests: SIGKILL a WAL writer at random moments; randomized raft simulation (release build)
KILLS ?= 200
SIM_SEEDS ?= 200
SIM_STEPS ?= 10000
crash-tests: release
	.build/release/ferry-conformance wal-kill --kills $(KILLS)
	.build/release/ferry-conformance simulate --nodes 3 --seeds $(SIM_SEEDS) --steps $(SIM_STEPS)
	.build/release/ferry-conformance simulate --nodes 5 --seeds $(SIM_SEEDS) --steps $(SIM_STEPS)

## cluster-tests: real clusters on loopback driven by etcdctl (leader kill, restarts, wrong token,
## garbage on the ports, lock and election, maintenance, the member life cycle), etcd's own walread
## on every data dir, the etcdctl session compared with etcd 3.4.23's, and a short lincheck run
WALREAD := .build/walread
export GOCACHE ?= $(HOME)/.cache/etcd-tools-go
$(WALREAD): $(SHARED)/etcd-tools/walread/main.go
	$(SHARED)/etcd-tools/build.sh walread $(WALREAD)

LINCHECK := .build/lincheck
$(LINCHECK): $(SHARED)/etcd-tools/lincheck/main.go
	$(SHARED)/etcd-tools/build.sh lincheck $(LINCHECK)

V3CLIENT := .build/v3client
$(V3CLIENT): tools/v3client/main.go tools/v3client/build.sh
	tools/v3client/build.sh $(V3CLIENT)

cluster-tests: release check-shared $(WALREAD) $(LINCHECK) $(V3CLIENT)
	.build/release/ferry-conformance cluster --ferry .build/release/ferry --walread $(WALREAD) --v3client $(V3CLIENT)
	.build/release/ferry-conformance lifecycle --ferry .build/release/ferry --walread $(WALREAD)
	tools/etcdctl-parity.py --ferry .build/release/ferry --check-perf
	tools/kv-replay.sh ferry
	tools/kv-replay.sh ferry-3
	tools/kv-replay.sh etcd
	tools/gateway-parity.sh .build/release/ferry
	$(LINCHECK) -server .build/release/ferry -seconds 15 -nemesis kill,pause -seed 1 -base-port 26000

## test-repeat: the unit tests N times and the cluster suite CLUSTER_RUNS times, the output of
## failing runs kept in .build/test-repeat; LOAD=2 runs two busy loops beside them (not part of test)
N ?= 10
CLUSTER_RUNS ?= 3
LOAD ?= 0
test-repeat: build release check-shared $(WALREAD) $(LINCHECK) $(V3CLIENT)
	tools/test-repeat.sh --unit $(N) --cluster $(CLUSTER_RUNS) --load $(LOAD)

## bench-vs-etcd: three-member and single etcd 3.4.23 against Ferry, same client, one run (not part of test)
bench-vs-etcd: release
	tools/bench-vs-etcd --ferry .build/release/ferry

## lincheck: a longer fault run (kills and pauses) checked for linearizability (not part of test)
LINCHECK_SECONDS ?= 120
LINCHECK_SEED ?= 7
lincheck: release check-shared $(LINCHECK)
	$(LINCHECK) -server .build/release/ferry -seconds $(LINCHECK_SECONDS) -base-port 26000 -clients 16 -nemesis kill,pause -seed $(LINCHECK_SEED)

## raft-oracle: random interaction scripts answered by etcd's own raft, replayed on Ferry (not part of test)
ORACLE_SCRIPTS ?= 200
raft-oracle: deps
	tools/raft-oracle/run.sh $(ORACLE_SCRIPTS)

## fuzz: every libFuzzer target for FUZZ_SECONDS each (not part of test)
FUZZ_SECONDS ?= 60
fuzz: deps
	tools/fuzz.sh $(FUZZ_SECONDS)

## bench: the benchmarks in a release build (not part of test)
bench: release
	.build/release/ferry-bench codec
	.build/release/ferry-bench raft
	.build/release/ferry-bench wal
	.build/release/ferry-bench kv
	.build/release/ferry-bench transport

## tsan: the KV and Server tests under Thread Sanitizer, built apart in .build-tsan (not part of test):
## the KV state is frozen for, and compaction rebuilt on, the background thread while the loop goes on
TSAN_FLAGS := --sanitize=thread --scratch-path .build-tsan
tsan: deps
	swift build $(SWIFT_BUILD_FLAGS) --build-tests $(TSAN_FLAGS)
	swift test --skip-build $(TSAN_FLAGS) --filter 'KVTests|ServerTests|TransportTests'

clean:
	rm -rf .build .build-tsan fuzz-out
