import Foundation
import Storage
import Wire

/// Reads captured member data dirs as etcd recovers them (newest snapshot, the WAL opened at
/// it, ReadAll) and compares with each member's expected-wal.json (../shared/captures/README.md).
public enum DataDirRunner {
    public static func run(directory: String) -> Report {
        var report = Report()
        let captures = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
            .filter { Files.isDirectory("\(directory)/\($0)") }
        var members = 0
        for capture in captures {
            let folder = "\(directory)/\(capture)"
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
                .filter { FileManager.default.fileExists(atPath: "\(folder)/\($0)/expected-wal.json") }
            for member in names {
                members += 1
                let name = "\(capture)/\(member)"
                do {
                    let want = try JSONValue(parsing: Files.read("\(folder)/\(member)/expected-wal.json"))
                    report.record(name, compare(try recover("\(folder)/\(member)"), want))
                } catch {
                    report.fail("\(name): \(error)")
                }
            }
        }
        if members == 0 { report.fail("\(directory): no member folders with expected-wal.json") }
        return report
    }

    /// What a member recovers from its `wal/` and `snap/` folders, in expected-wal.json's shape.
    public static func recover(_ member: String) throws -> JSONValue {
        var out: [(String, JSONValue)] = []
        var openAt = WALSnapshot()
        if Files.isDirectory("\(member)/snap") {
            let copy = try TemporaryCopy.of("\(member)/snap")
            defer { TemporaryCopy.remove(copy) }
            if let snapshot = try? Snapshotter(directory: copy).load() {
                let meta = snapshot.metadata
                openAt = WALSnapshot(index: meta.index, term: meta.term)
                out.append(("snapshot", .object([
                    ("index", .string(String(meta.index))), ("term", .string(String(meta.term))),
                    ("voters", .array(meta.confState.voters.map { .string(String($0)) })),
                    ("learners", .array(meta.confState.learners.map { .string(String($0)) })),
                    ("dataBytes", .number(Double(snapshot.data?.count ?? 0))),
                ])))
            }
        }
        out.append(("openAt", .object([("index", .string(String(openAt.index))), ("term", .string(String(openAt.term)))])))
        do {
            let wal = try WAL.open(directory: "\(member)/wal", at: openAt, writable: false)
            defer { try? wal.close() }
            let (metadata, state, entries) = try wal.readAll()
            out.append(("metadata", .string(metadata?.base64EncodedString() ?? "")))
            out.append(("hardState", state.jsonValue(.jsonName)))
            out.append(("entryCount", .number(Double(entries.count))))
            if let first = entries.first, let last = entries.last {
                out.append(("firstIndex", .string(String(first.index))))
                out.append(("lastIndex", .string(String(last.index))))
            }
            out.append(("entries", .array(entries.map { entry in
                .object([
                    ("term", .string(String(entry.term))), ("index", .string(String(entry.index))),
                    ("type", .string(entry.type.description)), ("dataBytes", .number(Double(entry.data?.count ?? 0))),
                ])
            })))
        } catch {
            out.append(("error", .string("\(error)")))
        }
        return .object(out)
    }

    static func compare(_ got: JSONValue, _ want: JSONValue) -> [String] {
        guard case .object(let wanted) = want else { return ["expected-wal.json is not an object"] }
        var problems: [String] = []
        for (key, value) in wanted {
            switch key {
            case "error":
                if got["error"] == nil { problems.append("recovered, want an error (\(value))") }
            case "entries":
                let stripped = JSONValue.array(((try? JSONCoding.array(value, "entries")) ?? []).map { entry in
                    guard case .object(let fields) = entry else { return entry }
                    return .object(fields.filter { $0.0 != "payload" })
                })
                if got["entries"] != stripped { problems.append("entries differ") }
            default:
                if got[key] != value { problems.append("\(key): got \(got[key].map { "\($0)" } ?? "nothing"), want \(value)") }
            }
        }
        if want["error"] == nil, let error = got["error"] { problems.append("error \(error)") }
        return problems
    }
}
