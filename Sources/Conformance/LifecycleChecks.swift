import Foundation
import Wire

/// The checks of `ferry-conformance lifecycle`, in order.
extension LifecycleCluster {
    func runAll(keys: Int, walread: String?) {
        for index in 0..<3 {
            if let problem = start(index, cluster: [0, 1, 2], state: "new") { return fail("L1. start \(members[index].name)", problem) }
        }
        guard case .success = waitForLeader([0, 1, 2]) else { return fail("L1. three members elect a leader", "no leader") }
        check("L1. three members (--snapshot-count 1000, --max-snapshots 2, --max-wals 2) elect a leader", [])
        guard checkCatchUpBySnapshot(keys: keys) else { return }
        guard checkMembershipChange() else { return }
        guard checkPeerURLUpdate() else { return }
        checkFilesBounded()
        guard checkRestartAll() else { return }
        for index in current { if let problem = stop(index) { note(problem) } }
        if let walread {
            for index in current { checkWalread(walread, index) }
        } else {
            note("no --walread: the reading of the data dirs by etcd's code is skipped")
        }
    }

    private func fail(_ name: String, _ problem: String) {
        check(name, [problem])
        report.fail("remaining lifecycle checks not run")
    }

    /// L2: m3 stopped misses `keys` puts, restarts, and gets them by snapshot.
    func checkCatchUpBySnapshot(keys: Int) -> Bool {
        if let problem = stop(2) { note(problem) }
        // Proposals forwarded to a leader that just stopped are lost (in etcd as well): let
        // the other two elect one first.
        guard case .success = waitForLeader([0, 1]) else {
            fail("L2. m1 and m2 elect a leader after m3 stops", "no leader")
            return false
        }
        let started = Date()
        let written = load.put(Self.pairs("snap/", count: keys, size: 100), endpoint: endpoint(0))
        let writeSeconds = Date().timeIntervalSince(started)
        guard written.acknowledged.count == keys else {
            fail("L2. \(keys) puts through m1 while m3 is down", "\(written.acknowledged.count) acknowledged; \(written.failure ?? "")")
            return false
        }
        note("L2. \(keys) puts through m1 in \(String(format: "%.1f", writeSeconds)) s while m3 was down")
        let logBefore = log(2).count
        let restarted = Date()
        if let problem = start(2, cluster: [0, 1, 2], state: "new") {
            fail("L2. restart m3", problem)
            return false
        }
        guard case .success(let leader) = waitForLeader([0, 1, 2]) else {
            fail("L2. m3 rejoins", "no agreed leader")
            return false
        }
        var problems: [String] = []
        switch waitCaughtUp(2, leader: leader) {
        case .success:
            let seconds = Date().timeIntervalSince(restarted)
            let since = String(log(2).dropFirst(logBefore))
            let snapshot = files(2, "snap", suffix: ".snap.db").last
            let size = snapshot.flatMap { try? FileManager.default.attributesOfItem(atPath: "\(dataDir(2))/member/snap/\($0)")[.size] as? Int } ?? 0
            if !since.contains("received database snapshot") || !since.contains("applied snapshot") {
                problems.append("m3's log shows no snapshot received and applied")
            }
            if count(2, prefix: "snap/") != keys { problems.append("m3 holds \(count(2, prefix: "snap/") ?? -1) keys, want \(keys)") }
            note("L2. m3 caught up by snapshot in \(String(format: "%.2f", seconds)) s from restart: snapshot \(snapshot ?? "none"), \(size) bytes")
        case .failure(let problem):
            problems.append(problem.description)
        }
        return check("L2. a member restarted after missing \(keys) writes catches up by snapshot (logged) and holds every key", problems)
    }

    /// Puts in one round of L3's write load.
    private static let membershipRound = 200

    /// L3: under write load, a learner joins, is promoted, and an original voter is removed.
    func checkMembershipChange() -> Bool {
        guard case .success(let leader) = waitForLeader(current) else {
            fail("L3. a leader before the membership change", "none")
            return false
        }
        let victim = [1, 2].first { $0 != leader } ?? 1
        let writer = [0, 1, 2].first { $0 != victim } ?? 0
        let stop = NSLock()
        nonisolated(unsafe) var stopping = false
        nonisolated(unsafe) var acknowledged: Set<String> = []
        nonisolated(unsafe) var written = 0
        let loadThread = Thread { [self] in
            var round = 0
            while !stop.withLock({ stopping }) {
                let pairs = Self.pairs("member/\(round)/", count: Self.membershipRound, size: 1024)
                let result = load.put(pairs, endpoint: endpoint(writer), inFlight: 8)
                stop.withLock {
                    acknowledged.formUnion(result.acknowledged)
                    written += pairs.count
                }
                round += 1
            }
        }
        loadThread.start()
        var problems: [String] = []
        defer {
            stop.withLock { stopping = true }
            while !loadThread.isFinished { usleep(10_000) }
        }
        // As etcd, a member refuses changes until it has been connected to every voter for
        // 5 s ("unhealthy cluster"): m3 has just come back.
        var added = etcdctl.run([endpoint(writer)], ["member", "add", "m4", "--learner", "--peer-urls", members[3].peerURL], timeout: 10)
        let addStarted = Date()
        while !added.ok, added.stderr.contains("unhealthy cluster"), Date().timeIntervalSince(addStarted) < waitLimit {
            usleep(500_000)
            added = etcdctl.run([endpoint(writer)], ["member", "add", "m4", "--learner", "--peer-urls", members[3].peerURL], timeout: 10)
        }
        guard added.ok, let idText = added.stdout.split(separator: " ").dropFirst().first, let id = UInt64(idText, radix: 16) else {
            fail("L3. etcdctl member add m4 --learner", added.summary)
            return false
        }
        note("L3. added learner m4 \(idText)")
        let joinStarted = Date()
        if let problem = start(3, cluster: [0, 1, 2, 3], state: "existing") {
            fail("L3. start m4 with --initial-cluster-state existing", problem)
            return false
        }
        // A learner is promoted once in sync: etcd answers "not in sync" until then.
        var promoted = false
        var lastAnswer = ""
        while !promoted, Date().timeIntervalSince(joinStarted) < 2 * waitLimit {
            let answer = etcdctl.run([endpoint(writer)], ["member", "promote", String(id, radix: 16)], timeout: 5)
            promoted = answer.ok
            lastAnswer = answer.summary
            if !promoted { usleep(200_000) }
        }
        if !promoted { problems.append("member promote never succeeded: \(lastAnswer)") }
        let joinSeconds = Date().timeIntervalSince(joinStarted)
        let victimID = (try? etcdctl.status(endpoint(victim), timeout: waitLimit).get())?.memberID ?? 0
        let removed = etcdctl.run([endpoint(writer)], ["member", "remove", String(victimID, radix: 16)], timeout: 10)
        if !removed.ok { problems.append("member remove \(members[victim].name): \(removed.summary)") }
        let exited = processes[victim]?.wait(timeout: waitLimit)
        if exited == nil { problems.append("\(members[victim].name) still runs \(Int(waitLimit)) s after its removal") }
        if !log(victim).contains("the member has been permanently removed from the cluster") {
            problems.append("\(members[victim].name)'s log does not say it was removed")
        }
        processes[victim] = nil
        current = [0, 1, 2, 3].filter { $0 != victim }
        // Writes after the change too: a whole round of puts started after the removal (the
        // one in flight ends first).
        let writtenAtRemoval = stop.withLock { written }
        if !pollUntil(every: 0.01, { stop.withLock { written } >= writtenAtRemoval + 2 * Self.membershipRound }) {
            problems.append("no round of \(Self.membershipRound) puts ended in \(Int(waitLimit)) s after the removal")
        }
        stop.withLock { stopping = true }
        while !loadThread.isFinished { usleep(10_000) }
        let (acked, total) = stop.withLock { (acknowledged, written) }
        let how = log(3).contains("applied snapshot") ? "by snapshot" : "by entries"
        note("L3. m4 joined (caught up \(how)) and was promoted \(String(format: "%.1f", joinSeconds)) s after starting; \(members[victim].name) removed; \(acked.count) of \(total) puts acknowledged meanwhile")
        if acked.count < total / 2 { problems.append("only \(acked.count) of \(total) puts acknowledged during the change") }
        switch etcdctl.memberList(endpoint(writer)) {
        case .success(let list):
            if Set(list.map(\.name)) != Set(current.map { members[$0].name }) {
                problems.append("member list \(list.map(\.name)), want \(current.map { members[$0].name })")
            }
        case .failure(let problem):
            problems.append("member list: \(problem)")
        }
        let result = etcdctl.run([endpoint(writer)], ["member", "list", "-w", "json"])
        if result.stdout.contains("\"isLearner\":true") { problems.append("m4 is still a learner: \(result.stdout.prefix(300))") }
        problems += missing(acked, prefix: "member/")
        return check("L3. learner m4 joins a loaded cluster, is promoted, an original voter is removed and stops; no acknowledged write lost", problems)
    }

    /// L3b: `member update` moves m4 to another peer port; restarted there, it is reached.
    func checkPeerURLUpdate() -> Bool {
        let moved = "http://127.0.0.1:\(members[3].peerPort + 1)"
        guard case .success(let status) = etcdctl.status(endpoint(3), timeout: waitLimit) else {
            fail("L3b. m4's status before member update", "etcdctl failed")
            return false
        }
        var problems: [String] = []
        let writer = current.first { $0 != 3 } ?? 0
        let updated = etcdctl.run([endpoint(writer)], ["member", "update", String(status.memberID, radix: 16), "--peer-urls", moved], timeout: 10)
        if !updated.ok { problems.append("member update: \(updated.summary)") }
        if let problem = stop(3) { problems.append(problem) }
        if let problem = start(3, cluster: [0, 1, 2, 3], state: "existing", peerURL: moved) { problems.append(problem) }
        let written = load.put(Self.pairs("moved/", count: 500, size: 100), endpoint: endpoint(writer))
        if written.acknowledged.count != 500 { problems.append("\(written.acknowledged.count) of 500 puts acknowledged: \(written.failure ?? "")") }
        problems += missing(written.acknowledged, prefix: "moved/")
        if case .success(let list) = etcdctl.memberList(endpoint(writer)), list.first(where: { $0.name == "m4" })?.peerURLs != [moved] {
            problems.append("member list shows m4 at \(list.first(where: { $0.name == "m4" })?.peerURLs ?? [])")
        }
        return check("L3b. member update moves m4's peer URL; the others reach it there after its restart", problems)
    }

    /// Acknowledged keys a current member does not hold (after it caught up with the leader).
    func missing(_ acked: Set<String>, prefix: String) -> [String] {
        guard case .success(let leader) = waitForLeader(current) else { return ["no leader to compare with"] }
        var problems: [String] = []
        for index in current {
            if case .failure(let problem) = waitCaughtUp(index, leader: leader) { problems.append(problem.description) }
            guard let held = keys(index, prefix: prefix) else {
                problems.append("cannot read \(members[index].name)'s keys")
                continue
            }
            let lost = acked.subtracting(held)
            if !lost.isEmpty { problems.append("\(members[index].name) lacks \(lost.count) acknowledged keys, e.g. \(lost.first!)") }
        }
        return problems
    }

    /// L4: a long write run (16 KiB values, compacted as it goes) keeps WAL and snap files
    /// within --max-wals and --max-snapshots.
    func checkFilesBounded() {
        var problems: [String] = []
        let started = Date()
        for round in 0..<10 {
            let result = load.put(Self.pairs("wal/", count: 1000, size: 16 << 10, distinct: 256), endpoint: endpoint(0))
            if let failure = result.failure { problems.append("round \(round): \(failure)") }
            if case .success(let status) = etcdctl.status(endpoint(0)), let problem = load.compact(revision: status.revision, endpoint: endpoint(0)) {
                problems.append("compact: \(problem)")
            }
        }
        let writeSeconds = Date().timeIntervalSince(started)
        // Old files go once a snapshot is saved, and snapshots are written beside the applies:
        // the last ones may still be in progress.
        var counts: [String] = []
        var excess: [String] = []
        _ = pollUntil(every: 0.1) {
            counts = []
            excess = []
            for index in current {
                let wals = files(index, "wal", suffix: ".wal")
                let snaps = files(index, "snap", suffix: ".snap")
                let dbs = files(index, "snap", suffix: ".snap.db")
                counts.append("\(members[index].name): \(wals.count) wal, \(snaps.count) snap, \(dbs.count) snap.db")
                if wals.count > 2 { excess.append("\(members[index].name) keeps \(wals.count) WAL files: \(wals)") }
                if snaps.count > 2 || dbs.count > 2 { excess.append("\(members[index].name) keeps \(snaps) \(dbs)") }
            }
            return excess.isEmpty
        }
        problems += excess
        note("L4. 10,000 puts of 16 KiB in \(String(format: "%.1f", writeSeconds)) s; files after: \(counts.joined(separator: "; "))")
        check("L4. WAL and snap files stay within --max-wals 2 and --max-snapshots 2 through ~160 MB of writes", problems)
    }

    /// L5: every member restarts from its data dir with everything.
    func checkRestartAll() -> Bool {
        guard let before = count(current[0], prefix: "") else {
            fail("L5. count keys before the restart", "etcdctl failed")
            return false
        }
        var problems: [String] = []
        for index in current { if let problem = stop(index) { problems.append(problem) } }
        for index in current {
            if let problem = start(index, cluster: [0, 1, 2, 3], state: "existing") { problems.append(problem) }
        }
        guard case .success(let leader) = waitForLeader(current) else {
            fail("L5. the members restarted from their data dirs elect a leader", problems.joined(separator: "; "))
            return false
        }
        for index in current {
            if case .failure(let problem) = waitCaughtUp(index, leader: leader) { problems.append(problem.description) }
            let now = count(index, prefix: "")
            if now != before { problems.append("\(members[index].name) holds \(now ?? -1) keys after the restart, \(before) before") }
        }
        return check("L5. every member restarts from its data dir with all \(before) keys", problems)
    }

    /// L6: etcd's walread reads the member's data dir as Ferry does.
    func checkWalread(_ walread: String, _ index: Int) {
        let member = "\(dataDir(index))/member"
        let (status, text) = ClusterHarness.runWalread(walread, member, output: "\(work)/walread-\(members[index].name).json", directory: work)
        guard status == 0 else {
            check("L6. etcd's walread reads \(members[index].name)'s data dir", ["exit \(status.map(String.init) ?? "none"): \(text.prefix(300))"])
            return
        }
        var problems: [String] = []
        do {
            problems = ClusterHarness.walDifferences(etcd: try JSONValue(parsing: text), ferry: try DataDirRunner.recover(member))
        } catch {
            problems.append("\(error)")
        }
        check("L6. etcd's walread reads \(members[index].name)'s data dir (snapshot, WAL after it) as Ferry does", problems)
    }
}
