import Capture
import Foundation
import Wire

/// Checks captures of real etcd clusters as ../shared/captures/README.md's "How a harness
/// compares" says: the conn files' stream frames, the whole ordered message list read from
/// `peers.pcapng`, and each member's recovered WAL against its expected-wal.json.
public enum CaptureRunner {
    public static func run(directory: String) -> Report {
        var report = Report()
        let captures = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
            .filter { FileManager.default.fileExists(atPath: "\(directory)/\($0)/messages.jsonl") }
        for capture in captures {
            let folder = "\(directory)/\(capture)"
            do {
                let lines = try jsonLines("\(folder)/messages.jsonl")
                report.record("\(capture)/conn files", try checkConnFiles(folder, lines))
                let traffic = try RaftTraffic(captureFile: Files.read("\(folder)/peers.pcapng"))
                report.record("\(capture)/peers.pcapng", compare(traffic.messages, lines))
            } catch {
                report.fail("\(capture): \(error)")
            }
            let members = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
                .filter { FileManager.default.fileExists(atPath: "\(folder)/\($0)/expected-wal.json") }
            for member in members {
                do {
                    let want = try JSONValue(parsing: Files.read("\(folder)/\(member)/expected-wal.json"))
                    report.record("\(capture)/\(member)", DataDirRunner.compare(try DataDirRunner.recover("\(folder)/\(member)"), want))
                } catch {
                    report.fail("\(capture)/\(member): \(error)")
                }
            }
        }
        if captures.isEmpty { report.fail("\(directory): no capture folders with messages.jsonl") }
        return report
    }

    /// Every `conn-*.bin` decoded from its start must match the lines with its file name,
    /// frame for frame, and every stream line must be matched.
    static func checkConnFiles(_ folder: String, _ lines: [JSONValue]) throws -> [String] {
        var byFrame: [String: JSONValue] = [:]
        for line in lines {
            if let file = line["file"]?.stringValue, case .number(let offset)? = line["offset"] {
                byFrame["\(file)@\(Int(offset))"] = line
            }
        }
        let peers = try streamPeers("\(folder)/http.jsonl")
        var problems: [String] = []
        var matched = 0
        for file in Files.list(folder, suffix: ".bin") where file.hasPrefix("conn-") {
            let parts = file.dropLast(4).split(separator: "-", maxSplits: 2)
            guard parts.count == 3, let conn = Int(parts[1]), let channel = RaftChannel(rawValue: String(parts[2])) else {
                problems.append("\(file): not a conn file name")
                continue
            }
            let (local, remote) = peers[conn] ?? (0, 0)
            let decoded = StreamFrames.decode(try Files.read("\(folder)/\(file)"), channel: channel, local: local, remote: remote)
            if let error = decoded.error { problems.append("\(file): \(error)") }
            for frame in decoded.frames {
                guard let line = byFrame["\(file)@\(frame.offset)"] else {
                    problems.append("\(file)@\(frame.offset): no line for this frame")
                    continue
                }
                matched += 1
                if line["hex"]?.stringValue != hex(bytes: frame.message.serializedBytes()) {
                    problems.append("\(file)@\(frame.offset): hex differs")
                }
                if let describe = line["describe"]?.stringValue, describe != frame.message.describe {
                    problems.append("\(file)@\(frame.offset): describe \(frame.message.describe), want \(describe)")
                }
                if let wire = line["wire_hex"]?.stringValue, wire != hex(bytes: frame.wireBytes) {
                    problems.append("\(file)@\(frame.offset): wire_hex differs")
                }
            }
        }
        if matched != byFrame.count { problems.append("\(byFrame.count - matched) stream lines match no frame of the conn files") }
        return problems
    }

    /// Each stream connection's (local, remote) ids from http.jsonl: `X-Server-From` dialed,
    /// `X-Raft-To` writes the stream.
    static func streamPeers(_ path: String) throws -> [Int: (UInt64, UInt64)] {
        var peers: [Int: (UInt64, UInt64)] = [:]
        for line in try jsonLines(path) {
            guard case .number(let conn)? = line["conn"], let headers = line["request_headers"],
                  let to = headers["X-Raft-To"]?.stringValue.flatMap({ UInt64($0, radix: 16) }),
                  let from = headers["X-Server-From"]?.stringValue.flatMap({ UInt64($0, radix: 16) }) else { continue }
            peers[Int(conn)] = (from, to)
        }
        return peers
    }

    /// The pcap's list against messages.jsonl, line by line.
    static func compare(_ got: [CapturedMessage], _ want: [JSONValue]) -> [String] {
        var problems: [String] = []
        for (index, (message, line)) in zip(got, want).enumerated() {
            let produced = message.jsonLine
            for key in ["hex", "describe", "channel", "time", "conn", "file", "offset", "wire_hex", "snapshot_db_bytes"]
            where produced[key] != line[key] {
                problems.append("line \(index + 1): \(key) \(produced[key].map { "\($0)" } ?? "absent"), want \(line[key].map { "\($0)" } ?? "absent")")
            }
            if problems.count >= 5 { break }
        }
        if got.count != want.count { problems.append("\(got.count) messages in the capture, \(want.count) lines") }
        return problems
    }

    private static func jsonLines(_ path: String) throws -> [JSONValue] {
        try String(decoding: Files.read(path), as: UTF8.self).split(separator: "\n").map { line in
            try JSONValue(parsing: String(line))
        }
    }
}
