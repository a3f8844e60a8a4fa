#!/usr/bin/env python3
"""One etcdctl 3.4 session run against a fresh three-member etcd 3.4.23 cluster and against a
fresh three-member Ferry cluster, on the same ports one after the other; the two transcripts
must be equal after masking only what must differ (IDs, versions, sizes, times, raft term and
index, which member leads, and the order of lines printed per member by --cluster commands).

usage: tools/etcdctl-parity.py --ferry .build/release/ferry [--etcd /usr/bin/etcd]
       [--etcdctl /usr/bin/etcdctl] [--base-port 29000] [--keep DIR] [--check-perf]
Exit status 0 when the transcripts match; the difference is printed otherwise.
"""
import argparse
import difflib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

NAMES = ["p1", "p2", "p3"]
SORTED = "   [lines compared sorted]"
# Seconds a wait for an event (a healthy cluster, a line from a background etcdctl) may take
# before the session gives up on it: only a failing run waits that long, so it is generous
# for a loaded machine.
WAIT = 30


class Cluster:
    def __init__(self, binary, work, base, etcdctl):
        self.binary, self.work, self.base, self.etcdctl = binary, work, base, etcdctl
        self.procs = []

    def client(self, i):
        return f"127.0.0.1:{self.base + 1 + i}"

    def peer(self, i):
        return f"http://127.0.0.1:{self.base + 11 + i}"

    @property
    def endpoints(self):
        return ",".join(self.client(i) for i in range(3))

    def start(self):
        cluster = ",".join(f"{NAMES[i]}={self.peer(i)}" for i in range(3))
        for i in range(3):
            log = open(os.path.join(self.work, f"{NAMES[i]}.log"), "ab")
            args = [self.binary, "--name", NAMES[i], "--data-dir", os.path.join(self.work, NAMES[i]),
                    "--listen-client-urls", "http://" + self.client(i), "--advertise-client-urls", "http://" + self.client(i),
                    "--listen-peer-urls", self.peer(i), "--initial-advertise-peer-urls", self.peer(i),
                    "--initial-cluster", cluster, "--initial-cluster-token", "parity", "--initial-cluster-state", "new",
                    "--heartbeat-interval", "50", "--election-timeout", "500", "--logger", "zap"]
            if "ferry" in os.path.basename(self.binary):
                args = args[:-2]  # Ferry logs etcd's zap JSON lines without being asked
            self.procs.append(subprocess.Popen(args, stdout=log, stderr=log, cwd=self.work))
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            r = subprocess.run([self.etcdctl, "--endpoints", self.endpoints, "endpoint", "health"],
                               capture_output=True, text=True, env=ctl_env())
            if r.returncode == 0:
                return
            time.sleep(0.2)
        raise SystemExit(f"{self.binary}: cluster not healthy in {WAIT} s")

    def stop(self):
        for p in self.procs:
            p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        self.procs = []


def ctl_env():
    env = dict(os.environ)
    env["ETCDCTL_API"] = "3"
    return env


class Session:
    """Runs etcdctl commands and records what a user would see."""

    def __init__(self, cluster, scratch):
        self.cluster, self.scratch = cluster, scratch
        self.lines = []

    def ctl(self, *args, endpoint=0, stdin=None, sort=False, timeout=15, show_stdin=True):
        endpoints = self.cluster.endpoints if endpoint is None else self.cluster.client(endpoint)
        r = subprocess.run([self.cluster.etcdctl, "--endpoints", endpoints, *args], input=stdin, capture_output=True,
                           text=True, env=ctl_env(), timeout=timeout, cwd=self.scratch)
        out = r.stdout.splitlines()
        err = [log_message(line) for line in r.stderr.splitlines()]
        shown = (" <<< " + stdin.replace("\n", "\\n") if show_stdin else f" <<< ({len(stdin)} bytes)") if stdin else ""
        # Lines printed per member in arrival order (and lists ordered by member ID) are
        # compared sorted, after masking.
        self.lines.append("$ etcdctl " + " ".join(args) + shown + (SORTED if sort else ""))
        self.lines += ["  " + line for line in out] + ["  ! " + line for line in err] + [f"  exit {r.returncode}"]
        return r

    def ctl_accepted(self, *args, refusal):
        """ctl, tried again while the cluster refuses it with `refusal` (for WAIT s at most);
        only the last attempt is recorded."""
        deadline = time.monotonic() + WAIT
        while True:
            recorded = len(self.lines)
            r = self.ctl(*args)
            if r.returncode == 0 or refusal not in r.stderr or time.monotonic() > deadline:
                return r
            del self.lines[recorded:]
            time.sleep(0.2)

    def keys(self, prefix):
        """The keys under `prefix`, read outside the transcript (a read changes no revision)."""
        r = subprocess.run([self.cluster.etcdctl, "--endpoints", self.cluster.client(0), "get", prefix, "--prefix", "--keys-only"],
                           capture_output=True, text=True, env=ctl_env())
        return [line for line in r.stdout.splitlines() if line]

    def wait_until(self, what, condition):
        """Polls `condition` until it holds; a note in the transcript when WAIT s pass first."""
        deadline = time.monotonic() + WAIT
        while not condition():
            if time.monotonic() > deadline:
                return self.note(f"gave up after {WAIT} s waiting for {what}")
            time.sleep(0.05)

    def background(self, *args, endpoint=0):
        return Background(subprocess.Popen([self.cluster.etcdctl, "--endpoints", self.cluster.client(endpoint), *args],
                                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ctl_env(), cwd=self.scratch))

    def interrupt(self, title, etcdctl, until):
        """Interrupts a background etcdctl once its lines satisfy `until`."""
        if not etcdctl.wait_for(until):
            self.note(f"gave up after {WAIT} s waiting for the output of: {title}")
        etcdctl.proc.send_signal(signal.SIGINT)

    def collect(self, title, etcdctl, until=None):
        """Records what a background etcdctl printed once it exits: with `until`, it is
        interrupted once its lines satisfy that; without, it exits by itself (or was
        interrupted already)."""
        if until is not None:
            self.interrupt(title, etcdctl, until)
        try:
            etcdctl.proc.wait(WAIT)
        except subprocess.TimeoutExpired:
            etcdctl.proc.kill()
            etcdctl.proc.wait()
        etcdctl.reader.join()
        self.lines.append(f"$ {title}")
        self.lines += ["  " + log_message(line) for line in etcdctl.lines]

    def note(self, line):
        self.lines.append(f"# {line}")


class Background:
    """A background etcdctl whose output lines are read as they come, so that the session can
    wait for the one that says it got there (holds the lock, leads, saw an event)."""

    def __init__(self, proc):
        self.proc, self.lines, self.ended = proc, [], False
        self.changed = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            with self.changed:
                self.lines.append(line.rstrip("\n"))
                self.changed.notify_all()
        with self.changed:
            self.ended = True
            self.changed.notify_all()

    def wait_for(self, done):
        """Waits until done(lines) holds; False when etcdctl ended, or WAIT s passed, first."""
        with self.changed:
            self.changed.wait_for(lambda: done(self.lines) or self.ended, WAIT)
            return done(self.lines)


def log_message(line):
    """etcdctl's own zap log lines: only their message and the fields that are no time or size."""
    if line.startswith("{"):
        try:
            entry = json.loads(line)
            keep = {k: v for k, v in entry.items() if k not in ("ts", "caller", "took", "size", "etcd-version", "level")}
            return "log " + json.dumps(keep, sort_keys=True)
        except ValueError:
            pass
    return line


def script(s):
    """The session: every service etcdctl reaches, with good and bad input."""
    c = s.cluster
    s.ctl("put", "a", "1")
    s.ctl("put", "b", "2")
    s.ctl("put", "c", "3", "--prev-kv")
    s.ctl("put", "c", "33", "--prev-kv", "-w", "json")
    s.ctl("get", "a")
    s.ctl("get", "a", "c")
    s.ctl("get", "", "--prefix", "--keys-only")
    s.ctl("get", "a", "--from-key", "--limit", "2")
    s.ctl("get", "", "--prefix", "--sort-by", "VALUE", "--order", "DESCEND", "--print-value-only")
    s.ctl("get", "c", "--rev", "4")
    s.ctl("get", "b", "--consistency", "s", endpoint=1)
    s.ctl("get", "c", "-w", "json")
    fields = s.ctl("get", "c", "-w", "fields")
    # etcdctl says nothing once its watch is set up: from the next revision it prints the same
    # events whether they reach it live or (set up late) from history.
    following = int(re.search(r'^"Revision" : (\d+)$', fields.stdout, re.M).group(1)) + 1
    watch = s.background("watch", "w", "--prefix", "--prev-kv", "--rev", str(following))
    s.ctl("put", "w1", "x")
    s.ctl("put", "w1", "y")
    s.ctl("del", "w1", "--prev-kv")
    s.collect("etcdctl watch w --prefix --prev-kv (in the background, interrupted)", watch,
              until=lambda lines: lines[-5:] == ["DELETE", "w1", "y", "w1", ""])
    s.ctl("txn", stdin='value("a") = "1"\n\nput a 11\nget b\n\nput a 0\n\n')
    s.ctl("txn", "-w", "json", stdin='value("a") = "1"\n\nput a 12\n\nget a\n\n')
    s.ctl("del", "b")
    s.ctl("get", "", "--prefix")
    history = s.background("watch", "a", "--rev", "1")
    s.collect("etcdctl watch a --rev 1 (history, interrupted)", history, until=lambda lines: lines[-3:] == ["PUT", "a", "11"])
    s.ctl("compaction", "5")
    s.ctl("get", "a", "--rev", "3")
    s.ctl("get", "a", "--rev", "999")
    s.ctl("endpoint", "hashkv", "--cluster", sort=True, endpoint=0)
    s.ctl("endpoint", "health", "--cluster", sort=True)
    s.ctl("endpoint", "status", "--cluster", sort=True)
    s.ctl("endpoint", "status", "--cluster", "-w", "table", sort=True)
    s.ctl("lease", "grant", "60")
    lease = s.lines[-2].split()[1] if s.lines[-2].startswith("  lease ") else "0"
    s.ctl("put", "leased", "v", "--lease", lease)
    s.ctl("lease", "keep-alive", "--once", lease)
    s.ctl("lease", "timetolive", lease, "--keys")
    s.ctl("lease", "list")
    s.ctl("lease", "revoke", lease)
    s.ctl("get", "leased")
    s.ctl("lease", "revoke", "1234")
    s.ctl("lease", "timetolive", "1234")
    s.ctl("put", "x", "y", "--lease", "1234")
    s.ctl("put", "big", stdin="v" * (1600 * 1024), show_stdin=False)
    s.ctl("put", "bigger", stdin="v" * (2 * 1024 * 1024), show_stdin=False)
    s.ctl("get", "c", "a")
    s.ctl("del", "c", "a")
    s.ctl("member", "list", sort=True)
    # etcd refuses changes until its peers have been connected for 5 s.
    s.ctl_accepted("member", "add", "learner", "--learner", "--peer-urls", f"http://127.0.0.1:{c.base + 19}", refusal="unhealthy cluster")
    learner = next((l.split()[1] for l in s.lines if l.startswith("  Member ") and " added " in l), "0")
    s.ctl("member", "list", sort=True)
    s.ctl("member", "promote", learner)
    s.ctl("member", "remove", learner)
    s.ctl("member", "remove", learner)
    s.ctl("member", "promote", "1234")
    status = subprocess.run([c.etcdctl, "--endpoints", c.endpoints, "endpoint", "status", "-w", "json"],
                            capture_output=True, text=True, env=ctl_env())
    members = json.loads(status.stdout)
    leader = members[0]["Status"]["leader"]
    follower = next(m["Status"]["header"]["member_id"] for m in members if m["Status"]["header"]["member_id"] != leader)
    leader_index = next(i for i, m in enumerate(members) if m["Status"]["header"]["member_id"] == leader)
    s.ctl("move-leader", format(follower, "x"), endpoint=leader_index)
    first = s.background("lock", "mutex", "--", "sh", "-c", "echo first holds; sleep 1; echo first releases")
    if not first.wait_for(lambda lines: "first holds" in lines):
        s.note(f"the first contender did not get the lock in {WAIT} s")
    second = s.background("lock", "mutex", "--", "sh", "-c", "echo second holds", endpoint=1)
    s.collect("etcdctl lock mutex -- (first contender)", first)
    s.collect("etcdctl lock mutex -- (second contender, waits for the first)", second)
    one = s.background("elect", "race", "one")
    if not one.wait_for(lambda lines: "one" in lines):
        s.note(f"one was not elected in {WAIT} s")
    two = s.background("elect", "race", "two", endpoint=1)
    s.wait_until("two's campaign key under race/", lambda: len(s.keys("race/")) == 2)
    observe = s.background("elect", "race", "--listen", endpoint=2)
    if not observe.wait_for(lambda lines: "one" in lines):
        s.note(f"the observer did not see one lead in {WAIT} s")
    s.collect("etcdctl elect race one (interrupted: resigns)", one, until=lambda lines: "one" in lines)
    # The observer is interrupted, and has exited, while two still leads: once two resigns it
    # asks who leads next, and an interrupt during that call makes etcdctl log it as canceled.
    s.collect("etcdctl elect race --listen", observe, until=lambda lines: "two" in lines)
    s.collect("etcdctl elect race two (leads after one resigns, interrupted)", two, until=lambda lines: "two" in lines)
    s.ctl("snapshot", "save", "snap.db")
    s.ctl("alarm", "list")
    s.ctl("defrag", "--cluster", sort=True)
    s.ctl("user", "list")
    s.ctl("role", "list")
    s.ctl("auth", "disable")
    http(s)


METRICS = ["etcd_server_has_leader", "etcd_server_is_leader", "etcd_server_leader_changes_seen_total",
           "etcd_server_proposals_committed_total", "etcd_server_proposals_applied_total", "etcd_server_proposals_pending",
           "etcd_server_proposals_failed_total", "etcd_disk_wal_fsync_duration_seconds_bucket", "etcd_network_peer_sent_bytes_total",
           "etcd_network_peer_received_bytes_total", "etcd_mvcc_db_total_size_in_bytes", "etcd_debugging_mvcc_keys_total",
           "process_resident_memory_bytes", "process_open_fds", "process_start_time_seconds"]


def http(s):
    """curl on the client port's HTTP/1.1 endpoints: /health, /version, and which of etcd's metrics /metrics has."""
    base = "http://" + s.cluster.client(0)
    for path in ["/health", "/version"]:
        r = subprocess.run(["curl", "-s", "-w", "\n%{http_code} %{content_type}", base + path], capture_output=True, text=True)
        s.lines.append(f"$ curl {path}")
        s.lines += ["  " + line for line in r.stdout.splitlines()]
    r = subprocess.run(["curl", "-s", base + "/metrics"], capture_output=True, text=True)
    names = {line.split("{")[0].split(" ")[0] for line in r.stdout.splitlines() if not line.startswith("#")}
    s.lines.append("$ curl /metrics (etcd's metric names present)")
    s.lines += [f"  {name} {'present' if name in names else 'MISSING'}" for name in METRICS]


def masks(text):
    rules = [
        (r"endpoint://client-[0-9a-f-]+/", "endpoint://client-<uuid>/"),
        (r"\b[0-9a-f]{16}\b", "<id>"),                      # member, cluster, lease IDs in hex
        (r"\b[0-9a-f]{14,15}\b", "<id>"),
        (r'("(?:cluster_id|member_id|ID|id|leader|raft_term|raft_index|raftIndex|raftTerm|raftAppliedIndex|dbSize|dbSizeInUse|hash_revision|compact_revision)":)\s*"?\d+"?', r"\1<n>"),
        (r"\b\d{17,20}\b", "<id>"),                          # IDs in decimal
        (r"Member +<id>", "Member <id>"),                   # %16x pads a random ID with fewer digits
        (r"3\.4\.\d+", "<version>"),
        (r"\b\d+(\.\d+)? ?(kB|MB|B)\b", "<size>"),
        (r"\|\s+(true|false) \|(\s+)(true|false) \|", r"| <leader> |\2\3 |"),       # status table: who leads
        (r", (true|false), (true|false), \d+, \d+, \d+, ", r", <leader>, \2, <term>, <index>, <applied>, "),
        (r"took = [^\s,]+", "took = <t>"),
        (r"\d+(\.\d+)?(ms|µs|s)\b", "<t>"),
        (r"(ttl|TTL)\((\d+)s\)", r"\1(<ttl>)"),
        (r"remaining\(\d+s\)", "remaining(<ttl>)"),
        (r"with TTL\(\d+s\)", "with TTL(<ttl>)"),
    ]
    out = []
    block = None
    for line in text.splitlines():
        for pattern, replacement in rules:
            line = re.sub(pattern, replacement, line)
        if line.startswith("  |") and "<id>" in line:
            # table rows: raft term, index and applied index columns
            line = re.sub(r"\|\s*\d+\s*\|\s*\d+\s*\|\s*\d+\s*\|", "| <term> | <index> | <applied> |", line)
        if line.startswith('  ETCD_INITIAL_CLUSTER="'):
            # etcdctl lists the members in ID order
            members = line[len('  ETCD_INITIAL_CLUSTER="'):-1].split(",")
            line = '  ETCD_INITIAL_CLUSTER="' + ",".join(sorted(members)) + '"'
        if block is not None and (line.startswith("$") or line.startswith("  exit")):
            out += sorted(block)
            block = None
        out.append(line)
        if line.startswith("$") and line.endswith(SORTED):
            block = []
            out.pop()
            out.append(line)
            continue
        if block is not None:
            block.append(out.pop())
    if block:
        out += sorted(block)
    return out


def run(binary, args, work, etcdctl):
    os.makedirs(work)
    scratch = os.path.join(work, "scratch")
    os.makedirs(scratch)
    cluster = Cluster(binary, work, args.base_port, etcdctl)
    cluster.start()
    session = Session(cluster, scratch)
    try:
        script(session)
        if args.check_perf and "ferry" in os.path.basename(binary):
            # etcdctl's verdicts on the throughput, the slowest put and the deviation are
            # timings a loaded machine spoils: shown, not judged. Every put must succeed, and
            # the check must come to its verdicts.
            r = subprocess.run([etcdctl, "--endpoints", cluster.endpoints, "check", "perf"], capture_output=True, text=True,
                               env=ctl_env(), timeout=60 + 4 * WAIT)
            # (Its progress bar ends in a carriage return, not a newline.)
            timings = re.findall(r"(?:PASS: |FAIL: )?(?:Throughput|Slowest|Stddev)[^\r\n]*", r.stdout)
            errors = re.findall(r"FAIL: (?:too many errors|ERROR)[^\r\n]*", r.stdout)
            print(f"check perf against {binary}: exit {r.returncode}: {'; '.join(timings) or r.stderr.strip()[-300:]}")
            if errors or len(timings) != 3:
                session.note(f"check perf failed: {errors or r.stderr.strip().splitlines()[-2:]}")
    finally:
        cluster.stop()
    return session.lines


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ferry", required=True)
    parser.add_argument("--etcd", default="/usr/bin/etcd")
    parser.add_argument("--etcdctl", default="/usr/bin/etcdctl")
    parser.add_argument("--base-port", type=int, default=29000)
    parser.add_argument("--keep")
    parser.add_argument("--check-perf", action="store_true")
    args = parser.parse_args()
    work = args.keep or tempfile.mkdtemp(prefix="etcdctl-parity-")
    started = time.time()
    etcd = run(args.etcd, args, os.path.join(work, "etcd"), args.etcdctl)
    ferry = run(os.path.abspath(args.ferry), args, os.path.join(work, "ferry"), args.etcdctl)
    with open(os.path.join(work, "etcd.txt"), "w") as f:
        f.write("\n".join(etcd) + "\n")
    with open(os.path.join(work, "ferry.txt"), "w") as f:
        f.write("\n".join(ferry) + "\n")
    a, b = masks("\n".join(etcd)), masks("\n".join(ferry))
    diff = list(difflib.unified_diff(a, b, "etcd 3.4.23", "ferry", lineterm="", n=2))
    commands = sum(1 for line in etcd if line.startswith("$"))
    if diff:
        print("\n".join(diff))
        print(f"etcdctl parity: {commands} commands, transcripts differ (raw transcripts in {work})")
        sys.exit(1)
    print(f"etcdctl parity: {commands} commands, etcd and Ferry transcripts equal after masking ({time.time() - started:.0f} s)")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
