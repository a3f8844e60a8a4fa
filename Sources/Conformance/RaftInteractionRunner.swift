import Foundation

/// Runs etcd 3.4 raft interaction scripts (../shared/conformance/raft-interaction): every
/// `*.txt` under a directory, each against a fresh harness, comparing each block's output
/// with the expected one as the README says (log lines filtered unless strict).
public enum RaftInteractionRunner {
    public static func run(directory: String, strict: Bool = false) -> Report {
        var report = Report()
        let files = scripts(under: directory)
        if files.isEmpty { report.fail("\(directory): no .txt scripts") }
        for file in files { report.record(file, problems(in: file, strict: strict)) }
        return report
    }

    /// The `*.txt` files under `directory`, recursively, sorted by path.
    static func scripts(under directory: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
        var found: [String] = []
        while let relative = walker.nextObject() as? String {
            if relative.hasSuffix(".txt") { found.append(directory + "/" + relative) }
        }
        return found.sorted()
    }

    /// One problem naming every failing block of the script with its diff; empty when
    /// all blocks match.
    static func problems(in file: String, strict: Bool) -> [String] {
        let script: RaftScript
        do { script = try RaftScript(text: String(decoding: try Files.read(file), as: UTF8.self)) } catch {
            return ["script error: \(error)"]
        }
        let interaction = RaftInteraction()
        var failures: [String] = []
        for block in script.blocks {
            let actual: String
            do { actual = try interaction.handle(block) } catch {
                failures.append("line \(block.line): \(block.text): script error: \(error)")
                break
            }
            let expectedLines = comparable(block.expected, strict: strict)
            let actualLines = comparable(actual, strict: strict)
            if !matches(expectedLines, actualLines) {
                failures.append("line \(block.line): \(block.text)\n" + UnifiedDiff.lines(expected: expectedLines, actual: actualLines))
            }
        }
        return failures.isEmpty ? [] : [failures.count == 1 ? failures[0] : "\n" + failures.joined(separator: "\n")]
    }

    /// The lines to compare: log lines dropped (unless strict), trailing whitespace and
    /// trailing empty lines ignored.
    static func comparable(_ text: String, strict: Bool) -> [String] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            String(line[..<(line.lastIndex { $0 != " " && $0 != "\t" && $0 != "\r" }.map { line.index(after: $0) } ?? line.startIndex)])
        }
        if !strict { lines.removeAll(where: isLogLine) }
        while lines.last == "" { lines.removeLast() }
        return lines
    }

    static let levels = ["DEBUG ", "INFO ", "WARN ", "ERROR ", "FATAL "]

    static func isLogLine(_ line: String) -> Bool {
        let content = line.drop { $0 == " " || $0 == "\t" }
        return levels.contains { content.hasPrefix($0) }
    }

    /// Equal, or one side just `ok`/`ok (quiet)` and the other empty.
    static func matches(_ expected: [String], _ actual: [String]) -> Bool {
        if expected == actual { return true }
        let quiet: ([String]) -> Bool = { $0 == ["ok"] || $0 == ["ok (quiet)"] }
        return (quiet(expected) && actual.isEmpty) || (quiet(actual) && expected.isEmpty)
    }
}

/// A unified diff of two line lists (longest common subsequence), for failure reports.
enum UnifiedDiff {
    static func lines(expected: [String], actual: [String]) -> String {
        let n = expected.count, m = actual.count
        var common = Array(repeating: Array(repeating: 0, count: m + 1), count: n + 1)
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                common[i][j] = expected[i] == actual[j] ? common[i + 1][j + 1] + 1 : max(common[i + 1][j], common[i][j + 1])
            }
        }
        var out = ["--- expected", "+++ actual"]
        var i = 0, j = 0
        while i < n || j < m {
            if i < n, j < m, expected[i] == actual[j] {
                out.append(" " + expected[i])
                i += 1
                j += 1
            } else if j < m, i == n || common[i][j + 1] >= common[i + 1][j] {
                out.append("+" + actual[j])
                j += 1
            } else {
                out.append("-" + expected[i])
                i += 1
            }
        }
        return out.joined(separator: "\n")
    }
}
