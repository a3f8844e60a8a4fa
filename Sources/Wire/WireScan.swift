/// The pre-scan every decode runs before protobuf-c: it reads the bytes the way etcd's
/// gogo-generated decoder does, so that exactly what etcd accepts is accepted, and errors
/// name the field and byte offset.
///
/// protobuf-c decodes everything, except what it cannot represent as etcd does: groups
/// (wire types 3/4, which etcd skips and keeps as unknown fields), unknown fields whose tag is
/// not written canonically (etcd keeps them byte for byte), and a few encodings protobuf-c
/// reads differently (tags and length prefixes over 5 bytes, a packed run whose last varint
/// runs past its length, a bool whose only set bits lie past bit 63, a singular embedded
/// message written twice, which protobuf-c merges losing an empty bytes field that etcd
/// keeps; the rewrite concatenates the occurrences instead). Only when one of those occurs is
/// the input rewritten: known fields in canonical form, odd unknown fields wrapped whole in a
/// length-delimited field numbered `wrapperFieldNumber`, a number etcd's decoder can never
/// accept (it reads field numbers as int32 and refuses negatives), so the wrapper cannot be
/// mistaken for input.
enum WireScan {
    static let wrapperFieldNumber: UInt32 = 1 << 31

    /// How deeply messages may nest (etcd's recursive TxnRequest could otherwise exhaust the
    /// stack here and in protobuf-c; Go's growable stack has no such limit).
    static let maxDepth = 100

    /// Checks `bytes` as a `schema` message. Returns whether the input must be rewritten.
    static func check(_ bytes: UnsafeRawBufferPointer, _ schema: WireSchema) throws(WireError) -> Bool {
        var scanner = Scanner(bytes: bytes)
        do {
            return try scanner.message(start: 0, end: bytes.count, schema, depth: 0)
        } catch {
            throw error.wireError
        }
    }

    /// The input with the odd parts rewritten (see the type's comment).
    static func rewrite(_ bytes: UnsafeRawBufferPointer, _ schema: WireSchema) -> [UInt8] {
        var scanner = Scanner(bytes: bytes)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 16)
        scanner.rewrite(start: 0, end: bytes.count, schema, into: &out)
        return out
    }

    static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    static func varintSize(_ value: UInt64) -> Int {
        var v = value
        var n = 1
        while v >= 0x80 { v >>= 7; n += 1 }
        return n
    }

    /// A failure found by the scan. Kept free of strings so the hot path allocates nothing;
    /// the message and field names are filled in only once something failed.
    struct Fault: Error {
        enum Kind {
            case end, overflow, endGroup, tooDeep
            case illegalTag(Int64)
            case wrongWireType(Int)
            case invalidLength(UInt64)
        }

        let kind: Kind
        let offset: Int
        var message: String? = nil
        var field: String? = nil

        var wireError: WireError {
            let path = [message ?? "?", field].compactMap { $0 }.joined(separator: ".")
            switch kind {
            case .end: return .unexpectedEnd(path: path, offset: offset)
            case .overflow: return .varintOverflow(path: path, offset: offset)
            case .endGroup: return .unexpectedEndGroup(path: path, offset: offset)
            case .tooDeep: return .tooDeep(path: path, offset: offset)
            case .illegalTag(let number): return .illegalTag(path: path, offset: offset, fieldNumber: number)
            case .wrongWireType(let wireType):
                return .wrongWireType(path: message ?? "?", offset: offset, field: field ?? "(unknown)", wireType: wireType)
            case .invalidLength(let length): return .invalidLength(path: path, offset: offset, length: length)
            }
        }
    }

    struct Scanner {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        /// etcd's varint loop: at most 10 bytes, the end of the message bounds it.
        @inline(__always)
        mutating func varint(end: Int) throws(Fault) -> UInt64 {
            if offset < end, bytes[offset] < 0x80 {
                offset += 1
                return UInt64(bytes[offset - 1])
            }
            var value: UInt64 = 0
            var shift: UInt64 = 0
            let start = offset
            while true {
                if shift >= 64 { throw Fault(kind: .overflow, offset: start) }
                if offset >= end { throw Fault(kind: .end, offset: offset) }
                let byte = bytes[offset]
                offset += 1
                value |= UInt64(byte & 0x7f) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
        }

        /// A length prefix as etcd reads it (a Go int, so the top bit makes it negative) and
        /// checked against `end`. Leaves `offset` at the payload; returns the payload's end.
        mutating func lengthDelimited(end: Int) throws(Fault) -> Int {
            let start = offset
            let length = try varint(end: end)
            guard length < UInt64(Int.max), Int(length) <= end - offset else {
                if Int64(bitPattern: length) < 0 { throw Fault(kind: .invalidLength(length), offset: start) }
                throw Fault(kind: .end, offset: offset)
            }
            return offset + Int(length)
        }

        mutating func skip(_ width: Int, end: Int) throws(Fault) {
            guard end - offset >= width else { throw Fault(kind: .end, offset: offset) }
            offset += width
        }

        /// Whether the varint at `start` takes over 5 bytes: protobuf-c refuses such a length
        /// prefix. Looks at no byte past the sixth, so it is safe before the prefix is read.
        func lengthPrefixOver5(_ start: Int) -> Bool {
            var i = start
            while i < bytes.count, i - start < 5, bytes[i] & 0x80 != 0 { i += 1 }
            return i - start >= 5
        }

        /// Checks one message; a fault is labelled with this message's type and the field.
        mutating func message(start: Int, end: Int, _ schema: WireSchema, depth: Int) throws(Fault) -> Bool {
            guard depth < WireScan.maxDepth else { throw Fault(kind: .tooDeep, offset: start, message: schema.name) }
            offset = start
            var rewrite = false
            var singularMessagesSeen = FieldNumberSet()
            var current: Int32 = 0
            let direct = schema.directCodes
            do throws(Fault) {
                while offset < end {
                    current = 0
                    let tagStart = offset
                    let wire = try varint(end: end)
                    let tagLength = offset - tagStart
                    let fieldNumber = Int32(truncatingIfNeeded: wire >> 3)
                    let wireType = Int(wire & 7)
                    if wireType == 4 { throw Fault(kind: .endGroup, offset: tagStart) }
                    if fieldNumber <= 0 { throw Fault(kind: .illegalTag(Int64(fieldNumber)), offset: tagStart) }
                    let code = schema.code(fieldNumber, direct)
                    if code == 0 {
                        let odd = try unknownField(tagStart: tagStart, wireType: wireType, end: end)
                        rewrite = rewrite || odd || tagLength > 5 || tagLength != WireScan.varintSize(wire)
                        continue
                    }
                    current = fieldNumber
                    if tagLength > 5 { rewrite = true }
                    let wrongType = Fault(kind: .wrongWireType(wireType), offset: tagStart)
                    switch code {
                    case WireField.varint:
                        guard wireType == 0 else { throw wrongType }
                        _ = try varint(end: end)
                    case WireField.bool:
                        guard wireType == 0 else { throw wrongType }
                        let valueStart = offset
                        let value = try varint(end: end)
                        // protobuf-c calls any set bit true; etcd loses bits past 63.
                        if value == 0, offset - valueStart > 1 { rewrite = true }
                    case WireField.fixed32:
                        guard wireType == 5 else { throw wrongType }
                        try skip(4, end: end)
                    case WireField.fixed64:
                        guard wireType == 1 else { throw wrongType }
                        try skip(8, end: end)
                    case WireField.bytes:
                        guard wireType == 2 else { throw wrongType }
                        if lengthPrefixOver5(offset) { rewrite = true }
                        offset = try lengthDelimited(end: end)
                    case WireField.message, WireField.messages:
                        guard wireType == 2 else { throw wrongType }
                        if lengthPrefixOver5(offset) { rewrite = true }
                        if code == WireField.message, !singularMessagesSeen.insert(fieldNumber) { rewrite = true }
                        let subEnd = try lengthDelimited(end: end)
                        current = 0  // faults inside are labelled by the inner message
                        if try message(start: offset, end: subEnd, schema.subSchema(fieldNumber), depth: depth + 1) { rewrite = true }
                        offset = subEnd
                    case WireField.packedVarint:
                        if wireType == 0 {
                            _ = try varint(end: end)
                        } else if wireType == 2 {
                            if lengthPrefixOver5(offset) { rewrite = true }
                            let runEnd = try lengthDelimited(end: end)
                            // etcd bounds each varint by the message, not by the run.
                            while offset < runEnd { _ = try varint(end: end) }
                            if offset != runEnd || tagLength > 5 { rewrite = true }
                        } else {
                            throw wrongType
                        }
                    default:  // packed fixed32 / fixed64
                        let width = code == WireField.packedFixed32 ? 4 : 8
                        if wireType == (width == 4 ? 5 : 1) {
                            try skip(width, end: end)
                        } else if wireType == 2 {
                            if lengthPrefixOver5(offset) { rewrite = true }
                            let runEnd = try lengthDelimited(end: end)
                            guard (runEnd - offset) % width == 0 else {
                                throw Fault(kind: .invalidLength(UInt64(runEnd - offset)), offset: offset)
                            }
                            offset = runEnd
                        } else {
                            throw wrongType
                        }
                    }
                }
            } catch {
                var fault = error
                if fault.message == nil {
                    fault.message = schema.name
                    fault.field = current == 0 ? nil : schema.field(current).map { "\($0.name)" }
                }
                throw fault
            }
            return rewrite
        }

        /// Skips an unknown field as etcd's skip function does. Returns whether protobuf-c
        /// cannot keep it byte for byte (a group, or a length prefix over 5 bytes).
        mutating func unknownField(tagStart: Int, wireType: Int, end: Int) throws(Fault) -> Bool {
            switch wireType {
            case 0:
                _ = try varint(end: end)
                return false
            case 1:
                try skip(8, end: end)
                return false
            case 5:
                try skip(4, end: end)
                return false
            case 2:
                let prefixStart = offset
                offset = try lengthDelimited(end: end)
                return lengthPrefixOver5(prefixStart)
            case 3:
                try group(end: end)
                return true
            default:
                throw Fault(kind: .wrongWireType(wireType), offset: tagStart)
            }
        }

        /// etcd's group skip: fields of any number until the end-group tag that closes it;
        /// nested groups are counted rather than recursed into, so depth costs no stack.
        mutating func group(end: Int) throws(Fault) {
            var depth = 1
            while true {
                let tagStart = offset
                let wire = try varint(end: end)
                switch Int(wire & 7) {
                case 4:
                    depth -= 1
                    if depth == 0 { return }
                case 3:
                    depth += 1
                case let wireType:
                    _ = try unknownField(tagStart: tagStart, wireType: wireType, end: end)
                }
            }
        }

        /// Re-emits a checked message (see `WireScan`).
        mutating func rewrite(start: Int, end: Int, _ schema: WireSchema, into out: inout [UInt8]) {
            let merged = singularMessageParts(start: start, end: end, schema)
            offset = start
            while offset < end {
                let tagStart = offset
                let wire = unchecked { () throws(Fault) in try varint(end: end) }
                let fieldNumber = Int32(truncatingIfNeeded: wire >> 3)
                let wireType = Int(wire & 7)
                guard let field = schema.field(fieldNumber) else {
                    let tagCanonical = offset - tagStart == WireScan.varintSize(wire) && offset - tagStart <= 5
                    let odd = unchecked { () throws(Fault) in try unknownField(tagStart: tagStart, wireType: wireType, end: end) }
                    if odd || !tagCanonical {
                        WireScan.appendVarint(UInt64(WireScan.wrapperFieldNumber) << 3 | 2, to: &out)
                        WireScan.appendVarint(UInt64(offset - tagStart), to: &out)
                    }
                    out.append(contentsOf: bytes[tagStart..<offset])
                    continue
                }
                let tag = UInt64(UInt32(fieldNumber)) << 3 | UInt64(wireType)
                switch field.kind {
                case .varint, .fixed32, .fixed64:
                    let valueStart = offset
                    skipKnown(field.kind, wireType: wireType, end: end)
                    WireScan.appendVarint(tag, to: &out)
                    out.append(contentsOf: bytes[valueStart..<offset])
                case .bool:
                    let value = unchecked { () throws(Fault) in try varint(end: end) }
                    WireScan.appendVarint(tag, to: &out)
                    out.append(value == 0 ? 0 : 1)
                case .bytes:
                    let payloadEnd = unchecked { () throws(Fault) in try lengthDelimited(end: end) }
                    WireScan.appendVarint(tag, to: &out)
                    WireScan.appendVarint(UInt64(payloadEnd - offset), to: &out)
                    out.append(contentsOf: bytes[offset..<payloadEnd])
                    offset = payloadEnd
                case .message(let sub), .messages(let sub):
                    let subEnd = unchecked { () throws(Fault) in try lengthDelimited(end: end) }
                    let payload = offset..<subEnd
                    offset = subEnd
                    var inner: [UInt8] = []
                    if case .message = field.kind, let parts = merged[fieldNumber] {
                        // Every occurrence as one, written at the first; the later ones go.
                        guard parts[0] == payload else { continue }
                        var joined: [UInt8] = []
                        for part in parts { joined.append(contentsOf: bytes[part]) }
                        joined.withUnsafeBytes { raw in
                            var scanner = Scanner(bytes: raw)
                            scanner.rewrite(start: 0, end: raw.count, sub(), into: &inner)
                        }
                    } else {
                        var scanner = Scanner(bytes: bytes)
                        scanner.rewrite(start: payload.lowerBound, end: payload.upperBound, sub(), into: &inner)
                    }
                    WireScan.appendVarint(tag, to: &out)
                    WireScan.appendVarint(UInt64(inner.count), to: &out)
                    out.append(contentsOf: inner)
                case .packedVarint:
                    if wireType == 0 {
                        let valueStart = offset
                        _ = unchecked { () throws(Fault) in try varint(end: end) }
                        WireScan.appendVarint(tag, to: &out)
                        out.append(contentsOf: bytes[valueStart..<offset])
                    } else {
                        // One field per value: what etcd reads, however the run ends.
                        let runEnd = unchecked { () throws(Fault) in try lengthDelimited(end: end) }
                        while offset < runEnd {
                            let valueStart = offset
                            _ = unchecked { () throws(Fault) in try varint(end: end) }
                            WireScan.appendVarint(UInt64(UInt32(fieldNumber)) << 3, to: &out)
                            out.append(contentsOf: bytes[valueStart..<offset])
                        }
                    }
                case .packedFixed32, .packedFixed64:
                    let valueStart = offset
                    if wireType == 2 {
                        let runEnd = unchecked { () throws(Fault) in try lengthDelimited(end: end) }
                        WireScan.appendVarint(tag, to: &out)
                        WireScan.appendVarint(UInt64(runEnd - offset), to: &out)
                        out.append(contentsOf: bytes[offset..<runEnd])
                        offset = runEnd
                    } else {
                        offset += field.kind.isFixed32 ? 4 : 8
                        WireScan.appendVarint(tag, to: &out)
                        out.append(contentsOf: bytes[valueStart..<offset])
                    }
                }
            }
        }

        /// The payloads of each singular message field written more than once, in order.
        func singularMessageParts(start: Int, end: Int, _ schema: WireSchema) -> [Int32: [Range<Int>]] {
            var scanner = Scanner(bytes: bytes, offset: start)
            var parts: [Int32: [Range<Int>]] = [:]
            while scanner.offset < end {
                let tagStart = scanner.offset
                let wire = unchecked { () throws(Fault) in try scanner.varint(end: end) }
                let fieldNumber = Int32(truncatingIfNeeded: wire >> 3)
                let wireType = Int(wire & 7)
                guard let field = schema.field(fieldNumber) else {
                    _ = unchecked { () throws(Fault) in try scanner.unknownField(tagStart: tagStart, wireType: wireType, end: end) }
                    continue
                }
                if case .message = field.kind {
                    let payloadEnd = unchecked { () throws(Fault) in try scanner.lengthDelimited(end: end) }
                    parts[fieldNumber, default: []].append(scanner.offset..<payloadEnd)
                    scanner.offset = payloadEnd
                } else {
                    scanner.skipKnown(field.kind, wireType: wireType, end: end)
                }
            }
            return parts.filter { $0.value.count > 1 }
        }

        /// Skips a known field's value, already checked.
        mutating func skipKnown(_ kind: WireField.Kind, wireType: Int, end: Int) {
            switch wireType {
            case 0: _ = unchecked { () throws(Fault) in try varint(end: end) }
            case 1: offset += 8
            case 5: offset += 4
            default:
                let runEnd = unchecked { () throws(Fault) in try lengthDelimited(end: end) }
                if case .packedVarint = kind {
                    // etcd bounds each varint by the message, not by the run.
                    while offset < runEnd { _ = unchecked { () throws(Fault) in try varint(end: end) } }
                } else {
                    offset = runEnd
                }
            }
        }

        /// For the rewrite pass, over input that `message(start:end:_:depth:)` accepted.
        func unchecked<T>(_ body: () throws(Fault) -> T) -> T {
            do { return try body() } catch { preconditionFailure("rewrite of checked input failed at byte \(error.offset)") }
        }
    }
}

/// A set of field numbers that allocates only for numbers of 64 and above.
struct FieldNumberSet {
    private var low: UInt64 = 0
    private var high: Set<Int32> = []

    /// Adds `number`; false when it was already there.
    mutating func insert(_ number: Int32) -> Bool {
        if number < 64 {
            let bit = UInt64(1) << UInt64(number)
            defer { low |= bit }
            return low & bit == 0
        }
        return high.insert(number).inserted
    }
}

extension WireField.Kind {
    var isFixed32: Bool {
        switch self {
        case .fixed32, .packedFixed32: true
        default: false
        }
    }
}
