import Foundation

/// An enum of etcd's schemas. Values outside the enum are kept (etcd keeps them too) and
/// print as their number.
public protocol WireEnum: RawRepresentable, Hashable, Sendable, CustomStringConvertible
where RawValue == Int32 {
    init(rawValue: Int32)
    /// The name the .proto gives this value, nil for a value outside the enum.
    var name: String? { get }
    init?(name: String)
}

extension WireEnum {
    public var description: String { name ?? String(rawValue) }
}

/// Reading JSON into message fields, shared by the generated `init(jsonValue:style:)`.
public struct JSONFields {
    let members: [(String, JSONValue)]
    let path: String

    public init(_ value: JSONValue, path: String) throws(WireError) {
        guard case .object(let members) = value else {
            throw .invalidJSON(path: path, reason: "expected an object, found \(value)")
        }
        self.members = members
        self.path = path
    }

    /// The member named `jsonName` or `protoName`; a JSON null counts as absent.
    public func value(_ jsonName: String, _ protoName: String) -> JSONValue? {
        for (key, value) in members where key == jsonName || key == protoName {
            if case .null = value { return nil }
            return value
        }
        return nil
    }

    public func fieldPath(_ name: String) -> String { "\(path).\(name)" }
}

/// Conversions between field values and their JSON form.
public enum JSONCoding {
    static func fail(_ value: JSONValue, _ path: String, _ what: String) -> WireError {
        .invalidJSON(path: path, reason: "expected \(what), found \(value)")
    }

    static func integerText(_ value: JSONValue, _ path: String) throws(WireError) -> String {
        switch value {
        case .string(let s): return s
        case .number(let n) where n == n.rounded(): return String(format: "%.0f", n)
        default: throw fail(value, path, "an integer")
        }
    }

    public static func uint64(_ value: JSONValue, _ path: String) throws(WireError) -> UInt64 {
        guard let v = UInt64(try integerText(value, path)) else { throw fail(value, path, "a uint64") }
        return v
    }

    public static func int64(_ value: JSONValue, _ path: String) throws(WireError) -> Int64 {
        guard let v = Int64(try integerText(value, path)) else { throw fail(value, path, "an int64") }
        return v
    }

    public static func uint32(_ value: JSONValue, _ path: String) throws(WireError) -> UInt32 {
        guard let v = UInt32(try integerText(value, path)) else { throw fail(value, path, "a uint32") }
        return v
    }

    public static func int32(_ value: JSONValue, _ path: String) throws(WireError) -> Int32 {
        guard let v = Int32(try integerText(value, path)) else { throw fail(value, path, "an int32") }
        return v
    }

    public static func bool(_ value: JSONValue, _ path: String) throws(WireError) -> Bool {
        guard case .bool(let b) = value else { throw fail(value, path, "a bool") }
        return b
    }

    public static func double(_ value: JSONValue, _ path: String) throws(WireError) -> Double {
        switch value {
        case .number(let n): return n
        case .string(let s): if let n = Double(s) { return n }
        default: break
        }
        throw fail(value, path, "a number")
    }

    public static func string(_ value: JSONValue, _ path: String) throws(WireError) -> String {
        guard case .string(let s) = value else { throw fail(value, path, "a string") }
        return s
    }

    public static func bytes(_ value: JSONValue, _ path: String) throws(WireError) -> Data {
        guard case .string(let s) = value else { throw fail(value, path, "base64 bytes") }
        // Accept the URL-safe alphabet and missing padding too, as jsonpb does.
        var text = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        guard let data = Data(base64Encoded: text) else { throw fail(value, path, "base64 bytes") }
        return data
    }

    public static func enumValue<E: WireEnum>(_ value: JSONValue, _ path: String) throws(WireError) -> E {
        switch value {
        case .string(let s):
            if let e = E(name: s) { return e }
            if let n = Int32(s) { return E(rawValue: n) }
        case .number(let n) where n == n.rounded() && n >= Double(Int32.min) && n <= Double(Int32.max):
            return E(rawValue: Int32(n))
        default: break
        }
        throw fail(value, path, "a \(E.self) name")
    }

    public static func array(_ value: JSONValue, _ path: String) throws(WireError) -> [JSONValue] {
        guard case .array(let items) = value else { throw fail(value, path, "an array") }
        return items
    }

    public static func base64(_ data: Data) -> JSONValue { .string(data.base64EncodedString()) }

    /// An enum as raftpb's vectors write it: the name, or the number as a string.
    public static func enumName<E: WireEnum>(_ value: E) -> JSONValue { .string(value.description) }

    /// An enum as jsonpb writes it: the name, or the bare number.
    public static func enumJSONPB<E: WireEnum>(_ value: E) -> JSONValue {
        if let name = value.name { return .string(name) }
        return .number(Double(value.rawValue))
    }
}
