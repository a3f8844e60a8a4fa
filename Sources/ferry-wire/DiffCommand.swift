import ArgumentParser
import Wire

struct Diff: ToolCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare two encoded messages field by field; prints each differing field path with both values.",
        discussion: "Exit status 1 when they differ. Example: ferry-wire diff --hex a.hex b.hex")

    @Argument(help: "First message file ('-' for stdin).") var first: String
    @Argument(help: "Second message file ('-' for stdin).") var second: String
    @Option(help: "Message type, full or short proto name.") var type = "raftpb.Message"
    @Flag(help: "The inputs are hex text.") var hex = false
    @Flag(help: "The inputs are base64 text.") var base64 = false

    func produce(stdin: () throws -> [UInt8]) throws -> ToolOutput {
        let messageType = try MessageTypeName.resolve(type)
        func load(_ path: String) throws -> JSONValue {
            let bytes = try InputOptions.decodeText(try InputOptions.contents(path, stdin: stdin), hex: hex, base64: base64)
            return try MessageTypeName.decode(bytes, as: messageType).jsonValue(.jsonName)
        }
        let differences = JSONDifference.between(try load(first), try load(second), path: messageType.protoName)
        var output = ToolOutput()
        for difference in differences { output.line(difference) }
        output.status = differences.isEmpty ? 0 : 1
        return output
    }
}

/// Field-by-field differences of two JSON renderings: `path: A → B` per differing leaf.
enum JSONDifference {
    static func between(_ a: JSONValue?, _ b: JSONValue?, path: String) -> [String] {
        switch (a, b) {
        case let (.object(left)?, .object(right)?):
            var keys = left.map(\.0)
            for (key, _) in right where !keys.contains(key) { keys.append(key) }
            return keys.flatMap { key in between(a?[key], b?[key], path: "\(path).\(key)") }
        case let (.array(left)?, .array(right)?):
            return (0..<max(left.count, right.count)).flatMap { i in
                between(i < left.count ? left[i] : nil, i < right.count ? right[i] : nil, path: "\(path)[\(i)]")
            }
        default:
            guard a != b else { return [] }
            return ["\(path): \(a.map { $0.serialized() } ?? "(absent)") → \(b.map { $0.serialized() } ?? "(absent)")"]
        }
    }
}
