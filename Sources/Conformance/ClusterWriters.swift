import Foundation

/// A few threads putting distinct keys through given members with etcdctl, one process per
/// put, recording every put etcdctl acknowledged.
final class ClusterWriters: @unchecked Sendable {
    struct Ack: Sendable {
        let key: String
        let value: String
        let started: Date
        let finished: Date
    }

    /// Guards the fields below; signalled on every acknowledged put.
    private let lock = NSCondition()
    private var acks: [Ack] = []
    private var failures = 0
    private var stopped = false
    private let group = DispatchGroup()

    /// Starts `threads` writers; writer t puts `PREFIXt/SEQ` through `endpoints[t % count]`.
    func start(etcdctl: Etcdctl, endpoints: [String], threads: Int, prefix: String) {
        for thread in 0..<threads {
            group.enter()
            let endpoint = endpoints[thread % endpoints.count]
            Thread.detachNewThread { [self] in
                var sequence = 0
                while !isStopped {
                    sequence += 1
                    let key = "\(prefix)\(thread)/\(sequence)"
                    let value = "v\(thread)-\(sequence)-\(UInt32.random(in: 0...UInt32.max))"
                    let started = Date()
                    if etcdctl.put(endpoint, key, value, timeout: 1.5) == nil {
                        record(Ack(key: key, value: value, started: started, finished: Date()))
                    } else {
                        recordFailure()
                        usleep(20_000)
                    }
                }
                group.leave()
            }
        }
    }

    /// Stops the writers and waits for their last puts to end.
    func stop() {
        lock.lock()
        stopped = true
        lock.unlock()
        group.wait()
    }

    /// Waits until `count` puts started after `since` have been acknowledged; false when
    /// `timeout` seconds pass first.
    func waitForAcknowledged(_ count: Int, startedAfter since: Date = .distantPast, timeout: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        lock.lock()
        defer { lock.unlock() }
        while acks.count(where: { $0.started > since }) < count {
            if !lock.wait(until: deadline) { return false }
        }
        return true
    }

    var acknowledged: [Ack] {
        lock.lock()
        defer { lock.unlock() }
        return acks
    }

    var failed: Int {
        lock.lock()
        defer { lock.unlock() }
        return failures
    }

    private var isStopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopped
    }

    private func record(_ ack: Ack) {
        lock.lock()
        acks.append(ack)
        lock.broadcast()
        lock.unlock()
    }

    private func recordFailure() {
        lock.lock()
        failures += 1
        lock.unlock()
    }
}
