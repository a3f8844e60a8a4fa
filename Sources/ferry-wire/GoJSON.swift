import Foundation
import Wire

/// JSON as Go's `json.MarshalIndent(v, "", " ")` prints a map-based document: keys sorted,
/// one-space indent, strings escaped as Go escapes them — the layout of expected-wal.json.
enum GoJSON {
    static func indented(_ value: JSONValue) -> String {
        var out = ""
        write(value, depth: 0, into: &out)
        return out
    }

    private static func write(_ value: JSONValue, depth: Int, into out: inout String) {
        let pad = String(repeating: " ", count: depth + 1), closing = String(repeating: " ", count: depth)
        switch value {
        case .array(let items) where !items.isEmpty:
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += pad
                write(item, depth: depth + 1, into: &out)
                out += i + 1 < items.count ? ",\n" : "\n"
            }
            out += closing + "]"
        case .object(let members) where !members.isEmpty:
            out += "{\n"
            let sorted = members.sorted { $0.0 < $1.0 }
            for (i, (key, item)) in sorted.enumerated() {
                out += pad + JSONString.quoted(key, goStyle: true) + ": "
                write(item, depth: depth + 1, into: &out)
                out += i + 1 < sorted.count ? ",\n" : "\n"
            }
            out += closing + "}"
        case .string(let text):
            out += JSONString.quoted(text, goStyle: true)
        default:
            out += value.serialized()
        }
    }
}
