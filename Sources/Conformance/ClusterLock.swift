import Foundation

/// Check 3 (continued): etcdctl's `lock`, built on clientv3's concurrency package (a session
/// lease kept alive, a txn on the lock key, a watch on the holder before it), gives mutual
/// exclusion and hands over when the holder lets go.
extension ClusterHarness {
    func checkLock() {
        let etcdctl = etcdctl
        let first = endpoint(1)
        let second = endpoint(2)
        let stamp = "$(date +%s%N)"
        let holders = [
            (first, "echo A-start \(stamp); sleep 1; echo A-end \(stamp)", 0),
            (second, "echo B-start \(stamp)", 300_000),
        ]
        let results = UnsafeMutableBufferPointer<EtcdctlResult?>.allocate(capacity: holders.count)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        nonisolated(unsafe) let slots = results
        DispatchQueue.concurrentPerform(iterations: holders.count) { index in
            usleep(useconds_t(holders[index].2))
            slots[index] = etcdctl.run([holders[index].0], ["lock", "ci-lock", "--", "sh", "-c", holders[index].1], timeout: 8)
        }
        var problems: [String] = []
        var times: [String: UInt64] = [:]
        for result in results.compactMap({ $0 }) {
            if !result.ok { problems.append("etcdctl lock failed (exit \(result.status)): \(result.stderr.prefix(200))") }
            for line in result.stdout.split(separator: "\n") {
                let parts = line.split(separator: " ")
                if parts.count == 2, let time = UInt64(parts[1]) { times[String(parts[0])] = time }
            }
        }
        if let end = times["A-end"], let start = times["B-start"] {
            if start < end { problems.append("B held the lock \((end - start) / 1_000_000) ms before A let go") }
            note("3. lock handed from A (via \(first)) to B (via \(second)) \(Int64(start) / 1_000_000 - Int64(end) / 1_000_000) ms after A let go")
        } else if problems.isEmpty {
            problems.append("the holders did not report their times: \(times)")
        }
        check("3. etcdctl lock through two members: mutual exclusion, then hand-over", problems)
    }
}
