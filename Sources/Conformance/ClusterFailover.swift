import Foundation

/// Checks 4 and 5: SIGKILL the leader under write load; restart it from its data dir.
extension ClusterHarness {
    /// Puts acknowledged before the kill, and again after the new leader.
    private static let acknowledgedWrites = 20

    /// Check 4; false when no new leader appeared.
    func checkLeaderKill() -> Bool {
        let leader: Int
        let oldTerm: UInt64
        switch waitForLeader([0, 1, 2]) {
        case .success(let agreed): (leader, oldTerm) = (agreed.leader, agreed.term)
        case .failure(let problem): return check("4. a leader before the kill", [problem.description])
        }
        killed = leader
        let survivors = (0..<3).filter { $0 != leader }
        let survivorIDs = Set(survivors.map { ids[$0] })
        let writers = ClusterWriters()
        writers.start(etcdctl: etcdctl, endpoints: survivors.map(endpoint), threads: 4, prefix: "kill/")
        // Some writes acknowledged before the kill, for the check that none is lost.
        guard writers.waitForAcknowledged(Self.acknowledgedWrites, timeout: waitLimit) else {
            writers.stop()
            return check("4. writes through the survivors before the kill",
                         ["\(writers.acknowledged.count) of \(Self.acknowledgedWrites) puts acknowledged in \(Int(waitLimit)) s, \(writers.failed) failed"])
        }
        let before = writers.acknowledged.count

        let killTime = Date()
        stop(leader, signal: SIGKILL)
        let reapedMs = Int(Date().timeIntervalSince(killTime) * 1000)
        // Poll the survivors every ~25 ms until one of them names a survivor as leader.
        var observed: (launched: Date, finished: Date, term: UInt64)?
        while observed == nil && Date().timeIntervalSince(killTime) < waitLimit {
            let launched = Date()
            for case .success(let status) in statuses(survivors, timeout: 0.5).values where survivorIDs.contains(status.leader) {
                observed = (launched, Date(), status.raftTerm)
            }
            if !deadMembers(survivors).isEmpty { break }  // no quorum left
            let spent = Date().timeIntervalSince(launched)
            if observed == nil && spent < 0.025 { usleep(useconds_t((0.025 - spent) * 1_000_000)) }
        }
        guard let observed else {
            writers.stop()
            return check("4. after SIGKILL of leader \(name(leader)), a new leader among the survivors", ["none within \(Int(waitLimit)) s"])
        }
        // How fast the election was is shown, not judged: on a loaded machine the members and
        // the status polls stall for longer than an election timeout.
        let ms = Int(observed.finished.timeIntervalSince(killTime) * 1000)
        let launchedMs = Int(observed.launched.timeIntervalSince(killTime) * 1000)
        let rounds = Int(observed.term > oldTerm ? observed.term - oldTerm : 1)
        let split = rounds > 1 ? " after \(rounds - 1) split vote\(rounds > 2 ? "s" : "")" : ""
        note("4. leader \(name(leader)) SIGKILLed at term \(oldTerm) (reaped \(reapedMs) ms later); a survivor named a new leader at term \(observed.term)\(split) \(ms) ms later (in the status poll launched at \(launchedMs) ms; 2 election timeouts a round: \(2 * ClusterLayout.electionMs * rounds) ms)")
        let agreed = waitForLeader(survivors)
        if case .success(let now) = agreed { note("4. new leader \(name(now.leader)), both survivors agree") }
        check("4. after SIGKILL of leader \(name(leader)), a new leader among the survivors both agree on",
              agreed.failureDescription.map { ["survivors do not agree: \($0)"] } ?? [])

        // Puts that were forwarded to the dead leader are lost and time out (1.5 s), as in etcd;
        // keep writing until puts started after the new leader was seen are acknowledged.
        let resumed = writers.waitForAcknowledged(Self.acknowledgedWrites, startedAfter: observed.finished, timeout: waitLimit)
        writers.stop()
        let acks = writers.acknowledged
        let afterKill = acks.filter { $0.started > killTime }.count
        let afterLeader = acks.filter { $0.started > observed.finished }.count
        note("4. writers: \(acks.count) puts acknowledged (\(before) before the kill, \(afterKill) started after it, \(afterLeader) after the new leader), \(writers.failed) failed or timed out")
        check("4. writes through the survivors resume after the new leader (\(afterLeader) acknowledged)",
              resumed ? [] : ["\(afterLeader) of \(Self.acknowledgedWrites) puts started after the new leader acknowledged within \(Int(waitLimit)) s"])

        var problems: [String] = []
        for index in survivors {
            switch etcdctl.keySpace(endpoint(index), prefix: "kill/", timeout: 5) {
            case .success(let space):
                let stored = Dictionary(space.keys.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
                let missing = acks.filter { stored[$0.key] != $0.value }
                if let first = missing.first {
                    problems.append("\(name(index)) lacks \(missing.count) of \(acks.count) acknowledged puts, e.g. \(first.key)=\(first.value) (has \(stored[first.key] ?? "nothing"))")
                }
            case .failure(let problem):
                problems.append("get kill/ --prefix via \(name(index)): \(problem)")
            }
        }
        check("4. every acknowledged write (\(acks.count)) is present on both survivors", problems)
        return true
    }

    /// Check 5; false when the killed member did not rejoin.
    func checkRestartKilled() -> Bool {
        guard let index = killed else { return false }
        if let problem = start(index) { return check("5. restart the killed member", [problem]) }
        let started = Date()
        switch sameState([0, 1, 2]) {
        case .success(let space):
            lastState = space
            let ms = Int(Date().timeIntervalSince(started) * 1000)
            note("5. \(name(index)) restarted and caught up in \(ms) ms: \(space.keys.count) keys at revision \(space.revision) on all three")
            return check("5. the killed member restarts from its data dir and catches up: same keys, values and revision on all three", [])
        case .failure(let problem):
            return check("5. the killed member restarts from its data dir and catches up: same keys, values and revision on all three",
                         [problem.description])
        }
    }
}

extension Result {
    var failureDescription: String? {
        if case .failure(let error) = self { return "\(error)" }
        return nil
    }
}
