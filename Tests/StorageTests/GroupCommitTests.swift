import Foundation
import Testing
@testable import Storage
import Wire

@Suite("group commit")
struct GroupCommitTests {
    @Test("concurrent saves share fsyncs, and every returned save reads back")
    func concurrentSavesShareSyncs() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-gc-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let dir = root + "/wal"
        let commit = GroupCommitWAL(try WAL.create(directory: dir, metadata: nil))
        let writers = 32, perWriter = 20
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    for i in 0..<perWriter {
                        // Distinct indexes per writer; the WAL keeps them in the order written.
                        let index = UInt64(writer * perWriter + i + 1)
                        try await commit.save(hardState: HardState(term: 1, commit: 1), entries: [Entry(term: 1, index: index)])
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(commit.savesWritten == writers * perWriter)
        #expect(commit.syncs < commit.savesWritten)
        try commit.close()
        // Entries were logged in arrival order, so read the records rather than ReadAll's log view.
        let segments = try POSIXFileSystem().list(dir).map { WALDecoder.Segment(name: $0, bytes: try POSIXFileSystem().readFile("\(dir)/\($0)")) }
        var decoder = WALDecoder(segments: segments)
        var indexes = Set<UInt64>()
        while let record = try decoder.next() {
            if record.type == WALFormat.RecordType.entry.rawValue {
                indexes.insert(try Entry(serializedBytes: record.data ?? Data()).index)
            }
        }
        #expect(indexes == Set(1...UInt64(writers * perWriter)))
    }
}
