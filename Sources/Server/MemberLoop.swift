import Foundation
import KV
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Raft
import Storage
import Transport
import Wire

/// One cluster member's raft loop (etcd's raftNode and the apply half of EtcdServer): ticks,
/// persists every Ready to the WAL before acknowledging it, sends through the transport,
/// applies committed entries to the KV state machine and the membership, and answers the
/// proposals and linearizable reads waiting on them. Everything here runs on `eventLoop`,
/// the member's one serial executor; public methods hop onto it.
public final class MemberLoop: @unchecked Sendable {
    /// What the node runs with, derived from the member's flags.
    public struct Options: Sendable {
        public var memberID: UInt64
        public var clusterID: UInt64
        public var name: String
        public var peerURLs: [String]
        public var clientURLs: [String]
        public var tick: TimeAmount
        public var electionTicks: Int
        public var preVote: Bool
        public var maxRequestBytes: Int
        /// Applied entries between snapshots (etcd's --snapshot-count).
        public var snapshotCount: UInt64
        /// Snapshot and WAL files kept (0: all).
        public var maxSnapshots: Int
        public var maxWALs: Int
        /// How long a proposal or read may wait (etcd: 5 s + 2 election timeouts).
        public var requestTimeout: TimeAmount
        /// The leader's compaction schedule, if any (etcd's --auto-compaction-*).
        public var autoCompaction: AutoCompaction? = nil
    }

    public let options: Options
    public let eventLoop: EventLoop
    let logger: Logger
    let metrics: ServerMetrics
    var raw: RawNode
    let storage: DurableLog
    /// The state machine: the member's files apply to it and read it, the services ask the
    /// member (reads, proposals, leases, status); only the watch router, which is the
    /// state machine's watch side, uses it directly.
    let kv: KVStateMachine
    public internal(set) var membership: Membership {
        didSet { membersJSON.withLockedValue { $0 = Self.membersJSON(membership) } }
    }
    /// `GET /members`' answer, kept current for the transport to read from whichever loop it
    /// runs on (a member's shares this one) without a hop.
    let membersJSON: NIOLockedValueBox<String>
    var transport: Transport?
    var confState: ConfState
    var appliedIndex: UInt64
    var snapshots: SnapshotSchedule
    var term: UInt64
    var lead: UInt64 = 0
    var role = Role.follower
    var ids: RequestIDGenerator
    var waiters = ProposalWaiters()
    /// Entries proposed and not yet handed to raft (see `ProposalBatch`).
    var batch = ProposalBatch()
    /// Raft's commit index as of the last Ready: a leader's entries past it are in flight.
    var committed: UInt64
    var reads = LinearizableReads()
    var readyScheduled = false
    var stopped = false
    var published = false
    var ticker: RepeatedTask?
    /// Fails the proposals whose time is up: one timer for all of them, not one each.
    var expiry: RepeatedTask?
    /// Runs the auto-compaction schedule (see `MemberLoop+AutoCompaction`).
    var compactor: RepeatedTask?
    var compactionSchedule: CompactionSchedule?
    /// Run on the loop after each batch of committed entries is applied (watch delivery).
    var afterApply: [() -> Void] = []
    /// Where leases read the time: monotonic, per member (members need not agree on it). A
    /// test may put a clock it moves by hand here, so TTLs pass exactly when it says.
    var leaseClock: @Sendable () -> LeaseTime = { LeaseTime(nanoseconds: Int64(NIODeadline.now().uptimeNanoseconds)) }
    var now: LeaseTime { leaseClock() }

    /// Called once, on the loop, when this member applies its own removal from the cluster.
    var onRemoved: (@Sendable () -> Void)?
    /// Members to connect to before any is known from the log: a joining member's view of
    /// the cluster it joins.
    var initialPeers: [ClusterMember] = []

    init(options: Options, eventLoop: EventLoop, logger: Logger, metrics: ServerMetrics, storage: DurableLog, kv: KVStateMachine,
         membership: Membership, confState: ConfState, applied: UInt64) throws {
        self.options = options
        self.eventLoop = eventLoop
        self.logger = logger
        self.metrics = metrics
        self.storage = storage
        self.kv = kv
        self.membership = membership
        membersJSON = NIOLockedValueBox(Self.membersJSON(membership))
        self.confState = confState
        appliedIndex = applied
        snapshots = SnapshotSchedule(count: options.snapshotCount, index: applied)
        ids = RequestIDGenerator(memberID: options.memberID)
        var config = RaftConfig(id: options.memberID, storage: storage)
        config.electionTick = options.electionTicks
        config.heartbeatTick = 1
        config.applied = applied
        config.preVote = options.preVote
        config.checkQuorum = true
        config.maxSizePerMsg = 1024 * 1024
        config.maxInflightMsgs = 512
        config.maxUncommittedEntriesSize = 1 << 30
        config.logger = RaftLogBridge(logger: logger)
        raw = try RawNode(config: config)
        term = raw.status.hardState.term
        committed = raw.status.hardState.commit
        snapshotFiles.removeUnfinished()
        kv.offThreadCompaction = { [weak self] job in self?.rebuildOffTheLoop(job) }
    }

    /// A compaction applied takes effect at once; the store's rebuild without what it drops
    /// is computed on the background thread and installed back on the loop, so a large store
    /// does not stall the member. A snapshot waits for it (`maybeSnapshot`).
    private func rebuildOffTheLoop(_ job: CompactionRebuild) {
        let started = NIODeadline.now()
        BackgroundWork.run { [self] in
            job.run()
            eventLoop.execute { [self] in
                guard !stopped, kv.finishCompaction(job) else { return }
                logger.info("finished scheduled compaction", metadata: [
                    "compact-revision": "\(kv.compactRevision)", "took": "\((NIODeadline.now() - started).nanoseconds / 1_000_000)ms",
                ])
                maybeSnapshot()
            }
        }
    }

    /// The state-machine files of this member's snapshots.
    var snapshotFiles: SnapshotDBFiles { SnapshotDBFiles(directory: storage.snapDirectory) }

    /// Starts ticking and connects to the members it knows.
    func start(transport: Transport) {
        eventLoop.execute { [self] in
            self.transport = transport
            logCapabilities()  // a version recovered from the snapshot and the log, as etcd's Recover
            for id in membership.removed { transport.markRemoved(id: id) }
            for member in membership.sorted + initialPeers where member.id != options.memberID { connect(member) }
            ticker = eventLoop.scheduleRepeatedTask(initialDelay: options.tick, delay: options.tick) { [weak self] _ in
                guard let self else { return }
                raw.tick()
                reads.expireQueued(now: .now())
                scheduleReady()
            }
            expiry = eventLoop.scheduleRepeatedTask(initialDelay: Self.expiryInterval, delay: Self.expiryInterval) { [weak self] _ in
                self?.expireProposals(now: .now())
            }
            startAutoCompaction()
            scheduleReady()
            publishAttributes()
        }
    }

    /// Stops ticking and fails what waits.
    func stop() -> EventLoopFuture<Void> {
        eventLoop.submit { [self] in
            stopped = true
            ticker?.cancel()
            expiry?.cancel()
            compactor?.cancel()
            for waiter in waiters.takeAll() { waiter.done(.failure(.stopped)) }
            batch = ProposalBatch()
            reads.failAll(.stopped)
            try? storage.close()
        }
    }

    // MARK: The loop

    /// Runs `processReady` once soon, however many inputs arrive before it.
    func scheduleReady() {
        guard !readyScheduled, !stopped else { return }
        readyScheduled = true
        eventLoop.execute { [self] in
            readyScheduled = false
            processReady()
        }
    }

    /// Applies what the recovered log had committed, before the member serves anyone: a
    /// restarted member never answers from a state older than the one it served before it
    /// stopped (etcd's backend keeps its applied state; Ferry's is rebuilt from the snapshot
    /// and the WAL). On the loop, before `start`.
    func applyRecoveredEntries() { processReady() }

    private func processReady() {
        if !stopped { maybeProposeBatch() }
        while !stopped, raw.hasReady {
            let ready = raw.ready()
            if let soft = ready.softState { changeRole(soft) }
            if let hardState = ready.hardState {
                term = hardState.term
                committed = hardState.commit
            }
            for state in ready.readStates { reads.confirm(context: state.requestContext, index: state.index) }
            // The leader sends before its own write, as etcd does: followers persist in parallel.
            let leaderNow = role == .leader
            if leaderNow { send(ready.messages) }
            let started = NIODeadline.now()
            do {
                try storage.save(hardState: ready.hardState ?? HardState(), entries: ready.entries, snapshot: ready.snapshot)
            } catch {
                logger.critical("failed to save raft state to the WAL", metadata: ["error": "\(error)"])
                fatalError("wal: \(error)")
            }
            let took = NIODeadline.now() - started
            if ready.mustSync { metrics.walFsync.recordNanoseconds(took.nanoseconds) }
            if let hardState = ready.hardState { metrics.proposalsCommitted.record(hardState.commit) }
            if took > .seconds(1) {
                logger.warning("slow fdatasync", metadata: ["took": "\(took.nanoseconds / 1_000_000)ms", "expected-duration": "1s"])
            }
            if let snapshot = ready.snapshot, snapshot.metadata.index > 0 { restore(from: snapshot) }
            if !leaderNow { send(ready.messages) }
            apply(ready.committedEntries)
            metrics.proposalsApplied.record(appliedIndex)
            if !ready.committedEntries.isEmpty || ready.snapshot != nil { for hook in afterApply { hook() } }
            raw.advance(ready)
            reads.runApplied(upTo: appliedIndex)
            maybeSnapshot()
            maybeProposeBatch()  // a commit may end a hold
        }
        if reads.hasQueued { requestReadIndex() }
        metrics.proposalsPending.record(waiters.count)
    }

    func send(_ messages: [Message]) {
        guard let transport, !messages.isEmpty else { return }
        var plain: [Message] = []
        plain.reserveCapacity(messages.count)
        for message in messages {
            if message.type == .msgSnap {
                let snapshot = message.snapshot
                logger.info("sending database snapshot", metadata: ["remote-peer-id": "\(hex(message.to))", "snapshot-index": "\(snapshot.metadata.index)"])
                do throws(DiskError) {
                    let reader = try snapshotFiles.reader(index: snapshot.metadata.index)
                    transport.sendSnapshot(message, source: SnapshotSource(read: { count in try reader.read(upTo: count) }, close: reader.close))
                } catch {
                    logger.warning("cannot read the database snapshot", metadata: ["snapshot-index": "\(snapshot.metadata.index)", "error": "\(error)"])
                    self.transport(snapshotSentTo: message.to, succeeded: false)
                }
            } else {
                plain.append(message)
            }
        }
        transport.send(plain)
    }

    private func changeRole(_ soft: SoftState) {
        let wasLeader = role == .leader
        if soft.lead != lead {
            if soft.lead == 0 {
                logger.info("raft.node lost leader", metadata: ["member": "\(hex(options.memberID))", "lost-leader": "\(hex(lead))", "term": "\(raw.status.hardState.term)"])
            } else {
                logger.info("raft.node elected leader", metadata: ["member": "\(hex(options.memberID))", "leader": "\(hex(soft.lead))", "term": "\(raw.status.hardState.term)"])
            }
            reads.failAll(.leaderChanged)
            if soft.lead != 0 { metrics.leaderChanges.increment() }
        }
        lead = soft.lead
        role = soft.role
        metrics.hasLeader.record(lead != 0 ? 1 : 0)
        metrics.isLeader.record(role == .leader ? 1 : 0)
        if lead != 0 {
            proposeParked()
            if reads.hasQueued { requestReadIndex() }
        }
        if role == .leader, !wasLeader {
            logger.info("became leader", metadata: ["member": "\(hex(options.memberID))", "term": "\(raw.status.hardState.term)"])
            kv.promoteLessor(now: now, extend: Int64(options.electionTicks) * options.tick.nanoseconds / 1_000_000_000 + 1)
            if membership.clusterVersion == nil { publishClusterVersion() }
        } else if role != .leader, wasLeader {
            kv.demoteLessor()
        }
    }

}
