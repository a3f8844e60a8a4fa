import Wire

/// gRPC's length-prefixed messages: a compressed flag byte, a 4-byte big-endian length, the
/// message.
public enum GRPCFraming {
    public static func frame(_ message: [UInt8]) -> [UInt8] {
        let length = UInt32(message.count)
        var out: [UInt8] = []
        out.reserveCapacity(5 + message.count)
        out += [0, UInt8(length >> 24), UInt8(truncatingIfNeeded: length >> 16), UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)]
        out += message
        return out
    }

    /// Splits a body into messages as bytes arrive; a message is copied out once, when whole.
    public struct Decoder: Sendable {
        public let limit: Int
        private var queue = ByteQueue()

        public init(limit: Int) { self.limit = limit }

        public mutating func feed(_ bytes: [UInt8]) { queue.append(contentsOf: bytes) }

        /// The next whole message, nil until one has arrived.
        public mutating func next() throws(GRPCStatus) -> [UInt8]? {
            guard queue.count >= 5 else { return nil }
            guard queue[0] == 0 else { throw GRPCStatus(code: .unimplemented, message: "compressed messages are not supported") }
            let length = Int(queue[1]) << 24 | Int(queue[2]) << 16 | Int(queue[3]) << 8 | Int(queue[4])
            guard length <= limit else {
                throw .resourceExhausted("grpc: received message larger than max (\(length) vs. \(limit))")
            }
            guard queue.count >= 5 + length else { return nil }
            let message = Array(queue.bytes(5..<(5 + length)))
            queue.consume(5 + length)
            return message
        }

        /// Bytes of an incomplete message at the end of a body are an error.
        public var isEmpty: Bool { queue.count == 0 }
    }
}
