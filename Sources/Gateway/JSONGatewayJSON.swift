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
        case .string(let s): JSONString.write(s, to: &out, goStyle: true)
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
                JSONString.write(key, to: &out, goStyle: true)
                out += ":"
                write(member, to: &out)
            }
            out += "}"
        }
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
        if start > 0 {
            bytes.removeFirst(start)
            start = 0
        }
        bytes.append(contentsOf: more)
    }

    /// The next whole value; nil when the bytes so far hold none (none at all once `ended`,
    /// the body being over). Go's scanner says where it ends, and words a syntax error.
    mutating func next(ended: Bool) throws(Failure) -> JSONValue? {
        var scanner = GoJSONScanner()
        var end: Int?
        scan: for index in start..<bytes.count {
            switch scanner.step(bytes[index]) {
            case .continue: continue
            case .endedBefore: end = index
            case .endedWith: end = index + 1
            case .error(let message):
                start = bytes.count
                throw Failure(message: message)
            }
            break scan
        }
        if end == nil {
            let rest = bytes[start...]
            guard ended, rest.contains(where: { !GoJSONScanner.isSpace($0) }) else { return nil }
            // At the body's end a number or literal is whole; anything else was cut short.
            guard scanner.step(0x20) == .endedBefore else {
                start = bytes.count
                throw Failure(message: "unexpected EOF")
            }
            end = bytes.count
        }
        let text = Self.quotingLongIntegers(bytes[start..<end!])
        start = end!
        do {
            return try JSONValue(parsing: text)
        } catch {
            throw Failure(message: "\(error)")
        }
    }

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
