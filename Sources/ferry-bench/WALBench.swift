import ArgumentParser
import Foundation
import Storage
import Wire

/// `ferry-bench wal`: group commit under 1, 8 and 64 concurrent writers of 256-byte entries,
/// beside the raw fdatasync rate of the same directory.
struct WALBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wal", abstract: "WAL group-commit throughput (run a release build).")

    @Option(help: "Seconds per measurement.") var seconds: Double = 2.0
    @Option(help: "Directory to write in (default: a new folder under the system temporary directory).")
    var dir: String?

    func run() throws {
        let root = dir ?? FileManager.default.temporaryDirectory.appendingPathComponent("ferry-walbench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }

        let raw = try rawSyncRate(root)
        var rows: [(writers: Int, entries: Double, syncs: Double)] = []
        for writers in [1, 8, 64] {
            let (entries, syncs) = try measure(root: root, writers: writers)
            rows.append((writers, entries, syncs))
        }
        print("WAL group commit, 256-byte entries, \(seconds) s each, in \(root):")
        print("writers   entries/s    fsyncs/s   entries/fsync")
        for row in rows {
            print(String(format: "%7d %11.0f %11.0f %15.1f", row.writers, row.entries, row.syncs, row.entries / max(row.syncs, 1)))
        }
        print(String(format: "raw fdatasync of 4 KiB writes: %.0f/s", raw))
        let last = rows[2]
        print(jsonLine([
            "entries_per_s_1": rows[0].entries.rounded(), "entries_per_s_8": rows[1].entries.rounded(),
            "entries_per_s_64": last.entries.rounded(),
            "entries_per_fsync_64": (last.entries / max(last.syncs, 1) * 10).rounded() / 10,
            "raw_fdatasync_per_s": raw.rounded(),
        ]))
    }

    /// Writes of 4 KiB, each followed by fdatasync, in one file.
    func rawSyncRate(_ root: String) throws -> Double {
        let file = try POSIXFileSystem().openForWriting("\(root)/raw", create: true)
        defer { file.close() }
        let block = [UInt8](repeating: 7, count: 4096)
        var count = 0
        let start = Date()
        while Date().timeIntervalSince(start) < seconds {
            try file.write(block, at: (count % 256) * 4096)
            try file.sync()
            count += 1
        }
        return Double(count) / Date().timeIntervalSince(start)
    }

    func measure(root: String, writers: Int) throws -> (entriesPerSecond: Double, syncsPerSecond: Double) {
        let wal = try WAL.create(directory: "\(root)/wal-\(writers)", metadata: Data("bench".utf8))
        let commit = GroupCommitWAL(wal)
        let next = IndexCounter()
        let deadline = Date().addingTimeInterval(seconds)
        let payload = Data(repeating: 0xab, count: 256)
        let group = DispatchGroup()
        let start = Date()
        for _ in 0..<writers {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                while Date() < deadline {
                    let index = next.take()
                    try? commit.saveAndWait(
                        hardState: HardState(term: 1, vote: 1, commit: index),
                        entries: [Entry(term: 1, index: index, data: payload)])
                }
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        group.wait()
        let elapsed = Date().timeIntervalSince(start)
        try commit.close()
        return (Double(commit.savesWritten) / elapsed, Double(commit.syncs) / elapsed)
    }
}

/// Hands out increasing entry indexes to the writer threads.
final class IndexCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value: UInt64 = 0

    func take() -> UInt64 {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}
