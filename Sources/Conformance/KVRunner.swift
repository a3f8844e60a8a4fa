import Foundation
import KV
import Wire

/// Replays KV transcripts (../shared/conformance/kv/README.md) against a fresh
/// `KVStateMachine` per file, answering each line the way etcd's server does: the gRPC
/// layer's checks, reads from the store, writes encoded as InternalRaftRequest entries and
/// applied from their bytes, errors as rpctypes maps them.
public enum KVRunner {
    /// Runs `path`, a `.jsonl` transcript or a directory whose `*.jsonl` files run; one count
    /// per file. With `endpoints` (HOST:PORT each), through the gRPC API of the running
    /// cluster there, which must be fresh for each file, instead of an in-process store.
    public static func run(path: String, endpoints: [String]? = nil) -> Report {
        var report = Report()
        let files = Files.isDirectory(path)
            ? Files.list(path, suffix: ".jsonl").map { "\(path)/\($0)" }
            : [path]
        if files.isEmpty { report.fail("\(path): no .jsonl files") }
        for file in files {
            let label = (file as NSString).lastPathComponent
            do {
                report.record(label, try endpoints.map { try KVRemoteCluster.replay(file, endpoints: $0) } ?? runFile(file))
            } catch {
                report.fail("\(label): \(error)")
            }
        }
        return report
    }

    /// The problems of one transcript, in line order; empty when it passes.
    static func runFile(_ file: String) throws -> [String] {
        var node = KVTranscriptNode()
        return try replay(file, on: &node)
    }

    /// Replays the lines of `file` on `target`: the problems, in line order.
    static func replay(_ file: String, on target: inout some KVTranscriptTarget) throws -> [String] {
        var problems: [String] = []
        for (number, line) in try Files.jsonLines(file) {
            let value = try JSONValue(parsing: line.text)
            switch value["op"]?.stringValue {
            case "request":
                let kind = value["kind"]?.stringValue ?? "?"
                let answer = try target.answer(kind: kind, request: value["request"] ?? .object([]))
                let expected = value["error"].map { JSONValue.object([("error", $0)]) }
                    ?? .object([("response", value["response"] ?? .null)])
                if let difference = JSONDifference.first(expected, answer) {
                    problems.append("line \(number) (\(kind)): \(difference)")
                }
            case "watch":
                let request = try WatchCreateRequest(jsonValue: value["request"] ?? .object([]), style: .protoName)
                try target.watch(value["watch_id"]?.stringValue ?? "?", request)
            case "cancel":
                guard let label = value["watch_id"]?.stringValue, try target.cancelWatch(label) else {
                    problems.append("line \(number): cancel of an unknown watcher")
                    continue
                }
            case "events":
                let label = value["watch_id"]?.stringValue ?? "?"
                guard let received = try target.watchResponses(label) else {
                    problems.append("line \(number): events of an unknown watcher \(label)")
                    continue
                }
                guard case .array(let expected)? = value["responses"] else {
                    problems.append("line \(number): no responses")
                    continue
                }
                if let difference = WatchComparison.first(expected: expected, received: received) {
                    problems.append("line \(number) (events of \(label)): \(difference)")
                }
            default:
                problems.append("line \(number): unknown op \(value["op"]?.description ?? "none")")
            }
        }
        return problems
    }
}

/// What a transcript is replayed on: one etcd member's answers, as the README's lines ask.
protocol KVTranscriptTarget {
    /// The answer to one request line: `{"response": ...}` or `{"error": {code, message}}`,
    /// normalised as the transcripts are.
    mutating func answer(kind: String, request: JSONValue) throws -> JSONValue
    /// Creates the watcher `label`, caught up on the history it asks for before returning.
    mutating func watch(_ label: String, _ request: WatchCreateRequest) throws
    /// Cancels the watcher `label`; false for an unknown one.
    mutating func cancelWatch(_ label: String) throws -> Bool
    /// Every response the watcher `label` received (protoName JSON), once every event due
    /// to it is in; nil for an unknown watcher.
    mutating func watchResponses(_ label: String) throws -> [JSONValue]?
}

/// How a watcher's responses are compared: the created/canceled sequence, then the events
/// concatenated (response boundaries, headers and progress notifications do not count).
enum WatchComparison {
    static func first(expected: [JSONValue], received: [JSONValue]) -> String? {
        if let difference = JSONDifference.first(.array(statuses(expected)), .array(statuses(received))) {
            return "status sequence: \(difference)"
        }
        if let difference = JSONDifference.first(.array(events(expected)), .array(events(received))) {
            return "events: \(difference)"
        }
        return nil
    }

    private static let statusFields = ["created", "canceled", "compact_revision", "cancel_reason"]

    private static func statuses(_ responses: [JSONValue]) -> [JSONValue] {
        responses.compactMap { response in
            let members = statusFields.compactMap { name in response[name].map { (name, $0) } }
            return members.isEmpty ? nil : .object(members)
        }
    }

    private static func events(_ responses: [JSONValue]) -> [JSONValue] {
        responses.flatMap { response -> [JSONValue] in
            if case .array(let events)? = response["events"] { return events }
            return []
        }
    }
}
