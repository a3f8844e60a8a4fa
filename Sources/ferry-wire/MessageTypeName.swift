import Wire

/// Resolves `--type`: a full proto name (`raftpb.Message`) or an unambiguous short one (`Entry`).
enum MessageTypeName {
    static func resolve(_ name: String) throws -> any WireMessage.Type {
        if let type = WireRegistry.messageTypes[name] { return type }
        let matches = WireRegistry.messageTypes.filter { $0.key.hasSuffix(".\(name)") }
        guard matches.count == 1, let match = matches.first else {
            throw ToolError.usage(matches.isEmpty
                ? "unknown message type \(name)"
                : "ambiguous message type \(name): \(matches.keys.sorted().joined(separator: ", "))")
        }
        return match.value
    }

    /// Decodes `bytes` as `type`, reporting where decoding failed.
    static func decode(_ bytes: [UInt8], as type: any WireMessage.Type) throws -> any WireMessage {
        do {
            return try type.init(serializedBytes: bytes)
        } catch {
            throw ToolError.decoding(type.protoName, error)
        }
    }
}
