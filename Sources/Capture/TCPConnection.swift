/// One TCP connection of a capture: both directions' bytes in sequence order, each byte timed
/// by the first captured segment that carried it. The byte streams stop at the first hole.
public struct TCPConnection: Sendable {
    /// tshark's `tcp.stream`: 0, 1, ... in the order of each connection's first packet.
    public var number: Int
    /// The side that opened the connection (sent the SYN), or sent the first packet.
    public var client: TCPEndpoint
    public var server: TCPEndpoint
    public var clientBytes: TimedBytes
    public var serverBytes: TimedBytes
}

/// Sorts a capture's TCP segments into connections and reassembles each direction by
/// sequence number; the first captured copy of a byte wins, a retransmission adds nothing.
public enum TCPReassembler {
    public static func connections(_ packets: [CapturedPacket]) -> [TCPConnection] {
        var builders: [Builder] = []
        var open: [Pair: Int] = [:]
        for packet in packets {
            guard let segment = TCPSegment(packet) else { continue }
            let pair = Pair(segment.source, segment.destination)
            if let index = open[pair], !builders[index].isReopened(by: segment) {
                builders[index].add(segment)
            } else {
                open[pair] = builders.count
                var builder = Builder(client: segment.syn && segment.ack ? segment.destination : segment.source,
                                      server: segment.syn && segment.ack ? segment.source : segment.destination)
                builder.add(segment)
                builders.append(builder)
            }
        }
        return builders.enumerated().map { number, builder in
            TCPConnection(number: number, client: builder.client, server: builder.server,
                          clientBytes: builder.fromClient.assembled(), serverBytes: builder.fromServer.assembled())
        }
    }

    /// The unordered endpoint pair naming a connection.
    private struct Pair: Hashable {
        let low: TCPEndpoint, high: TCPEndpoint
        init(_ a: TCPEndpoint, _ b: TCPEndpoint) {
            let aFirst = (a.address.lexicographicallyPrecedes(b.address)) || (a.address == b.address && a.port <= b.port)
            (low, high) = aFirst ? (a, b) : (b, a)
        }
    }

    private struct Builder {
        var client: TCPEndpoint
        var server: TCPEndpoint
        var fromClient = Direction()
        var fromServer = Direction()
        var closed = false

        mutating func add(_ segment: TCPSegment) {
            if segment.fin || segment.reset { closed = true }
            if segment.source == client { fromClient.add(segment) } else { fromServer.add(segment) }
        }

        /// A new SYN on a pair whose connection closed starts a new connection, as in tshark.
        func isReopened(by segment: TCPSegment) -> Bool {
            closed && segment.syn && !segment.ack
        }
    }

    /// One direction: segments placed by their sequence number relative to the first byte.
    private struct Direction {
        var initialSequence: UInt32?
        var pieces: [(offset: Int, payload: ArraySlice<UInt8>, epoch: Double)] = []

        mutating func add(_ segment: TCPSegment) {
            if segment.syn {
                if initialSequence == nil { initialSequence = segment.sequence &+ 1 }
            } else if initialSequence == nil {
                initialSequence = segment.sequence
            }
            guard let base = initialSequence, !segment.payload.isEmpty else { return }
            var sequence = segment.sequence
            var payload = segment.payload
            if segment.syn { sequence &+= 1 }
            let offset = UInt32(sequence &- base)
            if offset >= 1 << 31 {
                // Starts before the first byte: keep only the part from the first byte on.
                let before = Int(base &- sequence)
                guard before < payload.count else { return }
                payload = payload.dropFirst(before)
                pieces.append((0, payload, segment.time.epoch))
            } else {
                pieces.append((Int(offset), payload, segment.time.epoch))
            }
        }

        /// The contiguous bytes from the first, each from the first piece that carried it.
        func assembled() -> TimedBytes {
            let end = pieces.map { $0.offset + $0.payload.count }.max() ?? 0
            var owner = [Int32](repeating: -1, count: end)
            for (index, piece) in pieces.enumerated() {
                for i in piece.offset..<(piece.offset + piece.payload.count) where owner[i] < 0 { owner[i] = Int32(index) }
            }
            var out = TimedBytes()
            var at = 0
            while at < end, owner[at] >= 0 {
                let piece = pieces[Int(owner[at])]
                var stop = at
                while stop < end, owner[stop] == owner[at] { stop += 1 }
                let from = piece.payload.startIndex + (at - piece.offset)
                out.append(piece.payload[from..<(from + stop - at)], epoch: piece.epoch)
                at = stop
            }
            return out
        }
    }
}
