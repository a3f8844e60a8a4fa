import Wire

/// Go's encoding/json scanner, byte by byte, as json.Decoder runs it to find where a value in
/// a stream ends: the gateway's request bodies are split as etcd's are, and a syntax error is
/// worded as Go words it ("invalid character 'b' looking for beginning of object key string").
struct GoJSONScanner {
    enum Step: Equatable {
        case `continue`
        /// The value ended before this byte (a number or literal ends only at the next one).
        case endedBefore
        /// This byte closed the outermost object or array: the value ends with it.
        case endedWith
        case error(String)
    }

    private enum Container { case objectKey, objectValue, arrayValue }

    private enum State {
        case beginValue, beginValueOrEmpty, beginStringOrEmpty, beginString, endValue, endTop
        case inString, inStringEscape, inStringEscapeU(digits: Int)
        case negative, nonZero, zero, dot, dotDigits, exponent, exponentSign, exponentDigits
        case literal(rest: ArraySlice<UInt8>, name: String)
    }

    private var state = State.beginValue
    private var containers: [Container] = []

    mutating func step(_ c: UInt8) -> Step {
        switch state {
        case .beginValue:
            return beginValue(c)
        case .beginValueOrEmpty:
            if Self.isSpace(c) { return .continue }
            return c == UInt8(ascii: "]") ? endValue(c) : beginValue(c)
        case .beginStringOrEmpty:
            if Self.isSpace(c) { return .continue }
            guard c == UInt8(ascii: "}") else { return beginString(c) }
            containers[containers.count - 1] = .objectValue
            return endValue(c)
        case .beginString:
            return beginString(c)
        case .endValue:
            return endValue(c)
        case .endTop:
            return .endedBefore
        case .inString:
            if c == UInt8(ascii: "\"") { state = .endValue } else if c == UInt8(ascii: "\\") { state = .inStringEscape } else if c < 0x20 {
                return Self.error(c, "in string literal")
            }
            return .continue
        case .inStringEscape:
            if c == UInt8(ascii: "u") {
                state = .inStringEscapeU(digits: 0)
            } else if Array("bfnrt\\/\"".utf8).contains(c) {
                state = .inString
            } else {
                return Self.error(c, "in string escape code")
            }
            return .continue
        case .inStringEscapeU(let digits):
            guard Self.isHex(c) else { return Self.error(c, "in \\u hexadecimal character escape") }
            state = digits == 3 ? .inString : .inStringEscapeU(digits: digits + 1)
            return .continue
        case .negative:
            if c == UInt8(ascii: "0") { state = .zero } else if Self.isDigit(c) { state = .nonZero } else {
                return Self.error(c, "in numeric literal")
            }
            return .continue
        case .nonZero:
            return Self.isDigit(c) ? .continue : afterInteger(c)
        case .zero:
            return afterInteger(c)
        case .dot:
            guard Self.isDigit(c) else { return Self.error(c, "after decimal point in numeric literal") }
            state = .dotDigits
            return .continue
        case .dotDigits:
            if Self.isDigit(c) { return .continue }
            if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                state = .exponent
                return .continue
            }
            return endValue(c)
        case .exponent:
            if c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
                state = .exponentSign
                return .continue
            }
            return exponentSign(c)
        case .exponentSign:
            return exponentSign(c)
        case .exponentDigits:
            return Self.isDigit(c) ? .continue : endValue(c)
        case .literal(let rest, let name):
            guard c == rest.first else { return Self.error(c, "in literal \(name) (expecting \(Self.quote(rest.first ?? 0)))") }
            state = rest.count == 1 ? .endValue : .literal(rest: rest.dropFirst(), name: name)
            return .continue
        }
    }

    private mutating func beginValue(_ c: UInt8) -> Step {
        if Self.isSpace(c) { return .continue }
        switch c {
        case UInt8(ascii: "{"):
            state = .beginStringOrEmpty
            containers.append(.objectKey)
        case UInt8(ascii: "["):
            state = .beginValueOrEmpty
            containers.append(.arrayValue)
        case UInt8(ascii: "\""): state = .inString
        case UInt8(ascii: "-"): state = .negative
        case UInt8(ascii: "0"): state = .zero
        case UInt8(ascii: "t"): state = .literal(rest: ArraySlice("rue".utf8), name: "true")
        case UInt8(ascii: "f"): state = .literal(rest: ArraySlice("alse".utf8), name: "false")
        case UInt8(ascii: "n"): state = .literal(rest: ArraySlice("ull".utf8), name: "null")
        case UInt8(ascii: "1")...UInt8(ascii: "9"): state = .nonZero
        default: return Self.error(c, "looking for beginning of value")
        }
        return .continue
    }

    private mutating func beginString(_ c: UInt8) -> Step {
        if Self.isSpace(c) { return .continue }
        guard c == UInt8(ascii: "\"") else { return Self.error(c, "looking for beginning of object key string") }
        state = .inString
        return .continue
    }

    private mutating func endValue(_ c: UInt8) -> Step {
        guard let container = containers.last else {
            state = .endTop
            return .endedBefore
        }
        if Self.isSpace(c) {
            state = .endValue
            return .continue
        }
        switch (container, c) {
        case (.objectKey, UInt8(ascii: ":")):
            containers[containers.count - 1] = .objectValue
            state = .beginValue
        case (.objectValue, UInt8(ascii: ",")):
            containers[containers.count - 1] = .objectKey
            state = .beginString
        case (.arrayValue, UInt8(ascii: ",")):
            state = .beginValue
        case (.objectValue, UInt8(ascii: "}")), (.arrayValue, UInt8(ascii: "]")):
            containers.removeLast()
            state = containers.isEmpty ? .endTop : .endValue
            return containers.isEmpty ? .endedWith : .continue
        case (.objectKey, _): return Self.error(c, "after object key")
        case (.objectValue, _): return Self.error(c, "after object key:value pair")
        case (.arrayValue, _): return Self.error(c, "after array element")
        }
        return .continue
    }

    private mutating func afterInteger(_ c: UInt8) -> Step {
        if c == UInt8(ascii: ".") {
            state = .dot
            return .continue
        }
        if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
            state = .exponent
            return .continue
        }
        return endValue(c)
    }

    private mutating func exponentSign(_ c: UInt8) -> Step {
        guard Self.isDigit(c) else { return Self.error(c, "in exponent of numeric literal") }
        state = .exponentDigits
        return .continue
    }

    static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09 }
    private static func isDigit(_ c: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) }
    private static func isHex(_ c: UInt8) -> Bool { isDigit(c) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(c | 0x20) }

    private static func error(_ c: UInt8, _ context: String) -> Step { .error("invalid character \(quote(c)) \(context)") }

    /// Go's quoteChar: the byte as strconv.Quote writes it (as the rune of that number), in
    /// single quotes.
    static func quote(_ c: UInt8) -> String {
        let inner: String = switch c {
        case UInt8(ascii: "'"): "\\'"
        case UInt8(ascii: "\""): "\""
        case UInt8(ascii: "\\"): "\\\\"
        case 0x07: "\\a"
        case 0x08: "\\b"
        case 0x0c: "\\f"
        case 0x0a: "\\n"
        case 0x0d: "\\r"
        case 0x09: "\\t"
        case 0x0b: "\\v"
        case 0x00..<0x20, 0x7f: "\\x" + hex(UInt64(c), digits: 2)
        case 0x80...0x9f, 0xad: "\\u00" + hex(UInt64(c), digits: 2)
        default: String(Unicode.Scalar(c))
        }
        return "'\(inner)'"
    }
}
