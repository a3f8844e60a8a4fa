import Foundation

/// Check 3 (continued): `etcdctl watch` on two members while puts and deletes go through the
/// third prints exactly etcd's events — live (`--prefix`), from history (`--rev`) and with
/// previous values (`--prev-kv`) — and a watch from a compacted revision is refused as etcd
/// refuses it.
extension ClusterHarness {
    func checkWatch() {
        let name = "3. etcdctl watch --prefix, --rev and --prev-kv on two members print exactly the events of writes through the third"
        let prefix = "ci-watch-\(UUID().uuidString.prefix(8))/"
        let writer = endpoint(1)
        var model = WatchedWrites()
        var problems: [String] = []
        var watches: [BackgroundEtcdctl] = []
        defer { for watch in watches { watch.stop() } }

        @discardableResult
        func put(_ key: String, _ value: String) -> Int64 {
            let result = etcdctl.run([writer], ["put", prefix + key, value, "-w", "json"])
            guard result.ok else {
                problems.append("put \(key): \(result.summary)")
                return 0
            }
            model.put(prefix + key, value)
            return EtcdctlJSON.int(result.json?["header"]?["revision"])
        }
        func delete(_ key: String, prefixed: Bool = false) {
            let result = etcdctl.run([writer], ["del", prefix + key] + (prefixed ? ["--prefix"] : []))
            guard result.ok else { return problems.append("del \(key): \(result.summary)") }
            model.delete(prefixed ? model.keys(from: prefix + key) : [prefix + key])
        }
        func watch(_ index: Int, _ flags: [String]) -> BackgroundEtcdctl? {
            do {
                let watch = try BackgroundEtcdctl(etcdctl, endpoint(index), ["watch", prefix, "--prefix"] + flags)
                registry.add(watch.child)
                watches.append(watch)
                return watch
            } catch {
                problems.append("cannot run etcdctl watch: \(error)")
                return nil
            }
        }

        let first = put("a", "1")
        put("b", "2")
        guard problems.isEmpty, let live = watch(0, []), let history = watch(2, ["--rev", String(first)]),
              let previous = watch(2, ["--prev-kv"])
        else {
            check(name, problems)
            return
        }

        // The live watchers print from the first `ready` put they were there for: etcdctl
        // says nothing when its watch is set up, so put one until both have printed one.
        var ready = 0
        let readySince = Date()
        while problems.isEmpty, ![live, previous].allSatisfy({ $0.lines.contains { $0.hasPrefix("ready-") } }) {
            guard Date().timeIntervalSince(readySince) < waitLimit, live.child.isRunning, previous.child.isRunning else {
                problems.append("the live watchers did not both print one of \(ready) ready puts: \(live.tail); \(previous.tail)")
                break
            }
            ready += 1
            put("ready", "ready-\(ready)")
            _ = live.wait(seconds: 0.25) { $0.contains("ready-\(ready)") }
        }
        put("a", "x1")
        put("c", "x2")
        delete("b")
        delete("", prefixed: true)
        put("end", "done")
        guard problems.isEmpty else {
            check(name, problems)
            return
        }

        for (watch, flags, prevKV) in [(live, "", false), (history, " --rev \(first)", false), (previous, " --prev-kv", true)] {
            _ = watch.wait(seconds: waitLimit) { $0.hasSuffix("\(prefix)end\ndone\n") }
            // A live watcher starts at one of the ready puts; which one, its first event says.
            let starts = flags.contains("--rev") ? [0] : model.indexes(ofPutsOf: prefix + "ready")
            let output = watch.output
            let start = starts.first { model.printed(from: $0, prevKV: prevKV) == output } ?? starts[0]
            let expected = model.printed(from: start, prevKV: prevKV)
            if output != expected {
                problems.append("watch --prefix\(flags) via \(watch.endpoint) printed\n\(output)want\n\(expected)"
                                + (watch.errors.isEmpty ? "" : "stderr: \(watch.errors)"))
            }
        }
        if problems.isEmpty {
            note("3. three etcdctl watchers printed the \(model.events.count) events as etcd prints them (\(ready) ready put(s) to catch the live ones)")
        }

        // A watch from a compacted revision: etcd cancels it and etcdctl says so.
        let last = put("compact-me", "x")
        let compacted = etcdctl.run([writer], ["compact", String(last)])
        if !compacted.ok { problems.append("compact \(last): \(compacted.summary)") }
        let refused = etcdctl.run([endpoint(0)], ["watch", prefix, "--prefix", "--rev", String(first)], timeout: waitLimit)
        let expected = "watch was canceled (etcdserver: mvcc: required revision has been compacted)\nError: watch is canceled by the server\n"
        if refused.status != 5 || refused.stderr != expected || !refused.stdout.isEmpty {
            problems.append("watch --rev \(first) after compacting at \(last): exit \(refused.status), stdout \(refused.stdout.debugDescription), stderr \(refused.stderr.debugDescription); want exit 5 and \(expected.debugDescription)")
        }
        check(name, problems)
    }
}

/// The events the check's writes make, in order, and how etcdctl's simple printer shows them:
/// the type, then (with --prev-kv, for a change to an existing key) the previous key and
/// value, then the key and value (a delete's value is empty).
private struct WatchedWrites {
    struct Event {
        let type: String
        let key: String
        let value: String
        let previous: String?
    }

    private var values: [String: String] = [:]
    private(set) var events: [Event] = []

    mutating func put(_ key: String, _ value: String) {
        events.append(Event(type: "PUT", key: key, value: value, previous: values[key]))
        values[key] = value
    }

    /// Deletes `keys`; the events come in key order, as etcd's range delete makes them.
    mutating func delete(_ keys: [String]) {
        for key in keys.sorted() {
            guard let value = values.removeValue(forKey: key) else { continue }
            events.append(Event(type: "DELETE", key: key, value: "", previous: value))
        }
    }

    func keys(from prefix: String) -> [String] { values.keys.filter { $0.hasPrefix(prefix) } }

    func indexes(ofPutsOf key: String) -> [Int] {
        events.indices.filter { events[$0].type == "PUT" && events[$0].key == key }
    }

    func printed(from start: Int, prevKV: Bool) -> String {
        events[start...].map { event in
            var text = event.type + "\n"
            if prevKV, let previous = event.previous { text += "\(event.key)\n\(previous)\n" }
            return text + "\(event.key)\n\(event.value)\n"
        }.joined()
    }
}
