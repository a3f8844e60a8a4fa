import Foundation
import Raft
import Testing
@testable import Storage
import Wire

@Suite("raft's log on disk")
struct DurableLogTests {
    func memberDirectory() -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-member-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        return "\(root)/member"
    }

    func entries(_ range: ClosedRange<UInt64>, term: UInt64) -> [Entry] {
        range.map { Entry(term: term, index: $0, data: Data("e\($0)".utf8)) }
    }

    @Test("a member restarted from its directory has the same hard state, log and snapshot")
    func restartRecoversEverything() throws {
        let dir = memberDirectory()
        let log = try DurableLog(directory: dir, metadata: Data("node=1".utf8), segmentSize: 4096)
        try log.save(hardState: HardState(term: 1, vote: 1, commit: 0), entries: [], snapshot: nil)
        try log.save(hardState: HardState(term: 2, vote: 1, commit: 30), entries: entries(1...40, term: 2), snapshot: nil)
        try log.snapshot(at: 30, confState: ConfState(voters: [1, 2, 3]), data: Data("state@30".utf8), keepEntries: 10)
        // A later term rewrites the tail, as a new leader's entries do.
        try log.save(hardState: HardState(term: 3, vote: 2, commit: 38), entries: entries(38...45, term: 3), snapshot: nil)
        let before = (try log.initialState(), log.firstIndex, log.lastIndex, try log.entries(in: 31..<46, maxSize: .max), try log.snapshot())
        try log.close()

        let reopened = try DurableLog(directory: dir, metadata: nil, segmentSize: 4096)
        #expect(reopened.metadata == Data("node=1".utf8))
        let (state, confState) = try reopened.initialState()
        #expect(state == before.0.0)
        #expect(confState == ConfState(voters: [1, 2, 3]))
        #expect(reopened.lastIndex == 45)
        #expect(try reopened.snapshot() == before.4)
        #expect(try reopened.entries(in: 31..<46, maxSize: .max) == before.3)
        #expect(try reopened.term(at: 38) == 3)
        #expect(reopened.firstIndex == 31)  // the snapshot at 30 starts the log after a restart
        #expect(before.1 == 21)             // while running, 10 entries were kept behind it
    }

    @Test("a snapshot received from the leader is written before the entries after it")
    func receivedSnapshot() throws {
        let dir = memberDirectory()
        let log = try DurableLog(directory: dir, metadata: nil)
        let snapshot = Snapshot(data: Data("db".utf8), metadata: SnapshotMetadata(confState: ConfState(voters: [1]), index: 100, term: 4))
        try log.save(hardState: HardState(term: 4, vote: 0, commit: 100), entries: [], snapshot: snapshot)
        try log.save(hardState: HardState(term: 4, vote: 0, commit: 102), entries: entries(101...102, term: 4), snapshot: nil)
        try log.close()
        let reopened = try DurableLog(directory: dir, metadata: nil)
        #expect(try reopened.snapshot() == snapshot)
        #expect(reopened.firstIndex == 101)
        #expect(try reopened.entries(in: 101..<103, maxSize: .max) == entries(101...102, term: 4))
        #expect(try reopened.initialState().0.commit == 102)
    }
}
