import Foundation

/// File access shared by the runners.
enum Files {
    struct Missing: Error, CustomStringConvertible {
        let path: String
        var description: String { "cannot read \(path)" }
    }

    static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw Missing(path: path) }
        return [UInt8](data)
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    /// Names of the entries directly in `dir` ending with `suffix`, sorted.
    static func list(_ dir: String, suffix: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { $0.hasSuffix(suffix) }.sorted()
    }

    /// The JSON objects of a JSON-lines file, with their line numbers.
    static func jsonLines(_ path: String) throws -> [(line: Int, value: JSONValueLine)] {
        let text = String(decoding: try read(path), as: UTF8.self)
        var out: [(Int, JSONValueLine)] = []
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            out.append((i + 1, JSONValueLine(text: String(trimmed))))
        }
        return out
    }
}

/// One line of a JSON-lines file, parsed when first needed.
struct JSONValueLine {
    let text: String
}
