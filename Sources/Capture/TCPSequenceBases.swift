/// Where tshark starts a new `tcp.stream` on a 4-tuple it has seen before (packet-tcp.c): at a
/// SYN without ACK whose sequence number differs from the base tshark holds for that
/// direction. A SYN with the base's number is a retransmission of the same connection, even
/// after a FIN or RST (a SYN answered by a stale ACK from a TIME_WAIT socket, reset by the
/// dialer and sent again); a SYN with a new number starts a connection even with no close seen.
struct TCPSequenceBases {
    private var bases: [TCPEndpoint: UInt32] = [:]

    /// tshark's base for each direction: set by the first segment it sends (a SYN's sequence
    /// number, else the number less one), or before that by the other side's first ACK (the
    /// acknowledgment less one).
    mutating func record(_ segment: TCPSegment) {
        if bases[segment.source] == nil {
            bases[segment.source] = segment.syn ? segment.sequence : segment.sequence &- 1
        }
        if segment.ack, bases[segment.destination] == nil {
            bases[segment.destination] = segment.acknowledgment &- 1
        }
    }

    func startsNewConnection(_ segment: TCPSegment) -> Bool {
        guard segment.syn, !segment.ack, let base = bases[segment.source] else { return false }
        return segment.sequence != base
    }
}
