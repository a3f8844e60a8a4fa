import Wire

/// JSON text as etcd's gateway writes it: jsonpb hands strings to Go's encoding/json, which
/// escapes `<`, `>`, `&`, U+2028 and U+2029 as well as control characters, and writes no
/// space between tokens.
enum GatewayJSON {
    static func text(_ value: JSONValue) -> String {
        var out = ""
        write(value, to: &out)
        return out
    }

    private static func write(_ value: JSONValue, to out: inout String) {
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        // The gateway's numbers are int32, uint32 and enum values: exact in a Double.
        case .number(let n): out += n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : "\(n)"
        case .string(let s): writeString(s, to: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                write(item, to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, (key, member)) in members.enumerated() {
                if i > 0 { out += "," }
                writeString(key, to: &out)
                out += ":"
                write(member, to: &out)
            }
            out += "}"
        }
    }

    private static func writeString(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<", ">", "&", "\u{2028}", "\u{2029}": writeEscaped(scalar, to: &out)
            case _ where scalar.value < 0x20: writeEscaped(scalar, to: &out)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    private static func writeEscaped(_ scalar: Unicode.Scalar, to out: inout String) {
        let hex = String(scalar.value, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
    }
}

/// The JSON values of a request body, one after another, as Go's json.Decoder reads them
/// from a stream: the gateway decodes one request message from each.
struct JSONValueStream {
    private var bytes: [UInt8] = []
    private var start = 0

    /// Why a value could not be read; `message` is what the gateway answers.
    struct Failure: Error {
        let message: String
    }

    /// Bytes held for values not yet complete.
    var pendingCount: Int { bytes.count - start }

    mutating func append(_ more: some Sequence<UInt8>) {
        if start > 0, start == bytes.count {
            bytes.removeAll(keepingCapacity: true)
            start = 0
        }
        bytes.append(contentsOf: more)
    }

    /// The next whole value; nil when the bytes so far hold none (none at all once `ended`,
    /// the body being over).
    mutating func next(ended: Bool) throws(Failure) -> JSONValue? {
        while start < bytes.count, Self.isSpace(bytes[start]) { start += 1 }
        guard start < bytes.count else { return nil }
        guard let end = valueEnd(from: start, ended: ended) else {
            if ended { throw Failure(message: "unexpected EOF") }
            return nil
        }
        let text = Self.quotingLongIntegers(bytes[start..<end])
        start = end
        do {
            return try JSONValue(parsing: text)
        } catch {
            throw Failure(message: "\(error)")
        }
    }

    /// Where the value starting at `from` ends; nil when it runs past the bytes so far.
    private func valueEnd(from: Int, ended: Bool) -> Int? {
        var depth = 0
        var inString = false
        var index = from
        switch bytes[from] {
        case UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: "\""):
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                if inString {
                    if byte == UInt8(ascii: "\\") { index += 1 } else if byte == UInt8(ascii: "\"") { inString = false }
                } else if byte == UInt8(ascii: "\"") {
                    inString = true
                } else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                    depth += 1
                } else if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") {
                    depth -= 1
                }
                if depth <= 0, !inString { return min(index, bytes.count) }
            }
            return nil
        default:
            // A bare literal or number ends at the next delimiter (or at the body's end).
            while index < bytes.count, !Self.isDelimiter(bytes[index]) { index += 1 }
            if index == from { return from + 1 }
            return index < bytes.count || ended ? index : nil
        }
    }

    private static func isSpace(_ byte: UInt8) -> Bool { [0x20, 0x0a, 0x0d, 0x09].contains(byte) }

    private static func isDelimiter(_ byte: UInt8) -> Bool { isSpace(byte) || Array("{}[],:\"".utf8).contains(byte) }

    /// jsonpb reads an int64 or uint64 given as a bare number exactly; JSONValue keeps numbers
    /// as Doubles, so an integer too long for one becomes a string, which the field reads alike.
    static func quotingLongIntegers(_ text: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count + 8)
        var index = text.startIndex
        var inString = false
        while index < text.endIndex {
            let byte = text[index]
            if inString {
                out.append(byte)
                if byte == UInt8(ascii: "\\"), index + 1 < text.endIndex {
                    out.append(text[index + 1])
                    index += 1
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                index += 1
                continue
            }
            if byte == UInt8(ascii: "\"") { inString = true }
            guard byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else {
                out.append(byte)
                index += 1
                continue
            }
            var end = index + 1
            while end < text.endIndex, "+-0123456789.eE".utf8.contains(text[end]) { end += 1 }
            let token = text[index..<end]
            let digits = token.filter { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }.count
            let isInteger = token.dropFirst().allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
            if isInteger, digits > 15 {
                out.append(UInt8(ascii: "\""))
                out.append(contentsOf: token)
                out.append(UInt8(ascii: "\""))
            } else {
                out.append(contentsOf: token)
            }
            index = end
        }
        return out
    }
}
