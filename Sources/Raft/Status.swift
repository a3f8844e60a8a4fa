import Wire

/// A snapshot of a node's state for reporting (etcd's raft.Status).
public struct Status: Sendable {
    public var id: UInt64
    public var hardState: HardState
    public var softState: SoftState
    public var applied: UInt64
    public var leadTransferee: UInt64
    /// Every member's progress; only a leader tracks it, nil otherwise.
    public var progress: ProgressMap?
    public var config: TrackerConfig
}
