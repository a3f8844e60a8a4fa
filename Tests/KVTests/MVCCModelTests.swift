import Foundation
import KV
import Testing
import Wire

/// A plain reference: every revision's full key → value map, with create revision and version.
private struct ModelValue: Equatable {
    var value: String
    var create: Int64
    var mod: Int64
    var version: Int64
}

private struct Model {
    var history: [Int64: [String: ModelValue]] = [1: [:]]
    var revision: Int64 = 1
    var compacted: Int64 = -1
    var current: [String: ModelValue] { history[revision]! }

    mutating func commit(_ next: [String: ModelValue]) {
        revision += 1
        history[revision] = next
    }
}

@Suite struct MVCCModelTests {
    static let keys = ["a", "b", "b/1", "b/2", "c", "d", "dd", "e"]

    /// etcd's MVCC semantics against a map of every revision: random puts, deletes, ranges
    /// (current and past revisions, ranges and from-key), txns and compactions.
    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func randomOperationsMatchAReferenceMapOfEveryRevision(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        var driver = EntryDriver()
        var model = Model()
        for step in 0..<600 {
            let key = Self.keys.randomElement(using: &rng)!
            switch Int.random(in: 0..<10, using: &rng) {
            case 0...3:
                let value = "v\(step)"
                _ = try driver.put(key, value).get()
                var next = model.current
                let old = next[key]
                next[key] = ModelValue(value: value, create: old?.create ?? model.revision + 1, mod: model.revision + 1,
                                       version: (old?.version ?? 0) + 1)
                model.commit(next)
            case 4:
                let end = Bool.random(using: &rng) ? "" : Self.keys.randomElement(using: &rng)!
                guard case .deleteRange(let r) = try driver.delete(key, end: end).get() else { Issue.record("not a delete"); return }
                let doomed = model.current.keys.filter { inRange($0, key, end) }
                #expect(r.deleted == Int64(doomed.count), "step \(step)")
                if !doomed.isEmpty {
                    var next = model.current
                    for k in doomed { next[k] = nil }
                    model.commit(next)
                }
            case 5:
                // A txn: value compare on `key`, put on success, delete on failure.
                let expected = model.current[key]?.value ?? ""
                let guess = Bool.random(using: &rng) ? expected : "nope"
                let txn = TxnRequest(
                    compare: [Compare(result: .equal, target: .value, key: Data(key.utf8), targetUnion: .value(Data(guess.utf8)))],
                    success: [RequestOp(request: .requestPut(PutRequest(key: Data(key.utf8), value: Data("t\(step)".utf8))))],
                    failure: [RequestOp(request: .requestDeleteRange(DeleteRangeRequest(key: Data(key.utf8))))])
                guard case .txn(let r) = try driver.apply(InternalRaftRequest(txn: txn)).get() else { Issue.record("not a txn"); return }
                let succeeds = model.current[key] != nil && guess == expected
                #expect(r.succeeded == succeeds, "step \(step)")
                var next = model.current
                if succeeds {
                    let old = next[key]!
                    next[key] = ModelValue(value: "t\(step)", create: old.create, mod: model.revision + 1, version: old.version + 1)
                    model.commit(next)
                } else if next[key] != nil {
                    next[key] = nil
                    model.commit(next)
                }
            case 6 where model.revision > 2:
                let target = Int64.random(in: max(1, model.compacted)...model.revision, using: &rng)
                let result = driver.apply(InternalRaftRequest(compaction: CompactionRequest(revision: target)))
                if target <= model.compacted {
                    #expect(throws: KVError.compacted) { try result.get() }
                } else {
                    _ = try result.get()
                    model.compacted = target
                }
            default:
                let end = ["", "\0", Self.keys.randomElement(using: &rng)!].randomElement(using: &rng)!
                let at = Int64.random(in: 0...model.revision + 1, using: &rng)
                let request = RangeRequest(key: Data(key.utf8), rangeEnd: Data(end.utf8), revision: at)
                let reference = at == 0 ? model.revision : at
                if reference > model.revision {
                    #expect(throws: KVError.futureRevision) { try driver.machine.range(request) }
                } else if reference < model.compacted {
                    #expect(throws: KVError.compacted) { try driver.machine.range(request) }
                } else {
                    let response = try driver.machine.range(request)
                    let state = model.history[reference]!
                    let expected = state.keys.filter { inRange($0, key, end) }.sorted().map { k in
                        KeyValue(key: Data(k.utf8), createRevision: state[k]!.create, modRevision: state[k]!.mod,
                                 version: state[k]!.version, value: Data(state[k]!.value.utf8))
                    }
                    #expect(response.kvs == expected, "step \(step): range \(key)..\(end) at \(at)")
                    #expect(response.header?.revision == model.revision)
                }
            }
            #expect(driver.machine.revision == model.revision, "step \(step)")
        }
    }

    private func inRange(_ k: String, _ key: String, _ end: String) -> Bool {
        if end.isEmpty { return k == key }
        if end == "\0" { return k >= key }
        return k >= key && k < end
    }
}
