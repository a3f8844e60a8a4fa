import Foundation
import Wire

/// Check 9: etcd's own reader (walread, built from etcd 3.4.23's wal and snap packages) reads
/// each stopped member's data dir, and recovers what Ferry recovers from it.
extension ClusterHarness {
    func checkWALs(walread: String) {
        for index in 0..<3 {
            let member = "\(layout.dataDir(index))/member"
            let output = "\(layout.work)/walread-\(name(index)).json"
            let (status, text) = Self.runWalread(walread, member, output: output, directory: layout.work)
            var problems: [String] = []
            guard status == 0 else {
                check("9. etcd's walread reads \(name(index))'s data dir as Ferry does",
                      ["walread exit status \(status.map(String.init) ?? "none"): \(text.prefix(400))"])
                continue
            }
            do {
                let etcd = try JSONValue(parsing: text)
                let ferry = try DataDirRunner.recover(member)
                problems = Self.walDifferences(etcd: etcd, ferry: ferry)
                if problems.isEmpty {
                    note("9. \(name(index)): walread and Ferry agree: \(etcd["entryCount"].map { "\($0)" } ?? "?") entries, index \(etcd["firstIndex"]?.stringValue ?? "-")...\(etcd["lastIndex"]?.stringValue ?? "-"), hardState \(etcd["hardState"].map { "\($0)" } ?? "?")")
                }
            } catch {
                problems.append("walread output: \(error): \(text.prefix(300))")
            }
            check("9. etcd's walread reads \(name(index))'s data dir (exit 0, no error) as Ferry does", problems)
        }
    }

    /// The differences on the keys both readings have (entries compared without `payload`).
    static func walDifferences(etcd: JSONValue, ferry: JSONValue) -> [String] {
        var problems: [String] = []
        if let error = etcd["error"] { problems.append("walread error: \(error)") }
        if let error = ferry["error"] { problems.append("Ferry's reading error: \(error)") }
        for key in ["hardState", "entryCount", "entries"] where etcd[key] == nil || ferry[key] == nil {
            problems.append("\(key) missing from \(etcd[key] == nil ? "walread's" : "Ferry's") reading")
        }
        guard case .object(let fields) = etcd else { return problems + ["walread did not print an object"] }
        for (key, value) in fields where key != "error" {
            guard let mine = ferry[key] else { continue }
            if key == "entries" {
                let theirs = withoutPayload(value)
                let ours = withoutPayload(mine)
                if theirs != ours { problems.append("entries differ: \(firstEntryDifference(theirs, ours))") }
            } else if mine != value {
                problems.append("\(key): walread \(value), Ferry \(mine)")
            }
        }
        return problems
    }

    private static func withoutPayload(_ entries: JSONValue) -> [JSONValue] {
        guard case .array(let items) = entries else { return [] }
        return items.map { entry in
            guard case .object(let fields) = entry else { return entry }
            return .object(fields.filter { $0.0 != "payload" }.sorted { $0.0 < $1.0 })
        }
    }

    private static func firstEntryDifference(_ etcd: [JSONValue], _ ferry: [JSONValue]) -> String {
        for (i, (a, b)) in zip(etcd, ferry).enumerated() where a != b { return "entry \(i): walread \(a), Ferry \(b)" }
        return "walread has \(etcd.count) entries, Ferry \(ferry.count)"
    }

    static func runWalread(_ walread: String, _ member: String, output: String, directory: String) -> (Int32?, String) {
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        guard let handle = FileHandle(forWritingAtPath: output) else { return (nil, "cannot create \(output)") }
        defer { try? handle.close() }
        do {
            let child = try ChildProcess(executable: walread, arguments: [member], directory: directory,
                                         environment: ChildProcess.environment(), output: handle, errors: FileHandle.standardError)
            let status = child.wait(timeout: 30)
            if status == nil { child.killAndReap() }
            return (status, FileManager.default.contents(atPath: output).map { String(decoding: $0, as: UTF8.self) } ?? "")
        } catch {
            return (nil, "cannot run \(walread): \(error)")
        }
    }
}
