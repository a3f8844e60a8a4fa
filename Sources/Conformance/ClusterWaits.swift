import Foundation
import Wire

/// How long a wait for an event (a leader, a catch-up, a line of output) may take before the
/// check fails. Only a failing run waits this long, so it is generous: on a loaded 2-core
/// machine the members and etcdctl can stall for seconds.
let waitLimit: Double = 30

/// Polls `condition` every `interval` seconds until it holds; false when it still does not
/// after `timeout` seconds.
func pollUntil(timeout: Double = waitLimit, every interval: Double = 0.05, _ condition: () -> Bool) -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: .seconds(timeout))
    while !condition() {
        guard clock.now < deadline else { return false }
        usleep(useconds_t(interval * 1_000_000))
    }
    return true
}

/// Polling the members until they agree: on a leader, on an applied index, on a key space.
extension ClusterHarness {
    /// `endpoint status` of each member of `indexes`, asked at the same time.
    func statuses(_ indexes: [Int], timeout: Double = 1) -> [Int: Result<EndpointStatus, ClusterProblem>] {
        let box = ResultBox<Int, Result<EndpointStatus, ClusterProblem>>()
        DispatchQueue.concurrentPerform(iterations: indexes.count) { slot in
            let index = indexes[slot]
            box.set(index, etcdctl.status(endpoint(index), timeout: timeout))
        }
        return box.values
    }

    /// The statuses when every member of `indexes` answered and all name the same leader, one of
    /// `indexes`; else why not.
    func agreedLeader(_ indexes: [Int]) -> Result<(leader: Int, statuses: [Int: EndpointStatus]), ClusterProblem> {
        var got: [Int: EndpointStatus] = [:]
        for (index, result) in statuses(indexes) {
            switch result {
            case .success(let status): got[index] = status
            case .failure(let problem): return .failure(ClusterProblem("\(name(index)): \(problem)"))
            }
        }
        let leaders = Set(got.values.map(\.leader))
        guard leaders.count == 1, let leader = leaders.first, leader != 0 else {
            return .failure(ClusterProblem("no agreed leader: " + indexes.map { "\(name($0)) says \(hex(got[$0]?.leader ?? 0))" }.joined(separator: ", ")))
        }
        guard let leaderIndex = indexes.first(where: { got[$0]?.memberID == leader }) else {
            return .failure(ClusterProblem("the leader \(hex(leader)) is none of " + indexes.map(name).joined(separator: ", ")))
        }
        return .success((leaderIndex, got))
    }

    /// Polls until `agreedLeader` succeeds or `timeout` passes; the leader, the milliseconds and
    /// the leader's term.
    func waitForLeader(_ indexes: [Int], timeout: Double = waitLimit) -> Result<(leader: Int, ms: Int, term: UInt64), ClusterProblem> {
        let start = Date()
        var last = ClusterProblem("no answer")
        while Date().timeIntervalSince(start) < timeout {
            switch agreedLeader(indexes) {
            case .success(let agreed):
                for (index, status) in agreed.statuses { ids[index] = status.memberID }
                let term = agreed.statuses[agreed.leader]?.raftTerm ?? 0
                return .success((agreed.leader, Int(Date().timeIntervalSince(start) * 1000), term))
            case .failure(let problem): last = problem
            }
            if let dead = deadMembers(indexes).first { return .failure(ClusterProblem(dead)) }
            usleep(25_000)
        }
        return .failure(ClusterProblem("after \(Int(timeout)) s: \(last)"))
    }

    /// Polls until the members of `indexes` agree on a leader and have applied the same index
    /// twice in a row; their statuses then.
    func waitForConvergence(_ indexes: [Int], timeout: Double = waitLimit) -> Result<[Int: EndpointStatus], ClusterProblem> {
        let start = Date()
        var previous: [Int: EndpointStatus]?
        var last = ClusterProblem("no answer")
        while Date().timeIntervalSince(start) < timeout {
            switch agreedLeader(indexes) {
            case .success(let agreed):
                let applied = Set(agreed.statuses.values.map(\.appliedIndex))
                if applied.count == 1, let before = previous, before.mapValues(\.appliedIndex) == agreed.statuses.mapValues(\.appliedIndex) {
                    return .success(agreed.statuses)
                }
                previous = applied.count == 1 ? agreed.statuses : nil
                last = ClusterProblem("applied indexes " + indexes.map { "\(name($0)) \(agreed.statuses[$0]?.appliedIndex ?? 0)" }.joined(separator: ", "))
            case .failure(let problem):
                previous = nil
                last = problem
            }
            if let dead = deadMembers(indexes).first { return .failure(ClusterProblem(dead)) }
            usleep(100_000)
        }
        return .failure(ClusterProblem("not converged after \(Int(timeout)) s: \(last)"))
    }

    /// Once the members of `indexes` have converged: their key spaces read serializably, all
    /// equal; the common key space, or the first difference.
    func sameState(_ indexes: [Int]) -> Result<KeySpace, ClusterProblem> {
        var last = ClusterProblem("no attempt")
        for _ in 0..<4 {
            let before: [Int: EndpointStatus]
            switch waitForConvergence(indexes) {
            case .success(let statuses): before = statuses
            case .failure(let problem): return .failure(problem)
            }
            var spaces: [Int: KeySpace] = [:]
            for index in indexes {
                switch etcdctl.keySpace(endpoint(index), serializable: true) {
                case .success(let space): spaces[index] = space
                case .failure(let problem): return .failure(ClusterProblem("get \"\" --prefix via \(name(index)): \(problem)"))
                }
            }
            // The applied index must not have moved while reading, or the reads are not comparable.
            guard case .success(let after) = agreedLeader(indexes),
                  after.statuses.mapValues(\.appliedIndex) == before.mapValues(\.appliedIndex) else {
                last = ClusterProblem("the applied index moved while reading")
                continue
            }
            let first = spaces[indexes[0]]!
            for index in indexes.dropFirst() {
                if let difference = spaces[index]!.difference(first) {
                    return .failure(ClusterProblem("\(name(index)) differs from \(name(indexes[0])) at applied index \(before[index]!.appliedIndex): \(difference)"))
                }
            }
            return .success(first)
        }
        return .failure(last)
    }
}

/// Results gathered from concurrent work.
final class ResultBox<Key: Hashable, Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Key: Value] = [:]

    func set(_ key: Key, _ value: Value) {
        lock.lock()
        stored[key] = value
        lock.unlock()
    }

    var values: [Key: Value] {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
}
