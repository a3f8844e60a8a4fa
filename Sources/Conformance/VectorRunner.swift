import Foundation
import Wire

/// Runs wire vectors (../shared/vectors/README.md): each line is a valid, an accepted but not
/// canonical, or a rejected encoding of one message type.
public enum VectorRunner {
    /// Runs `path`, a `.jsonl` file or a directory whose `*.jsonl` files (not subfolders) run.
    public static func run(path: String) -> Report {
        var report = Report()
        let files = Files.isDirectory(path)
            ? Files.list(path, suffix: ".jsonl").map { "\(path)/\($0)" }
            : [path]
        if files.isEmpty { report.fail("\(path): no .jsonl files") }
        for file in files { report.merge(runFile(file)) }
        return report
    }

    static func runFile(_ file: String) -> Report {
        var report = Report()
        let lines: [(line: Int, value: JSONValueLine)]
        do { lines = try Files.jsonLines(file) } catch {
            report.fail("\(file): \(error)")
            return report
        }
        let label = (file as NSString).lastPathComponent
        for (number, line) in lines {
            let vector: JSONValue
            do { vector = try JSONValue(parsing: line.text) } catch {
                report.fail("\(label):\(number): \(error)")
                continue
            }
            let name = "\(label):\(number) \(vector["name"]?.stringValue ?? "?")"
            report.record(name, check(vector))
        }
        return report
    }

    /// The problems with one vector; empty when it passes.
    public static func check(_ vector: JSONValue) -> [String] {
        guard let typeName = vector["type"]?.stringValue else { return ["no type"] }
        guard let type = messageType(typeName) else { return ["unknown type \(typeName)"] }
        guard let hexText = vector["hex"]?.stringValue, let bytes = hexBytes(hexText) else {
            return ["no hex"]
        }
        return check(type, vector, bytes)
    }

    static func messageType(_ name: String) -> (any WireMessage.Type)? {
        if let type = WireRegistry.messageTypes[name] { return type }
        return WireRegistry.messageTypes.first { $0.key.lowercased() == name.lowercased() }?.value
    }

    static func check<T: WireMessage>(_ type: T.Type, _ vector: JSONValue, _ bytes: [UInt8]) -> [String] {
        var problems: [String] = []
        if vector["error"] != nil {
            if let value = try? T(serializedBytes: bytes) {
                problems.append("decoded input etcd rejects, as \(value.jsonString())")
            }
            return problems
        }
        let decoded: T
        do { decoded = try T(serializedBytes: bytes) } catch {
            return ["decode failed: \(error)"]
        }
        if let json = vector["json"], decoded.jsonValue(.jsonName) != json {
            problems.append("decoded JSON \(decoded.jsonString()) != \(json)")
        }
        let encoded = hex(bytes: decoded.serializedBytes())
        if let canonical = vector["canonical_hex"]?.stringValue {
            if encoded != canonical { problems.append("re-encoded \(encoded) != canonical \(canonical)") }
        } else {
            if encoded != hex(bytes: bytes) { problems.append("re-encoded \(encoded) != hex") }
            if let json = vector["json"] {
                do {
                    let built = hex(bytes: try T(jsonValue: json, style: .jsonName).serializedBytes())
                    if built != hex(bytes: bytes) { problems.append("encoded from JSON \(built) != hex") }
                } catch {
                    problems.append("JSON not read: \(error)")
                }
            }
        }
        if let describe = vector["describe"]?.stringValue {
            let mine: String? = (decoded as? Message)?.describe ?? (decoded as? Entry)?.describe
            if let mine {
                if mine != describe { problems.append("describe \(mine.debugDescription) != \(describe.debugDescription)") }
            } else {
                problems.append("no describe for \(T.protoName)")
            }
        }
        return problems
    }
}
