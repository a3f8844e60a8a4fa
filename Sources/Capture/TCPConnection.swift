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

/// Sorts a capture's TCP segments into connections as tshark splits them into `tcp.stream`s and
/// reassembles each direction by sequence number; the first captured copy of a byte wins, a
/// retransmission adds nothing.
public enum TCPReassembler {
    public static func connections(_ packets: [CapturedPacket]) -> [TCPConnection] {
        var builders: [Builder] = []
        var latest: [Pair: Int] = [:]
        for packet in packets {
            guard let segment = TCPSegment(packet) else { continue }
            let pair = Pair(segment.source, segment.destination)
            if let index = latest[pair], !builders[index].bases.startsNewConnection(segment) {
                builders[index].add(segment)
            } else {
                latest[pair] = builders.count
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
        var bases = TCPSequenceBases()

        mutating func add(_ segment: TCPSegment) {
            bases.record(segment)
            if segment.source == client { fromClient.add(segment) } else { fromServer.add(segment) }
        }
    }

    /// One direction's segments by sequence number. The first byte is the one after the first
    /// SYN's number (a stale ACK from a TIME_WAIT socket may come before the SYN/ACK), or the
    /// first segment's.
    private struct Direction {
        var synStart: UInt32?
        var firstStart: UInt32?
        var pieces: [(sequence: UInt32, payload: ArraySlice<UInt8>, epoch: Double)] = []

        mutating func add(_ segment: TCPSegment) {
            let start = segment.syn ? segment.sequence &+ 1 : segment.sequence
            if segment.syn, synStart == nil { synStart = start }
            if firstStart == nil { firstStart = start }
            if !segment.payload.isEmpty { pieces.append((start, segment.payload, segment.time.epoch)) }
        }

        /// The contiguous bytes from the first, each from the first piece that carried it.
        func assembled() -> TimedBytes {
            guard let base = synStart ?? firstStart else { return TimedBytes() }
            let placed = pieces.compactMap { piece -> (offset: Int, payload: ArraySlice<UInt8>, epoch: Double)? in
                let offset = piece.sequence &- base
                if offset < 1 << 31 { return (Int(offset), piece.payload, piece.epoch) }
                // Starts before the first byte: keep only the part from the first byte on.
                let before = Int(base &- piece.sequence)
                return before < piece.payload.count ? (0, piece.payload.dropFirst(before), piece.epoch) : nil
            }
            // Only the bytes before the first hole count, so only they are laid out.
            var end = 0
            for piece in placed.sorted(by: { $0.offset < $1.offset }) {
                guard piece.offset <= end else { break }
                end = max(end, piece.offset + piece.payload.count)
            }
            var owner = [Int32](repeating: -1, count: end)
            for (index, piece) in placed.enumerated() where piece.offset < end {
                for i in piece.offset..<min(end, piece.offset + piece.payload.count) where owner[i] < 0 { owner[i] = Int32(index) }
            }
            var out = TimedBytes()
            var at = 0
            while at < end {
                let piece = placed[Int(owner[at])]
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
