/// Descriptions identical to etcd 3.4's `raft.DescribeMessage(m, nil)` and
/// `raft.DescribeEntry(e, nil)` (raft/util.go), for logs and debugging tools.
extension Message {
    public var describe: String {
        var out = "\(String(from, radix: 16))->\(String(to, radix: 16)) \(type) Term:\(term) Log:\(logTerm)/\(index)"
        if reject { out += " Rejected (Hint: \(rejectHint))" }
        if commit != 0 { out += " Commit:\(commit)" }
        if !entries.isEmpty {
            out += " Entries:[" + entries.map(\.describe).joined(separator: ", ") + "]"
        }
        if snapshot.metadata.index != 0 { out += " Snapshot: " + snapshot.describe }
        return out
    }
}

extension Snapshot {
    /// etcd's DescribeSnapshot.
    public var describe: String {
        "Index:\(metadata.index) Term:\(metadata.term) ConfState:\(metadata.confState.describe)"
    }
}

extension ConfState {
    /// etcd's DescribeConfState.
    public var describe: String {
        func list(_ ids: [UInt64]) -> String { "[" + ids.map(String.init).joined(separator: " ") + "]" }
        return "Voters:\(list(voters)) VotersOutgoing:\(list(votersOutgoing)) Learners:\(list(learners)) "
            + "LearnersNext:\(list(learnersNext)) AutoLeave:\(autoLeave)"
    }
}

extension Entry {
    public var describe: String {
        var formatted = ""
        switch type {
        case .entryNormal:
            formatted = GoQuote.quote(data.map { [UInt8]($0) } ?? [])
        case .entryConfChange:
            do {
                let change = try ConfChange(serializedBytes: data.map { [UInt8]($0) } ?? [])
                formatted = ConfChangeSingle.describe([ConfChangeSingle(type: change.type, nodeID: change.nodeID)])
            } catch {
                formatted = error.description
            }
        case .entryConfChangeV2:
            do {
                formatted = ConfChangeSingle.describe(try ConfChangeV2(serializedBytes: data.map { [UInt8]($0) } ?? []).changes)
            } catch {
                formatted = error.description
            }
        default:
            break
        }
        if !formatted.isEmpty { formatted = " " + formatted }
        return "\(term)/\(index) \(type)\(formatted)"
    }
}

extension ConfChangeSingle {
    /// etcd's ConfChangesToString: `v1 l2 r3 u4`.
    public static func describe(_ changes: [ConfChangeSingle]) -> String {
        changes.map { change in
            let letter = switch change.type {
            case .confChangeAddNode: "v"
            case .confChangeAddLearnerNode: "l"
            case .confChangeRemoveNode: "r"
            case .confChangeUpdateNode: "u"
            default: "unknown"
            }
            return letter + String(change.nodeID)
        }.joined(separator: " ")
    }
}

/// Go's `%q` of a byte slice (strconv.Quote), with Go 1.19's notion of printable: Unicode
/// 13.0 letters, marks, numbers, punctuation, symbols and U+0020.
public enum GoQuote {
    public static func quote(_ bytes: [UInt8]) -> String {
        var out = "\""
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            if byte < 0x80 {
                appendEscaped(Unicode.Scalar(byte), to: &out)
                i += 1
                continue
            }
            if let (scalar, width) = decodeUTF8(bytes, at: i) {
                appendEscaped(scalar, to: &out)
                i += width
            } else {
                out += "\\x" + hex(UInt64(byte), digits: 2)
                i += 1
            }
        }
        return out + "\""
    }

    static func appendEscaped(_ scalar: Unicode.Scalar, to out: inout String) {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case _ where isPrint(scalar): out.unicodeScalars.append(scalar)
        case "\u{07}": out += "\\a"
        case "\u{08}": out += "\\b"
        case "\u{0C}": out += "\\f"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{0B}": out += "\\v"
        case _ where scalar.value < 0x20 || scalar.value == 0x7f:
            out += "\\x" + hex(UInt64(scalar.value), digits: 2)
        case _ where scalar.value < 0x10000:
            out += "\\u" + hex(UInt64(scalar.value), digits: 4)
        default:
            out += "\\U" + hex(UInt64(scalar.value), digits: 8)
        }
    }

    /// Go 1.19's unicode.IsPrint.
    static func isPrint(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if v < 0x80 { return v >= 0x20 && v < 0x7f }
        guard let age = scalar.properties.age, age.major < 13 || (age.major == 13 && age.minor == 0) else {
            return false
        }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .nonspacingMark, .spacingMark, .enclosingMark,
             .decimalNumber, .letterNumber, .otherNumber,
             .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation,
             .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            return true
        default:
            return false
        }
    }

    /// Go's utf8.DecodeRune for a valid sequence: nil for what Go calls RuneError width 1.
    static func decodeUTF8(_ bytes: [UInt8], at i: Int) -> (Unicode.Scalar, Int)? {
        let b0 = bytes[i]
        func cont(_ k: Int, _ low: UInt8 = 0x80, _ high: UInt8 = 0xbf) -> UInt32? {
            guard i + k < bytes.count, bytes[i + k] >= low, bytes[i + k] <= high else { return nil }
            return UInt32(bytes[i + k] & 0x3f)
        }
        switch b0 {
        case 0xc2...0xdf:
            guard let c1 = cont(1) else { return nil }
            return Unicode.Scalar(UInt32(b0 & 0x1f) << 6 | c1).map { ($0, 2) }
        case 0xe0...0xef:
            let low: UInt8 = b0 == 0xe0 ? 0xa0 : 0x80
            let high: UInt8 = b0 == 0xed ? 0x9f : 0xbf
            guard let c1 = cont(1, low, high), let c2 = cont(2) else { return nil }
            return Unicode.Scalar(UInt32(b0 & 0x0f) << 12 | c1 << 6 | c2).map { ($0, 3) }
        case 0xf0...0xf4:
            let low: UInt8 = b0 == 0xf0 ? 0x90 : 0x80
            let high: UInt8 = b0 == 0xf4 ? 0x8f : 0xbf
            guard let c1 = cont(1, low, high), let c2 = cont(2), let c3 = cont(3) else { return nil }
            return Unicode.Scalar(UInt32(b0 & 0x07) << 18 | c1 << 12 | c2 << 6 | c3).map { ($0, 4) }
        default:
            return nil
        }
    }
}
