import Foundation
import Storage
import Wire

/// Runs WAL cases (../shared/vectors/README.md, wal/): every subfolder with an expected.json.
public enum WALRunner {
    public static func run(directory: String) -> Report {
        var report = Report()
        let cases = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
            .filter { FileManager.default.fileExists(atPath: "\(directory)/\($0)/expected.json") }
        if cases.isEmpty { report.fail("\(directory): no cases (folders with expected.json)") }
        for name in cases {
            let folder = "\(directory)/\(name)"
            do {
                let expected = try JSONValue(parsing: Files.read("\(folder)/expected.json"))
                report.record(name, try check(folder, expected))
            } catch {
                report.fail("\(name): \(error)")
            }
        }
        return report
    }

    static func check(_ folder: String, _ expected: JSONValue) throws -> [String] {
        var problems: [String] = []
        let openAt = WALSnapshot(
            index: UInt64(expected["openAt"]?["index"]?.stringValue ?? "0") ?? 0,
            term: UInt64(expected["openAt"]?["term"]?.stringValue ?? "0") ?? 0)
        let damaged = expected["damaged"] == .bool(true)
        if !damaged, let writes = expected["writes"] {
            problems += try replay(writes, folder: folder, files: expected["files"])
        }
        if let want = expected["readAll"] {
            problems += compare("readAll", try readAll(folder, openAt, writable: false), want)
        }
        if let want = expected["readAllWriteMode"] {
            let got = try readAll(folder, openAt, writable: true)
            // etcd 3.4 loses snapshot_not_found in write mode; reporting it passes too.
            let lostError = expected["readAll"]?["error_kind"] == .string("snapshot_not_found")
                && got["error_kind"] == .string("snapshot_not_found")
            if !lostError { problems += compare("readAllWriteMode", got, want) }
        }
        if damaged {
            let copy = try TemporaryCopy.of(folder)
            defer { TemporaryCopy.remove(copy) }
            let damage = try WALRepair.firstDamage(directory: copy)
            if let file = expected["damage_file"]?.stringValue, damage?.file != file {
                problems.append("damage_file \(damage?.file ?? "none") != \(file)")
            }
            if case .number(let offset)? = expected["damage_offset"], damage.map({ Double($0.offset) }) != offset {
                problems.append("damage_offset \(damage.map { String($0.offset) } ?? "none") != \(Int(offset))")
            }
        }
        if let repair = expected["repair"] {
            problems += try checkRepair(folder, repair, openAt)
        }
        return problems
    }

    static func compare(_ what: String, _ got: JSONValue, _ want: JSONValue) -> [String] {
        if want["error_kind"] != nil || got["error_kind"] != nil {
            if got["error_kind"] != want["error_kind"] || got["stage"] != want["stage"] {
                return ["\(what): got \(got), want error \(want["error_kind"].map { "\($0)" } ?? "none") at \(want["stage"].map { "\($0)" } ?? "-")"]
            }
            return []
        }
        for key in ["metadata", "hardState", "entries"] where got[key] != want[key] {
            return ["\(what).\(key): got \(got[key].map { "\($0)" } ?? "nothing"), want \(want[key].map { "\($0)" } ?? "nothing")"]
        }
        return []
    }

    /// readAll on a fresh copy, as the vectors' JSON.
    static func readAll(_ folder: String, _ openAt: WALSnapshot, writable: Bool) throws -> JSONValue {
        let copy = try TemporaryCopy.of(folder)
        defer { TemporaryCopy.remove(copy) }
        return readAllJSON(copy, openAt, writable: writable)
    }

    static func readAllJSON(_ directory: String, _ openAt: WALSnapshot, writable: Bool) -> JSONValue {
        let wal: WAL
        do { wal = try WAL.open(directory: directory, at: openAt, writable: writable) } catch {
            return errorJSON(error, stage: "open")
        }
        defer { try? wal.close() }
        do {
            let (metadata, state, entries) = try wal.readAll()
            return .object([
                ("metadata", .string(metadata?.base64EncodedString() ?? "")),
                ("hardState", state.jsonValue(.jsonName)),
                ("entries", .array(entries.map { $0.jsonValue(.jsonName) })),
            ])
        } catch {
            return errorJSON(error, stage: "readAll")
        }
    }

    static func errorJSON(_ error: DiskError, stage: String) -> JSONValue {
        .object([("error", .string(error.description)), ("error_kind", .string(errorKind(error))), ("stage", .string(stage))])
    }

    /// The README's closed list of error kinds, and names for the rest.
    static func errorKind(_ error: DiskError) -> String {
        switch error {
        case .recordCRCMismatch: "record_crc_mismatch"
        case .crcMismatch: "crc_mismatch"
        case .unexpectedEOF: "unexpected_eof"
        case .snapshotNotFound: "snapshot_not_found"
        case .fileNotFound, .missingSegment: "file_not_found"
        default: "other"
        }
    }

    /// Replays `writes` into an empty directory and compares the segments it produces.
    static func replay(_ writes: JSONValue, folder: String, files: JSONValue?) throws -> [String] {
        let root = try TemporaryCopy.directory()
        defer { TemporaryCopy.remove(root) }
        let directory = "\(root)/wal"
        var wal: WAL?
        guard case .array(let operations) = writes else { return ["writes is not a list"] }
        do {
            for op in operations {
                switch op["op"]?.stringValue {
                case "create":
                    let metadata = op["metadata"]?.stringValue.flatMap { $0.isEmpty ? nil : Data(base64Encoded: $0) }
                    let size: Int = if case .number(let n)? = op["segmentSizeBytes"] { Int(n) } else { WALFormat.defaultSegmentSize }
                    wal = try WAL.create(directory: directory, metadata: metadata, segmentSize: size)
                case "save":
                    let state = try op["hardState"].map { try HardState(jsonValue: $0, style: .jsonName) } ?? HardState()
                    let entries = try JSONCoding.array(op["entries"] ?? .array([]), "entries").map {
                        try Entry(jsonValue: $0, style: .jsonName)
                    }
                    try wal?.save(hardState: state, entries: entries)
                case "saveSnapshot":
                    try wal?.saveSnapshot(WALSnapshot(
                        index: UInt64(op["index"]?.stringValue ?? "0") ?? 0, term: UInt64(op["term"]?.stringValue ?? "0") ?? 0))
                case "close":
                    try wal?.close()
                    wal = nil
                case let other:
                    return ["unknown write op \(other ?? "nil")"]
                }
            }
            try wal?.close()
        } catch {
            return ["replay failed: \(error)"]
        }
        var problems: [String] = []
        let produced = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        if let files, case .array(let names) = files, produced != names.compactMap(\.stringValue) {
            problems.append("replay produced \(produced), want \(names)")
        }
        for name in produced where FileManager.default.fileExists(atPath: "\(folder)/\(name)") {
            let mine = try Files.read("\(directory)/\(name)")
            let theirs = try Files.read("\(folder)/\(name)")
            let end = recordsEnd(theirs)
            if mine.count != theirs.count {
                problems.append("\(name): size \(mine.count) != \(theirs.count)")
            } else if mine[..<end] != theirs[..<end] {
                let first = (0..<end).first { mine[$0] != theirs[$0] } ?? end
                problems.append("\(name): bytes differ from offset \(first)")
            } else if mine[end...].contains(where: { $0 != 0 }) {
                problems.append("\(name): not zero after the last record (offset \(end))")
            }
        }
        return problems
    }

    /// The end of a segment's last record: where a zero length word or the file's end is.
    static func recordsEnd(_ bytes: [UInt8]) -> Int {
        var at = 0
        while bytes.count - at >= 8 {
            var word: UInt64 = 0
            for i in 0..<8 { word |= UInt64(bytes[at + i]) << (8 * UInt64(i)) }
            if word == 0 { break }
            let recordBytes = Int(word & ~(UInt64(0xff) << 56))
            let padding = Int64(bitPattern: word) < 0 ? Int((word >> 56) & 7) : 0
            guard at + 8 + recordBytes + padding <= bytes.count else { break }
            at += 8 + recordBytes + padding
        }
        return at
    }

    static func checkRepair(_ folder: String, _ want: JSONValue, _ openAt: WALSnapshot) throws -> [String] {
        let copy = try TemporaryCopy.of(folder)
        defer { TemporaryCopy.remove(copy) }
        let outcome = WALRepair.repair(directory: copy)
        var problems: [String] = []
        if want["repaired"] != .bool(outcome.repaired) { problems.append("repair.repaired \(outcome.repaired)") }
        let names = try FileManager.default.contentsOfDirectory(atPath: copy).sorted()
        if let files = want["files"], files != .array(names.map { .string($0) }) {
            problems.append("repair.files \(names) != \(files)")
        }
        if let sizes = want["fileSizes"] {
            let mine = JSONValue.object(try names.map { ($0, .number(Double(try Files.read("\(copy)/\($0)").count))) })
            if mine != sizes { problems.append("repair.fileSizes \(mine) != \(sizes)") }
        }
        let wantTruncated: Int? = if case .number(let n)? = want["truncatedTo"] { Int(n) } else { nil }
        if wantTruncated != outcome.truncatedTo {
            problems.append("repair.truncatedTo \(outcome.truncatedTo.map(String.init) ?? "none") != \(wantTruncated.map(String.init) ?? "none")")
        }
        if let after = want["readAllAfter"] {
            problems += compare("repair.readAllAfter", readAllJSON(copy, openAt, writable: false), after)
        }
        return problems
    }
}
