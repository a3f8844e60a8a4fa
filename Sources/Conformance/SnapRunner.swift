import Foundation
import Storage
import Wire

/// Runs a snapshot folder (../shared/vectors/README.md, snap/): each file read alone, then
/// Snapshotter.load over the whole folder, on a temporary copy.
public enum SnapRunner {
    public static func run(directory: String) -> Report {
        var report = Report()
        do {
            let expected = try JSONValue(parsing: Files.read("\(directory)/expected.json"))
            let copy = try TemporaryCopy.of(directory)
            defer { TemporaryCopy.remove(copy) }
            let snapshotter = Snapshotter(directory: copy)
            if case .array(let files)? = expected["files"] {
                for file in files {
                    guard let name = file["file"]?.stringValue else { continue }
                    report.record(name, compare(Result { () throws(DiskError) in try snapshotter.read(name) }, file))
                }
            }
            if let load = expected["load"] {
                var problems = compare(Result { () throws(DiskError) in try snapshotter.load() }, load)
                let after = try FileManager.default.contentsOfDirectory(atPath: copy).sorted()
                if let want = load["filesAfter"], want != .array(after.map { .string($0) }) {
                    problems.append("filesAfter \(after) != \(want)")
                }
                report.record("load", problems)
            }
        } catch {
            report.fail("\(directory): \(error)")
        }
        return report
    }

    static func compare(_ result: Result<Snapshot, DiskError>, _ want: JSONValue) -> [String] {
        switch result {
        case .success(let snapshot):
            if let kind = want["error_kind"] { return ["read a snapshot, want error \(kind)"] }
            if let json = want["snapshot"], snapshot.jsonValue(.jsonName) != json {
                return ["snapshot \(snapshot.jsonString()) != \(json)"]
            }
            return []
        case .failure(let error):
            guard let kind = want["error_kind"]?.stringValue else { return ["failed: \(error)"] }
            return kind == errorKind(error) ? [] : ["error \(errorKind(error)) (\(error)) != \(kind)"]
        }
    }

    static func errorKind(_ error: DiskError) -> String {
        switch error {
        case .snapCRCMismatch: "crc_mismatch"
        case .emptySnapshot: "empty_snapshot"
        case .noSnapshot: "no_snapshot"
        default: "other"
        }
    }
}
