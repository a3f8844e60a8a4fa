import Foundation

/// Runners that write (WAL replay, repair, snapshot load) work on a fresh copy of a vector
/// folder in a temporary directory, never on ../shared itself.
enum TemporaryCopy {
    static func directory() throws -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("ferry-conformance-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A writable copy of `source`'s files (not subfolders, not the case's expected.json);
    /// the caller removes it.
    static func of(_ source: String) throws -> String {
        let copy = try directory()
        for name in try FileManager.default.contentsOfDirectory(atPath: source) {
            let from = "\(source)/\(name)"
            guard name != "expected.json", !Files.isDirectory(from), let data = FileManager.default.contents(atPath: from) else { continue }
            _ = FileManager.default.createFile(atPath: "\(copy)/\(name)", contents: data, attributes: [.posixPermissions: 0o600])
        }
        return copy
    }

    static func remove(_ path: String) { try? FileManager.default.removeItem(atPath: path) }
}
