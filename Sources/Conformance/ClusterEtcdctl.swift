import Foundation
import Wire

/// What one etcdctl run printed and how it ended.
struct EtcdctlResult: Sendable {
    /// The exit code; -1 when etcdctl did not finish in time and was killed.
    let status: Int32
    let stdout: String
    let stderr: String
    let started: Date
    let finished: Date

    var ok: Bool { status == 0 }

    /// A one-line account for a failure message.
    var summary: String {
        let text = (stderr.isEmpty ? stdout : stderr).split(separator: "\n").suffix(2).joined(separator: " | ")
        return status == -1 ? "etcdctl timed out" : "etcdctl exit \(status): \(text)"
    }

    /// The JSON printed by `-w json`, every number kept exactly (as a decimal string).
    var json: JSONValue? { EtcdctlJSON.parse(stdout) }
}

/// Runs /usr/bin/etcdctl (API v3) with short timeouts, so a dead member never hangs a check.
struct Etcdctl: Sendable {
    let path: String
    /// A folder for the output files of the runs.
    let scratch: String

    /// `etcdctl --endpoints ENDPOINTS ARGS`, with `input` on stdin.
    func run(_ endpoints: [String], _ arguments: [String], input: String? = nil, timeout: Double = 3) -> EtcdctlResult {
        let started = Date()
        let base = "\(scratch)/\(UUID().uuidString)"
        defer {
            for suffix in [".out", ".err", ".in"] { try? FileManager.default.removeItem(atPath: base + suffix) }
        }
        let flags = [
            "--endpoints", endpoints.joined(separator: ","), "--dial-timeout", "1s",
            "--command-timeout", "\(Int(timeout * 1000))ms",
        ]
        _ = FileManager.default.createFile(atPath: base + ".out", contents: nil)
        _ = FileManager.default.createFile(atPath: base + ".err", contents: nil)
        if let input { _ = FileManager.default.createFile(atPath: base + ".in", contents: Data(input.utf8)) }
        guard let out = FileHandle(forWritingAtPath: base + ".out"), let err = FileHandle(forWritingAtPath: base + ".err") else {
            return EtcdctlResult(status: -2, stdout: "", stderr: "cannot create \(base).out", started: started, finished: Date())
        }
        let stdin = input == nil ? nil : FileHandle(forReadingAtPath: base + ".in")
        defer { try? out.close(); try? err.close(); try? stdin?.close() }
        do {
            let child = try ChildProcess(executable: path, arguments: flags + arguments, directory: scratch,
                                         environment: ChildProcess.environment(["ETCDCTL_API": "3"]),
                                         stdin: stdin, output: out, errors: err)
            var status = child.wait(timeout: timeout + 3)
            if status == nil {
                child.killAndReap()
                status = -1
            }
            return EtcdctlResult(status: status ?? -1, stdout: Self.text(base + ".out"), stderr: Self.text(base + ".err"),
                                 started: started, finished: Date())
        } catch {
            return EtcdctlResult(status: -2, stdout: "", stderr: "cannot run \(path): \(error)", started: started, finished: Date())
        }
    }

    private static func text(_ path: String) -> String {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }
}

/// etcdctl's `-w json` output. Member ids are uint64s past 2^53, so every bare number is turned
/// into a string before parsing: nothing is rounded.
enum EtcdctlJSON {
    static func parse(_ text: String) -> JSONValue? {
        var out: [UInt8] = []
        var inString = false
        var escaped = false
        var inNumber = false
        for byte in text.utf8 {
            if inString {
                out.append(byte)
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            let numeric = (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
                || (inNumber && (byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") || byte == UInt8(ascii: "+")))
            if numeric && !inNumber { out.append(UInt8(ascii: "\"")); inNumber = true }
            if !numeric && inNumber { out.append(UInt8(ascii: "\"")); inNumber = false }
            if byte == UInt8(ascii: "\"") { inString = true }
            out.append(byte)
        }
        if inNumber { out.append(UInt8(ascii: "\"")) }
        return try? JSONValue(parsing: out)
    }

    static func uint(_ value: JSONValue?) -> UInt64 { value?.stringValue.flatMap { UInt64($0) } ?? 0 }
    static func int(_ value: JSONValue?) -> Int64 { value?.stringValue.flatMap { Int64($0) } ?? 0 }

    static func strings(_ value: JSONValue?) -> [String] {
        guard case .array(let items)? = value else { return [] }
        return items.compactMap(\.stringValue)
    }

    static func base64(_ value: JSONValue?) -> String {
        guard let text = value?.stringValue, let data = Data(base64Encoded: text) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }
}
