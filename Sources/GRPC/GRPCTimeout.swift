import NIOCore

/// `grpc-timeout`: a positive integer of at most 8 digits and a unit (H, M, S, m, u, n).
enum GRPCTimeout {
    private static let units: [(unit: Character, nanoseconds: Int64)] = [
        ("H", 3_600_000_000_000), ("M", 60_000_000_000), ("S", 1_000_000_000), ("m", 1_000_000), ("u", 1_000), ("n", 1),
    ]
    private static let maxValue: Int64 = 99_999_999

    static func parse(_ text: String) -> TimeAmount? {
        guard let unit = text.last, let value = Int64(text.dropLast()), value >= 0,
              let size = units.first(where: { $0.unit == unit })?.nanoseconds
        else { return nil }
        let (nanoseconds, overflow) = value.multipliedReportingOverflow(by: size)
        return .nanoseconds(overflow ? .max : nanoseconds)
    }

    /// The coarsest unit that says `timeout` exactly ("100m"); failing that, the finest one
    /// that fits, rounded up so the server never waits less than the client.
    static func encode(_ timeout: TimeAmount) -> String {
        let nanoseconds = max(timeout.nanoseconds, 0)
        if let exact = units.first(where: { nanoseconds % $0.nanoseconds == 0 && nanoseconds / $0.nanoseconds <= maxValue }) {
            return "\(nanoseconds / exact.nanoseconds)\(exact.unit)"
        }
        // Hours always fit: Int64.max nanoseconds is about 2.6 million hours.
        let (unit, size) = units.reversed().first { nanoseconds / $0.nanoseconds < maxValue }!
        return "\(nanoseconds / size + (nanoseconds % size == 0 ? 0 : 1))\(unit)"
    }
}
