import Foundation
import Raft
import Testing
@testable import Storage
import Wire

@Suite("WAL and snapshots in etcd's formats")
struct WALTests {
    func temporaryDirectory() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-wal-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func entries(_ range: ClosedRange<UInt64>, term: UInt64 = 1) -> [Entry] {
        range.map { Entry(term: term, index: $0, data: Data("value-\($0)".utf8)) }
    }

    @Test("what was saved reads back after reopening: metadata, last hard state, entries")
    func reopenReadsBack() throws {
        let root = temporaryDirectory()
        let dir = "\(root)/wal"
        let wal = try WAL.create(directory: dir, metadata: Data("meta".utf8), segmentSize: 4096)
        try wal.save(hardState: HardState(term: 1, vote: 1, commit: 3), entries: entries(1...10))
        try wal.close()
        let reopened = try WAL.open(directory: dir, at: WALSnapshot(), writable: true)
        let (metadata, state, read) = try reopened.readAll()
        #expect(metadata == Data("meta".utf8))
        #expect(state == HardState(term: 1, vote: 1, commit: 3))
        #expect(read == entries(1...10))
        // Writing continues after the last record.
        try reopened.save(hardState: HardState(term: 1, vote: 1, commit: 10), entries: entries(11...12))
        try reopened.close()
        let again = try WAL.open(directory: dir, at: WALSnapshot(), writable: false)
        #expect(try again.readAll().entries == entries(1...12))
    }

    @Test("segments are cut when full and read as one log; a later entry replaces the tail")
    func segmentsAndConflicts() throws {
        let dir = "\(temporaryDirectory())/wal"
        let wal = try WAL.create(directory: dir, metadata: nil, segmentSize: 1024)
        for batch in 0..<20 {
            let first = UInt64(batch * 5 + 1)
            try wal.save(hardState: HardState(term: 1, vote: 1, commit: first), entries: entries(first...(first + 4)))
        }
        try wal.save(hardState: HardState(term: 2, vote: 2, commit: 50), entries: entries(51...51, term: 2))
        try wal.close()
        let names = try POSIXFileSystem().list(dir)
        #expect(names.count > 3)
        let read = try WAL.open(directory: dir, at: WALSnapshot(), writable: false).readAll()
        #expect(read.entries == entries(1...50) + entries(51...51, term: 2))
        #expect(read.hardState == HardState(term: 2, vote: 2, commit: 50))
    }

    @Test("opening at a snapshot returns only the entries after it; a missing snapshot record is an error")
    func openAtSnapshot() throws {
        let dir = "\(temporaryDirectory())/wal"
        let wal = try WAL.create(directory: dir, metadata: nil, segmentSize: 4096)
        try wal.save(hardState: HardState(term: 1, commit: 5), entries: entries(1...8))
        try wal.saveSnapshot(WALSnapshot(index: 5, term: 1))
        try wal.close()
        #expect(try WAL.open(directory: dir, at: WALSnapshot(index: 5, term: 1), writable: false).readAll().entries == entries(6...8))
        #expect(throws: DiskError.snapshotNotFound) {
            try WAL.open(directory: dir, at: WALSnapshot(index: 6, term: 1), writable: false).readAll()
        }
    }

    @Test("a flipped byte is a checksum error naming the file and offset, never silent loss")
    func corruptionIsReported() throws {
        let dir = "\(temporaryDirectory())/wal"
        let wal = try WAL.create(directory: dir, metadata: nil, segmentSize: 4096)
        try wal.save(hardState: HardState(term: 1), entries: entries(1...5))
        try wal.close()
        let name = try POSIXFileSystem().list(dir)[0]
        var bytes = try POSIXFileSystem().readFile("\(dir)/\(name)")
        #expect(try WALRepair.firstDamage(directory: dir) == nil)
        bytes[200] ^= 0x5a
        _ = FileManager.default.createFile(atPath: "\(dir)/\(name)", contents: Data(bytes))
        #expect(throws: DiskError.self) { try WAL.open(directory: dir, at: WALSnapshot(), writable: false).readAll() }
        #expect(try WALRepair.firstDamage(directory: dir)?.file == name)
    }

    @Test("the snapshotter loads the newest readable snapshot and renames broken ones")
    func snapshotter() throws {
        let dir = temporaryDirectory()
        let snap = Snapshotter(directory: dir)
        let older = Snapshot(data: Data("a".utf8), metadata: SnapshotMetadata(confState: ConfState(voters: [1]), index: 10, term: 1))
        let newer = Snapshot(data: Data("b".utf8), metadata: SnapshotMetadata(confState: ConfState(voters: [1]), index: 20, term: 2))
        try snap.save(older)
        try snap.save(newer)
        #expect(try snap.load() == newer)
        let newest = Snapshotter.fileName(term: 2, index: 20)
        var bytes = try POSIXFileSystem().readFile("\(dir)/\(newest)")
        bytes[bytes.count - 1] ^= 1
        _ = FileManager.default.createFile(atPath: "\(dir)/\(newest)", contents: Data(bytes))
        #expect(try snap.load() == older)
        #expect(FileManager.default.fileExists(atPath: "\(dir)/\(newest).broken"))
    }

    @Test("every acknowledged entry survives thousands of simulated power cuts, torn writes included")
    func simulatedCrashes() throws {
        var seeded = SplitMix64(seed: 7)
        let fs = SimulatedFileSystem()
        let dir = "/data/wal"
        try fs.makeDirectory("/data")
        try fs.syncDirectory("/")
        var acknowledged: [Entry] = []
        var crashes = 0
        while crashes < 2000 {
            // Recover: what survives must hold every acknowledged entry, intact.
            let wal: WAL
            if fs.exists(dir) {
                wal = try WAL.open(fs: fs, directory: dir, at: WALSnapshot(), writable: true, segmentSize: 2048)
                let read = try wal.readAll().entries
                #expect(read.count >= acknowledged.count)
                #expect(Array(read.prefix(acknowledged.count)) == acknowledged)
                acknowledged = read
            } else {
                #expect(acknowledged.isEmpty)
                wal = try WAL.create(fs: fs, directory: dir, metadata: Data("m".utf8), segmentSize: 2048)
            }
            // Write until a crash at a random point.
            let saves = Int(seeded.next() % 6)
            for _ in 0..<saves {
                let first = UInt64(acknowledged.count + 1)
                let batch = (first...(first + seeded.next() % 4)).map {
                    Entry(term: 1, index: $0, data: Data(repeating: UInt8(truncatingIfNeeded: $0), count: Int(seeded.next() % 300)))
                }
                try wal.save(hardState: HardState(term: 1, vote: 1, commit: first), entries: batch)
                acknowledged += batch
            }
            fs.crash(tear: seeded.next() % 2 == 0, using: &seeded)
            crashes += 1
        }
        #expect(acknowledged.count > 1000)
    }
}


@Suite("purging old files")
struct PurgeTests {
    @Test("purge keeps the newest files and never removes a segment the WAL still holds")
    func purgeStopsAtLockedSegments() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-purge-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let dir = "\(root)/wal"
        let wal = try WAL.create(directory: dir, metadata: nil, segmentSize: 512)
        for i in UInt64(1)...60 {
            try wal.save(hardState: HardState(term: 1, commit: i), entries: [Entry(term: 1, index: i, data: Data(count: 64))])
        }
        let before = try POSIXFileSystem().list(dir).filter { $0.hasSuffix(".wal") }
        #expect(before.count > 4)
        // Every segment is still locked by the open WAL: nothing goes.
        #expect(try Purge.oldest(directory: dir, suffix: ".wal", keep: 2).isEmpty)
        wal.releaseLock(to: 40)
        let removed = try Purge.oldest(directory: dir, suffix: ".wal", keep: 2)
        #expect(!removed.isEmpty)
        let after = try POSIXFileSystem().list(dir).filter { $0.hasSuffix(".wal") }
        #expect(after.count == before.count - removed.count)
        #expect(after.count >= 2)
        try wal.close()
    }
}

@Suite("inspecting a live WAL")
struct ReadOnlyTests {
    @Test("a WAL another writer holds open and locked can be read without its lock")
    func readWhileLocked() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-ro-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let dir = "\(root)/wal"
        let writer = try WAL.create(directory: dir, metadata: nil, segmentSize: 4096)
        try writer.save(hardState: HardState(term: 1, commit: 2), entries: [Entry(term: 1, index: 1), Entry(term: 1, index: 2)])
        // A second writer is refused: the segment is locked.
        #expect(throws: DiskError.self) { try WAL.open(directory: dir, at: WALSnapshot(), writable: true) }
        let reader = try WAL.open(directory: dir, at: WALSnapshot(), writable: false)
        #expect(try reader.readAll().entries.map(\.index) == [1, 2])
        try writer.close()
    }

    @Test("a gap in the segment numbers is an error naming the segment before it")
    func gapIsReported() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-gap-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let dir = "\(root)/wal"
        let wal = try WAL.create(directory: dir, metadata: nil, segmentSize: 512)
        for i in UInt64(1)...60 {
            try wal.save(hardState: HardState(term: 1, commit: i), entries: [Entry(term: 1, index: i, data: Data(count: 64))])
        }
        try wal.close()
        let names = try POSIXFileSystem().list(dir)
        #expect(names.count >= 4)
        try FileManager.default.removeItem(atPath: "\(dir)/\(names[2])")
        #expect(throws: DiskError.missingSegment(directory: dir, after: names[1])) {
            try WAL.open(directory: dir, at: WALSnapshot(), writable: false)
        }
    }
}
