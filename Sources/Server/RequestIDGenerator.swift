import Foundation

/// Request IDs as etcd's idutil makes them: the member ID's low 16 bits, then 40 bits of the
/// start time in milliseconds and an 8-bit counter that carries into the time, so IDs stay
/// unique across members and restarts.
struct RequestIDGenerator {
    private let prefix: UInt64
    private var suffix: UInt64

    init(memberID: UInt64, now: Date = Date()) {
        prefix = (memberID & 0xffff) << 48
        let milliseconds = UInt64(now.timeIntervalSince1970 * 1000)
        suffix = (milliseconds & (1 << 40 - 1)) << 8
    }

    mutating func next() -> UInt64 {
        suffix &+= 1
        return prefix | (suffix & (1 << 48 - 1))
    }
}
