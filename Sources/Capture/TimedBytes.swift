/// Bytes with the time each one was first captured: `runs` lists where each run of bytes
/// carried by one captured segment starts, in increasing order.
public struct TimedBytes: Sendable {
    public struct Run: Sendable, Equatable {
        public var start: Int
        public var epoch: Double
    }

    public private(set) var bytes: [UInt8] = []
    public private(set) var runs: [Run] = []

    public init() {}

    public init(bytes: [UInt8], epoch: Double) {
        self.bytes = bytes
        if !bytes.isEmpty { runs = [Run(start: 0, epoch: epoch)] }
    }

    /// Appends bytes that arrived at `epoch`.
    public mutating func append<C: Collection<UInt8>>(_ more: C, epoch: Double) {
        guard !more.isEmpty else { return }
        if runs.last?.epoch != epoch { runs.append(Run(start: bytes.count, epoch: epoch)) }
        bytes.append(contentsOf: more)
    }

    /// Appends `range` of `other`, keeping each byte's time.
    mutating func append(_ other: TimedBytes, _ range: Range<Int>) {
        guard !range.isEmpty else { return }
        var index = other.runIndex(range.lowerBound)
        var at = range.lowerBound
        while at < range.upperBound {
            let end = index + 1 < other.runs.count ? min(other.runs[index + 1].start, range.upperBound) : range.upperBound
            append(other.bytes[at..<end], epoch: other.runs[index].epoch)
            at = end
            index += 1
        }
    }

    /// The capture time of the byte at `offset`.
    public func epoch(at offset: Int) -> Double {
        runs[runIndex(offset)].epoch
    }

    public var count: Int { bytes.count }

    private func runIndex(_ offset: Int) -> Int {
        var low = 0, high = runs.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if runs[mid].start <= offset { low = mid } else { high = mid - 1 }
        }
        return low
    }
}
