import Foundation

/// Check 3 (continued): etcdctl's `lock`, built on clientv3's concurrency package (a session
/// lease kept alive, a txn on the lock key, a watch on the holder before it), gives mutual
/// exclusion and hands over when the holder lets go.
extension ClusterHarness {
    func checkLock() {
        let title = "3. etcdctl lock through two members: mutual exclusion, then hand-over"
        let lock = "ci-lock-\(UUID().uuidString.prefix(8))"
        let stamp = "$(date +%s%N)"
        // A holds the lock until the check lets it go, once B waits for it.
        let release = "\(etcdctl.scratch)/\(lock).release"
        let holdUntilReleased = "echo A-start \(stamp); while [ ! -e \(release) ]; do sleep 0.02; done; echo A-end \(stamp)"
        var problems: [String] = []
        var holders: [BackgroundEtcdctl] = []
        defer {
            for holder in holders where holder.child.isRunning { holder.child.killAndReap() }
            try? FileManager.default.removeItem(atPath: release)
        }
        func lockHolder(_ index: Int, _ command: String) -> BackgroundEtcdctl? {
            do {
                let holder = try BackgroundEtcdctl(etcdctl, endpoint(index), ["lock", lock, "--", "sh", "-c", command])
                registry.add(holder.child)
                holders.append(holder)
                return holder
            } catch {
                problems.append("cannot run etcdctl lock: \(error)")
                return nil
            }
        }
        guard let first = lockHolder(1, holdUntilReleased) else {
            check(title, problems)
            return
        }
        if !first.wait(seconds: waitLimit, until: { $0.hasPrefix("A-start ") }) {
            problems.append("A (via \(name(1))) did not get the lock: \(first.tail)")
        } else if let second = lockHolder(2, "echo B-start \(stamp)") {
            // B waits once its key is under the lock's prefix, after A's.
            if !pollUntil({ keys(under: lock + "/").count == 2 }) {
                problems.append("B's key never appeared under \(lock)/: \(keys(under: lock + "/"))")
            }
            _ = FileManager.default.createFile(atPath: release, contents: nil)
            for (label, holder) in [("A", first), ("B", second)] {
                let status = holder.child.wait(timeout: waitLimit)
                if status != 0 { problems.append("\(label)'s etcdctl lock \(status.map { "exited \($0)" } ?? "still runs"): \(holder.tail)") }
            }
            var times: [String: UInt64] = [:]
            for line in first.lines + second.lines {
                let parts = line.split(separator: " ")
                if parts.count == 2, let time = UInt64(parts[1]) { times[String(parts[0])] = time }
            }
            if let end = times["A-end"], let start = times["B-start"] {
                if start < end { problems.append("B held the lock \((end - start) / 1_000_000) ms before A let go") }
                note("3. lock handed from A (via \(first.endpoint)) to B (via \(second.endpoint)) \(Int64(start) / 1_000_000 - Int64(end) / 1_000_000) ms after A let go")
            } else if problems.isEmpty {
                problems.append("the holders did not report their times: \(times)")
            }
        }
        check(title, problems)
    }

    /// The keys under `prefix`, read through the first member.
    func keys(under prefix: String) -> [String] {
        let result = etcdctl.run([endpoint(0)], ["get", prefix, "--prefix", "--keys-only"])
        return result.ok ? result.stdout.split(separator: "\n").map(String.init) : []
    }
}
