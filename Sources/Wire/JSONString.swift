/// JSON string literals. Every writer escapes quotes, backslashes and control characters;
/// `goStyle` adds what Go's encoding/json escapes besides (`<`, `>`, `&`, U+2028, U+2029), as
/// the JSON etcd and its tools print has them.
public enum JSONString {
    public static func write(_ s: String, to out: inout String, goStyle: Bool = false) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || goStyle && goEscapes.contains(scalar):
                out += "\\u" + hex(UInt64(scalar.value), digits: 4)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    private static let goEscapes: Set<Unicode.Scalar> = ["<", ">", "&", "\u{2028}", "\u{2029}"]

    /// `s` as a JSON string literal.
    public static func quoted(_ s: String, goStyle: Bool = false) -> String {
        var out = ""
        write(s, to: &out, goStyle: goStyle)
        return out
    }
}
