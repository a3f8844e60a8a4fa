import Foundation
import Raft
import Testing
import Wire

@Suite("MemoryStorage")
struct MemoryStorageTests {
    static func storage(_ terms: [UInt64]) -> MemoryStorage {
        let storage = MemoryStorage()
        storage.append(terms.enumerated().map { Entry(term: $1, index: UInt64($0 + 1)) })
        return storage
    }

    @Test("appending entries that overlap replaces the log from their first index")
    func appendReplacesSuffix() throws {
        let storage = Self.storage([1, 1, 1, 1])
        storage.append([Entry(term: 2, index: 3)])
        #expect(storage.lastIndex == 3)
        #expect(try storage.term(at: 3) == 2)
        #expect(try storage.term(at: 2) == 1)
    }

    @Test("compacting discards entries up to the index, keeping its term")
    func compactKeepsTerm() throws {
        let storage = Self.storage([1, 2, 3, 4])
        try storage.compact(to: 2)
        #expect(storage.firstIndex == 3)
        #expect(try storage.term(at: 2) == 2)
        #expect(throws: StorageError.compacted) { try storage.term(at: 1) }
        #expect(throws: StorageError.compacted) { try storage.entries(in: 2..<4, maxSize: .max) }
        #expect(throws: StorageError.compacted) { try storage.compact(to: 2) }
        #expect(try storage.entries(in: 3..<5, maxSize: .max).map(\.index) == [3, 4])
    }

    @Test("applying a snapshot replaces the log; an older snapshot is refused")
    func applySnapshot() throws {
        let storage = Self.storage([1, 1, 1])
        let snapshot = Snapshot(metadata: SnapshotMetadata(confState: ConfState(voters: [1, 2]), index: 10, term: 3))
        try storage.applySnapshot(snapshot)
        #expect(storage.firstIndex == 11)
        #expect(storage.lastIndex == 10)
        #expect(try storage.term(at: 10) == 3)
        #expect(storage.initialState().1 == ConfState(voters: [1, 2]))
        #expect(throws: StorageError.snapshotOutOfDate) { try storage.applySnapshot(snapshot) }
    }

    @Test("entries are limited by size, but at least one is returned")
    func entriesSizeLimit() throws {
        let storage = MemoryStorage()
        storage.append((1...4).map { Entry(term: 1, index: $0, data: Data(repeating: 0, count: 100)) })
        #expect(try storage.entries(in: 1..<5, maxSize: 0).count == 1)
        #expect(try storage.entries(in: 1..<5, maxSize: 220).count == 2)
        #expect(try storage.entries(in: 1..<5, maxSize: .max).count == 4)
    }
}
