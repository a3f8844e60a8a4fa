/// gRPC's length-prefixed messages: a compressed flag byte, a 4-byte big-endian length, the
/// message.
public enum GRPCFraming {
    public static func frame(_ message: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0]
        let length = UInt32(message.count)
        out += [UInt8(length >> 24), UInt8(truncatingIfNeeded: length >> 16), UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)]
        return out + message
    }

    /// Splits a body into messages as bytes arrive.
    public struct Decoder {
        public let limit: Int
        private var buffer: [UInt8] = []

        public init(limit: Int) { self.limit = limit }

        public mutating func feed(_ bytes: [UInt8]) { buffer += bytes }

        /// The next whole message, nil until one has arrived.
        public mutating func next() throws(GRPCStatus) -> [UInt8]? {
            guard buffer.count >= 5 else { return nil }
            guard buffer[0] == 0 else { throw GRPCStatus(code: 12, message: "compressed messages are not supported") }
            let length = Int(buffer[1]) << 24 | Int(buffer[2]) << 16 | Int(buffer[3]) << 8 | Int(buffer[4])
            guard length <= limit else {
                throw .resourceExhausted("grpc: received message larger than max (\(length) vs. \(limit))")
            }
            guard buffer.count >= 5 + length else { return nil }
            let message = Array(buffer[5..<(5 + length)])
            buffer.removeSubrange(0..<(5 + length))
            return message
        }

        /// Bytes of an incomplete message at the end of a request are an error.
        public var isEmpty: Bool { buffer.isEmpty }
    }
}
