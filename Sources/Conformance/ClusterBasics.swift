import Foundation
import Wire

/// Checks 2 and 3: a new cluster elects a leader and publishes its members; reads and writes
/// through every member.
extension ClusterHarness {
    /// Check 2; false when there is no leader (nothing after it can run).
    func checkElection() -> Bool {
        // Started 20 ms apart, as separate machines would be: members started in the same
        // millisecond tick in phase, and two that pick the same timeout split the vote.
        for index in 0..<3 {
            if let problem = start(index) { return check("2. three members start", [problem]) }
            usleep(20_000)
        }
        switch waitForLeader([0, 1, 2]) {
        case .success(let agreed):
            note("2. \(name(agreed.leader)) elected leader, all three agree, \(agreed.ms) ms after start")
            check("2. three members elect exactly one leader all agree on (\(agreed.ms) ms after start)", [])
        case .failure(let problem):
            return check("2. three members elect exactly one leader all agree on", [problem.description])
        }
        check("2. member list through every member shows the three names and client URLs", memberListProblems())
        return true
    }

    /// Polls each member's `member list` until it is complete: attributes are published
    /// through raft.
    private func memberListProblems() -> [String] {
        var problems: [String] = []
        for index in 0..<3 {
            let start = Date()
            var last = "no answer"
            while true {
                switch etcdctl.memberList(endpoint(index)) {
                case .success(let members):
                    let got = members.map { "\($0.name)=\($0.clientURLs.joined(separator: ";")) id \(hex($0.id))" }.sorted()
                    let want = (0..<3).map { "\(name($0))=\(layout.members[$0].clientURL) id \(hex(ids[$0]))" }
                    if got == want {
                        last = ""
                    } else {
                        last = "got [\(got.joined(separator: ", "))], want [\(want.joined(separator: ", "))]"
                    }
                case .failure(let problem):
                    last = problem.description
                }
                if last.isEmpty || Date().timeIntervalSince(start) > waitLimit { break }
                usleep(100_000)
            }
            if !last.isEmpty { problems.append("member list via \(name(index)): \(last)") }
        }
        return problems
    }

    /// Check 3.
    func checkReadsAndWrites() {
        let token = UUID().uuidString.prefix(8)
        for writer in 0..<3 {
            let key = "rw/from-\(name(writer))"
            let value = "value-\(writer)-\(token)"
            var problems: [String] = []
            if let problem = etcdctl.put(endpoint(writer), key, value) {
                problems.append(problem.description)
            } else {
                // Linearizable first: after it, a serializable read on the same member must see the write.
                for reader in 0..<3 {
                    for serializable in [false, true] {
                        let mode = serializable ? "serializable" : "linearizable"
                        switch etcdctl.get(endpoint(reader), key, serializable: serializable) {
                        case .success(value): break
                        case .success(let other): problems.append("\(mode) get via \(name(reader)): \(other ?? "no key"), want \(value)")
                        case .failure(let problem): problems.append("\(mode) get via \(name(reader)): \(problem)")
                        }
                    }
                }
            }
            check("3. a key put via \(name(writer)) reads back, linearizable and serializable, from every member", problems)
        }
        checkConcurrentReads()
        checkTxn()
        checkDelete()
        checkLock()
    }

    /// Linearizable reads arriving at every member at once each get a read index of their own
    /// from the leader. Contexts that collided across members would leave a read unanswered
    /// until the member gives up on its read index (a timeout error, well inside etcdctl's
    /// own timeout), so every read must answer with its key; how long they took is only shown.
    private func checkConcurrentReads() {
        let perMember = 5
        let etcdctl = etcdctl
        let targets = (0..<(3 * perMember)).map { endpoint($0 % 3) }
        let keys = targets.indices.map { "rw/from-\(name($0 % 3))" }
        let results = UnsafeMutableBufferPointer<EtcdctlResult?>.allocate(capacity: targets.count)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        nonisolated(unsafe) let slots = results
        DispatchQueue.concurrentPerform(iterations: targets.count) { index in
            slots[index] = etcdctl.run([targets[index]], ["get", keys[index]], timeout: waitLimit)
        }
        var problems: [String] = []
        var slowest = 0.0
        for (index, result) in results.enumerated() {
            guard let result else { continue }
            slowest = max(slowest, result.finished.timeIntervalSince(result.started))
            if !result.ok {
                problems.append("get via \(targets[index]) failed (exit \(result.status)): \(result.stderr.prefix(200))")
            } else if !result.stdout.hasPrefix(keys[index] + "\n") {
                problems.append("get \(keys[index]) via \(targets[index]) printed \(result.stdout.prefix(200).debugDescription)")
            }
        }
        note("3. \(targets.count) concurrent linearizable reads: the slowest etcdctl took \(Int(slowest * 1000)) ms")
        check("3. \(targets.count) concurrent linearizable reads through all three members each answer with their key", problems)
    }

    private func checkTxn() {
        let script = """
            value("rw/cas") = "one"

            put rw/cas two

            put rw/cas-failure-branch ran


            """
        var problems: [String] = []
        if let problem = etcdctl.put(endpoint(0), "rw/cas", "one") { problems.append(problem.description) }
        let first = etcdctl.run([endpoint(1)], ["txn"], input: script)
        if !first.ok || !first.stdout.hasPrefix("SUCCESS") {
            problems.append("txn via m2 with value(rw/cas) = one: want SUCCESS, got \(first.ok ? first.stdout.debugDescription : first.summary)")
        }
        problems += expect("rw/cas", "two", after: "the success branch") + expect("rw/cas-failure-branch", nil, after: "the success branch")
        check("3. txn compare-and-swap takes the success branch when the compare holds", problems)

        problems = []
        let second = etcdctl.run([endpoint(2)], ["txn"], input: script)
        if !second.ok || !second.stdout.hasPrefix("FAILURE") {
            problems.append("txn via m3 with value(rw/cas) = two: want FAILURE, got \(second.ok ? second.stdout.debugDescription : second.summary)")
        }
        problems += expect("rw/cas", "two", after: "the failure branch") + expect("rw/cas-failure-branch", "ran", after: "the failure branch")
        check("3. txn compare-and-swap takes the failure branch when the compare fails", problems)
    }

    private func checkDelete() {
        var problems: [String] = []
        for index in 0..<3 {
            if let problem = etcdctl.put(endpoint(index), "rw/del/\(index)", "x") { problems.append(problem.description) }
        }
        if let problem = etcdctl.put(endpoint(0), "rw/single", "x") { problems.append(problem.description) }
        for (index, arguments, want) in [(2, ["del", "rw/del/", "--prefix"], "3"), (0, ["del", "rw/del/", "--prefix"], "0"),
                                         (1, ["del", "rw/single"], "1"), (1, ["del", "rw/single"], "0")] {
            let result = etcdctl.run([endpoint(index)], arguments)
            let got = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            if !result.ok || got != want {
                problems.append("\(arguments.joined(separator: " ")) via \(name(index)): want \(want), got \(result.ok ? got : result.summary)")
            }
        }
        for index in 0..<3 {
            switch etcdctl.keySpace(endpoint(index), prefix: "rw/del/") {
            case .success(let space) where space.keys.isEmpty: break
            case .success(let space): problems.append("after del, \(name(index)) still has \(space.keys.map(\.key))")
            case .failure(let problem): problems.append("get rw/del/ via \(name(index)): \(problem)")
            }
        }
        problems += expect("rw/single", nil, after: "del rw/single")
        check("3. del reports how many keys it deleted (3, 0, 1, 0) and they are gone from every member", problems)
    }

    /// Problems when a linearizable get of `key` via any member is not `value` (nil: absent).
    private func expect(_ key: String, _ value: String?, after: String) -> [String] {
        (0..<3).compactMap { index in
            switch etcdctl.get(endpoint(index), key, serializable: false) {
            case .success(let got) where got == value: return nil
            case .success(let got): return "after \(after), \(key) via \(name(index)) is \(got ?? "absent"), want \(value ?? "absent")"
            case .failure(let problem): return "get \(key) via \(name(index)): \(problem)"
            }
        }
    }
}
