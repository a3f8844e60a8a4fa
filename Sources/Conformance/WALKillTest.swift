import Foundation
import Raft
import Storage
import Wire

/// The SIGKILL crash test: a child process appends entries to a WAL and reports each save
/// once it returns; the parent kills it at random moments, then checks that every entry the
/// child acknowledged reads back intact and that the log reads without error, and restarts
/// it. (SIGKILL keeps the page cache, so this checks the process's own ordering and repair
/// of torn tails; lost fsyncs are the simulated file system's job in StorageTests.)
public enum WALKillTest {
    /// An entry's data, derived from its index so the parent can check it.
    static func payload(_ index: UInt64) -> Data {
        Data((0..<Int(16 + index % 200)).map { UInt8(truncatingIfNeeded: index &* 31 &+ UInt64($0)) })
    }

    static let segmentSize = 256 * 1024

    /// The child: open (or create) the WAL, then append batches forever, printing
    /// `ack <last index>` after every save returns.
    public static func child(directory: String) throws -> Never {
        let wal: WAL
        var last: UInt64 = 0
        if FileManager.default.fileExists(atPath: directory) {
            wal = try WAL.open(directory: directory, at: WALSnapshot(), writable: true, segmentSize: segmentSize)
            last = try wal.readAll().entries.last?.index ?? 0
        } else {
            wal = try WAL.create(directory: directory, metadata: Data("kill-test".utf8), segmentSize: segmentSize)
        }
        var rng = SystemRandomNumberGenerator()
        while true {
            let count = UInt64.random(in: 1...8, using: &rng)
            let entries = ((last + 1)...(last + count)).map { Entry(term: 1, index: $0, data: payload($0)) }
            try wal.save(hardState: HardState(term: 1, vote: 1, commit: last), entries: entries)
            last += count
            FileHandle.standardOutput.write(Data("ack \(last)\n".utf8))
        }
    }

    /// The parent: `kills` rounds of start, wait a random moment, SIGKILL, verify.
    public static func run(executable: String, kills: Int, directory: String, seed: UInt64) -> Report {
        var report = Report()
        var rng = SplitMix64(seed: seed)
        var acknowledged: UInt64 = 0
        try? FileManager.default.removeItem(atPath: directory)
        for round in 0..<kills {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["wal-kill-child", directory]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            do { try process.run() } catch {
                report.fail("round \(round): cannot start the child: \(error)")
                return report
            }
            usleep(useconds_t(2_000 + rng.next() % 40_000))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            for line in text.split(separator: "\n") where line.hasPrefix("ack ") {
                if let index = UInt64(line.dropFirst(4)) { acknowledged = max(acknowledged, index) }
            }
            report.record("kill \(round)", verify(directory: directory, acknowledged: acknowledged))
        }
        try? FileManager.default.removeItem(atPath: directory)
        print("wal-kill: \(kills) kills, \(acknowledged) entries acknowledged")
        if acknowledged == 0 { report.fail("the child never acknowledged a save: nothing was tested") }
        return report
    }

    /// Every acknowledged entry, in order and intact.
    static func verify(directory: String, acknowledged: UInt64) -> [String] {
        guard FileManager.default.fileExists(atPath: directory) else {
            return acknowledged == 0 ? [] : ["the WAL is gone after \(acknowledged) acknowledged entries"]
        }
        do {
            let entries = try WAL.open(directory: directory, at: WALSnapshot(), writable: false).readAll().entries
            guard UInt64(entries.count) >= acknowledged else {
                return ["\(entries.count) entries read, \(acknowledged) acknowledged"]
            }
            for (i, entry) in entries.enumerated() where entry.index != UInt64(i + 1) || entry.data != payload(entry.index) {
                return ["entry \(i + 1) is damaged or out of place"]
            }
            return []
        } catch {
            return ["the WAL does not read: \(error)"]
        }
    }
}
