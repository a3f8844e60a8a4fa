import Wire

/// Where the state-machine bytes of a snapshot arriving from a peer go, as they arrive: the
/// member's storage behind it (the transport touches no files). `finish` makes them durable.
public struct SnapshotSink {
    public var write: ([UInt8]) throws -> Void
    public var finish: () throws -> Void
    public var abandon: () -> Void

    public init(write: @escaping ([UInt8]) throws -> Void, finish: @escaping () throws -> Void, abandon: @escaping () -> Void) {
        self.write = write
        self.finish = finish
        self.abandon = abandon
    }
}

/// The state-machine bytes of a snapshot to send, a piece at a time (an empty piece ends them).
/// Handed to the transport, which reads it on its own loop only.
public struct SnapshotSource: @unchecked Sendable {
    public var read: (Int) throws -> [UInt8]
    public var close: () -> Void

    public init(read: @escaping (Int) throws -> [UInt8], close: @escaping () -> Void) {
        self.read = read
        self.close = close
    }
}
