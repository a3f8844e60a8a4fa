import NIOCore

/// etcd's auto-compaction (`--auto-compaction-mode`, `--auto-compaction-retention`,
/// etcdserver/api/v3compactor): the leader proposes compactions on a schedule.
public enum AutoCompaction: Sendable, Equatable {
    /// Keep `retention` of history: compact to the revision of `retention` ago.
    case periodic(retention: TimeAmount)
    /// Keep the last `retention` revisions, looked at every five minutes.
    case revision(retention: Int64)

    /// The flags as etcd reads them (embed.parseCompactionRetention): a whole number is hours
    /// (periodic) or revisions (revision), anything else a Go duration. Nil when disabled.
    public init?(mode: String, retention: String) throws(ConfigurationError) {
        guard mode == "periodic" || mode == "revision" else {
            throw .invalid(flag: "auto-compaction-mode", reason: "unknown auto-compaction-mode \"\(mode)\"")
        }
        let nanoseconds: Int64
        if let whole = Int64(retention), whole >= 0 {
            nanoseconds = mode == "periodic" ? whole * 3_600_000_000_000 : whole
        } else {
            guard let parsed = GoDuration.nanoseconds(retention) else {
                throw .invalid(flag: "auto-compaction-retention",
                               reason: "error parsing CompactionRetention: time: invalid duration \"\(retention)\"")
            }
            nanoseconds = parsed
        }
        guard nanoseconds >= 0 else {
            throw .invalid(flag: "auto-compaction-retention", reason: "negative retention \"\(retention)\"")
        }
        guard nanoseconds != 0 else { return nil }
        self = mode == "periodic" ? .periodic(retention: .nanoseconds(nanoseconds)) : .revision(retention: nanoseconds)
    }

    /// How often the schedule is looked at.
    var interval: TimeAmount {
        switch self {
        case .periodic(let retention): PeriodicCompaction.retryInterval(retention)
        case .revision: RevisionCompaction.interval
        }
    }
}

/// etcd's periodic compactor: a revision sampled every tenth of the compaction interval (the
/// retention, at most an hour); once the retention has passed since the last compaction, the
/// oldest sample, taken a retention ago, is compacted to; after that every interval.
struct PeriodicCompaction {
    let retention: TimeAmount
    private var samples: [Int64]
    private var lastSuccess: NIODeadline
    private var waiting: TimeAmount

    init(retention: TimeAmount, revision: Int64, now: NIODeadline) {
        self.retention = retention
        samples = [revision]
        lastSuccess = now
        waiting = retention
    }

    static func compactInterval(_ retention: TimeAmount) -> TimeAmount { min(retention, .hours(1)) }
    static func retryInterval(_ retention: TimeAmount) -> TimeAmount { .nanoseconds(compactInterval(retention).nanoseconds / 10) }
    private var samplesKept: Int { Int(retention.nanoseconds / Self.retryInterval(retention).nanoseconds) + 1 }

    /// Called every retry interval with the store's revision: the revision to compact to, if
    /// it is time (and this member leads).
    mutating func fire(revision: Int64, now: NIODeadline, leading: Bool) -> Int64? {
        var target: Int64?
        if leading, now - lastSuccess >= waiting {
            waiting = Self.compactInterval(retention)
            target = samples[0]
        }
        samples.append(revision)
        if samples.count > samplesKept { samples.removeFirst() }
        return target
    }

    /// A compaction ended; one refused as already compacted counts as done, as in etcd.
    mutating func finished(succeeded: Bool, now: NIODeadline) {
        if succeeded { lastSuccess = now }
    }
}

/// etcd's revision compactor: every five minutes, compact to the current revision less the
/// retention, unless that is not positive or was the last one compacted to.
struct RevisionCompaction {
    static let interval: TimeAmount = .minutes(5)
    let retention: Int64
    private var previous: Int64 = 0

    init(retention: Int64) { self.retention = retention }

    mutating func fire(revision: Int64, leading: Bool) -> Int64? {
        guard leading else { return nil }
        let target = revision - retention
        return target <= 0 || target == previous ? nil : target
    }

    mutating func finished(revision: Int64, succeeded: Bool) {
        if succeeded { previous = revision }
    }
}

/// Go's time.ParseDuration: a sequence of decimal numbers with units (ns, us, µs, ms, s, m,
/// h), optionally signed, e.g. "1.5h" or "2h45m".
enum GoDuration {
    static func nanoseconds(_ text: String) -> Int64? {
        var rest = Substring(text)
        var negative = false
        if let sign = rest.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            rest = rest.dropFirst()
        }
        if rest == "0" { return 0 }
        guard !rest.isEmpty else { return nil }
        let units: [(String, Double)] = [("ns", 1), ("us", 1e3), ("µs", 1e3), ("μs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 6e10), ("h", 3.6e12)]
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, number != ".", let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unitText = rest.prefix { !($0.isASCII && ($0.isNumber || $0 == ".")) }
            guard let unit = units.first(where: { $0.0 == unitText }) else { return nil }
            rest = rest.dropFirst(unitText.count)
            total += value * unit.1
        }
        guard total < 9.3e18 else { return nil }
        return Int64(negative ? -total : total)
    }
}

/// A member's auto-compaction state: the schedule of its mode and whether a compaction it
/// proposed is still in flight (the schedule waits for it, as etcd's compactor waits on its
/// Compact call).
struct CompactionSchedule {
    private enum Mode {
        case periodic(PeriodicCompaction)
        case revision(RevisionCompaction)
    }

    private var schedule: Mode
    private var inFlight = false
    let interval: TimeAmount

    init(_ compaction: AutoCompaction, revision: Int64, now: NIODeadline) {
        interval = compaction.interval
        switch compaction {
        case .periodic(let retention): schedule = .periodic(PeriodicCompaction(retention: retention, revision: revision, now: now))
        case .revision(let retention): schedule = .revision(RevisionCompaction(retention: retention))
        }
    }

    /// "periodic" or "revision", for etcd's log lines.
    var mode: String {
        switch schedule {
        case .periodic: "periodic"
        case .revision: "revision"
        }
    }

    /// The revision to compact to now, if any; it is then in flight until `finished`.
    mutating func fire(revision: Int64, now: NIODeadline, leading: Bool) -> Int64? {
        guard !inFlight else { return nil }
        let target: Int64?
        switch schedule {
        case .periodic(var periodic):
            target = periodic.fire(revision: revision, now: now, leading: leading)
            schedule = .periodic(periodic)
        case .revision(var revisions):
            target = revisions.fire(revision: revision, leading: leading)
            schedule = .revision(revisions)
        }
        inFlight = target != nil
        return target
    }

    mutating func finished(revision: Int64, succeeded: Bool, now: NIODeadline) {
        inFlight = false
        switch schedule {
        case .periodic(var periodic):
            periodic.finished(succeeded: succeeded, now: now)
            schedule = .periodic(periodic)
        case .revision(var revisions):
            revisions.finished(revision: revision, succeeded: succeeded)
            schedule = .revision(revisions)
        }
    }
}
