/// A point in the store's history: `main` advances once per write transaction, `sub` numbers
/// the changes inside it.
public struct Revision: Hashable, Comparable, Sendable {
    public var main: Int64
    public var sub: Int64

    public init(main: Int64, sub: Int64 = 0) {
        self.main = main
        self.sub = sub
    }

    public static func < (a: Revision, b: Revision) -> Bool {
        a.main != b.main ? a.main < b.main : a.sub < b.sub
    }

    /// The key etcd's backend files this revision under: 8-byte big-endian main, `_`, 8-byte
    /// big-endian sub, and `t` for a deletion.
    func backendKey(tombstone: Bool) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(18)
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: UInt64(bitPattern: main) >> UInt64(shift))) }
        out.append(UInt8(ascii: "_"))
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: UInt64(bitPattern: sub) >> UInt64(shift))) }
        if tombstone { out.append(UInt8(ascii: "t")) }
        return out
    }
}
