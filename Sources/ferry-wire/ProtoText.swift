import Wire

/// Renderings of protobuf bytes walked with `ProtoFieldWalker`: gogo's compact text format
/// (`name:value name:<...> `), and the annotated byte-range view of `decode --annotate`.
enum ProtoText {
    /// gogo's compact text format, fields in wire order; unknown fields by number.
    static func render(_ bytes: [UInt8], _ schema: WireSchema) -> String {
        guard let fields = try? ProtoFieldWalker.walk(bytes, 0..<bytes.count, schema) else { return "undecodable" }
        return compact(bytes, fields)
    }

    private static func compact(_ bytes: [UInt8], _ fields: [ProtoFieldOccurrence]) -> String {
        fields.map { field in
            let name = field.name ?? String(field.number)
            if let children = field.children { return "\(name):<\(compact(bytes, children))> " }
            return "\(name):\(value(bytes, field.value)) "
        }.joined()
    }

    /// One line per field: byte range, field number, wire type, name and value, nested
    /// messages indented beneath their field.
    static func annotate(_ bytes: [UInt8], _ schema: WireSchema) throws -> String {
        let fields = try ProtoFieldWalker.walk(bytes, 0..<bytes.count, schema)
        var out = ""
        annotate(bytes, fields, depth: 0, into: &out)
        return out
    }

    private static func annotate(_ bytes: [UInt8], _ fields: [ProtoFieldOccurrence], depth: Int, into out: inout String) {
        let wireTypes = ["varint", "fixed64", "bytes", "group start", "group end", "fixed32"]
        for field in fields {
            let indent = String(repeating: "  ", count: depth)
            let range = "[\(field.range.lowerBound)..<\(field.range.upperBound)]"
            let head = "\(indent)\(range) field \(field.number) \(wireTypes[field.wireType]) \(field.name ?? "(unknown)")"
            if let children = field.children {
                out += head + " {\n"
                annotate(bytes, children, depth: depth + 1, into: &out)
                out += "\(indent)}\n"
            } else {
                out += head + " = " + value(bytes, field.value) + "\n"
            }
        }
    }

    private static func value(_ bytes: [UInt8], _ value: ProtoFieldOccurrence.Value) -> String {
        switch value {
        case .varint(let v): String(v)
        case .fixed32(let v): String(v)
        case .fixed64(let v): String(v)
        case .bytes(let range): quote(bytes[range])
        case .group: "(group)"
        }
    }

    /// A C-style quoted string, non-printable bytes as octal escapes, as gogo's text format writes bytes.
    static func quote(_ bytes: ArraySlice<UInt8>) -> String {
        var out = "\""
        for byte in bytes {
            switch byte {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x20...0x7E: out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let octal = String(byte, radix: 8)
                out += "\\" + String(repeating: "0", count: 3 - octal.count) + octal
            }
        }
        return out + "\""
    }
}
