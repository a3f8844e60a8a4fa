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
public final class RaftNode: @unchecked Sendable {
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
    let kv: KVStateMachine
    public internal(set) var membership: Membership {
        didSet { membersJSON.withLockedValue { $0 = Self.membersJSON(membership) } }
    }
    /// `GET /members`' answer, kept current for the transport to read from whichever loop it
    /// runs on (a member's shares this one) without a hop.
    private let membersJSON: NIOLockedValueBox<String>
    var transport: Transport?
    var confState: ConfState
    var appliedIndex: UInt64
    var snapshotIndex: UInt64
    /// A snapshot's KV file is being written (see `maybeSnapshot`).
    var snapshotInProgress = false
    var term: UInt64
    var lead: UInt64 = 0
    var role = Role.follower
    var ids: RequestIDGenerator
    var waiters: [UInt64: Waiter] = [:]
    var parked: [(id: UInt64, proposal: Proposed)] = []
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
    /// Runs the auto-compaction schedule (see `RaftNode+AutoCompaction`).
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
        snapshotIndex = applied
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
            let failed = waiters
            waiters = [:]
            for (_, waiter) in failed { waiter.done(.failure(ServerError.stopped)) }
            batch = ProposalBatch()
            reads.failAll(.stopped)
            try? storage.close()
        }
    }

    // MARK: Reads

    /// Runs `body` against the state machine on the node's loop: at once for a serializable
    /// read, after a read index confirmed by the leader is applied for a linearizable one.
    public func read<T: Sendable>(linearizable: Bool, _ body: @escaping @Sendable (KVStateMachine) throws -> T) -> EventLoopFuture<T> {
        eventLoop.flatSubmit { [self] in
            let promise = eventLoop.makePromise(of: T.self)
            let run = { [kv] in promise.completeWith(Result { try body(kv) }) }
            guard !stopped else {
                promise.fail(ServerError.stopped)
                return promise.futureResult
            }
            if !linearizable {
                run()
            } else {
                reads.enqueue(LinearizableReads.Read(run: run, fail: { promise.fail($0) },
                                                     deadline: .now() + options.requestTimeout))
                requestReadIndex()
            }
            return promise.futureResult
        }
    }

    /// Asks raft for a read index for the reads queued, one request for all of them.
    private func requestReadIndex() {
        // Without a leader raft would drop the request: keep the reads queued until one is known.
        guard lead != 0, let context = reads.startBatch(id: { ids.next() }) else { return }
        raw.readIndex(context: context)
        eventLoop.scheduleTask(in: options.requestTimeout) { [weak self] in
            guard let self else { return }
            if reads.expire(context: context) {
                logger.warning("timed out waiting for read index response (local node might have slow network)")
                requestReadIndex()
            }
        }
        scheduleReady()
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

    private func send(_ messages: [Message]) {
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

    // MARK: Applying

    private func apply(_ entries: [Entry]) {
        for entry in entries where entry.index > appliedIndex {
            switch entry.type {
            case .entryNormal: applyNormal(entry)
            case .entryConfChange: applyConfChange(entry)
            case .entryConfChangeV2: applyConfChangeV2(entry)
            default: logger.warning("skipping an entry of unknown type", metadata: ["index": "\(entry.index)"])
            }
            appliedIndex = entry.index
        }
    }

    private func applyNormal(_ entry: Entry) {
        guard let data = entry.data, !data.isEmpty else { return }  // a new leader's empty entry
        // Entries are InternalRaftRequests, or plain v2 Requests for membership bookkeeping
        // (etcd tries them in this order).
        guard let request = try? InternalRaftRequest(serializedBytes: data) else {
            if let v2 = try? Request(serializedBytes: data) {
                applyV2(v2)
            } else {
                logger.error("skipping an entry that is no request", metadata: ["index": "\(entry.index)"])
            }
            return
        }
        if let v2 = request.v2 {
            applyV2(v2)
            return
        }
        let applied = kv.apply(request, now: now)
        let answer: @Sendable () -> Void = { [self] in trigger(applied.requestID, applied.result.map(AppliedAnswer.kv).mapError(ServerError.kv)) }
        // etcd: a write applied past the quota raises NOSPACE (unless raised) before it is answered.
        guard case .failure(.noSpace) = applied.result, !noSpaceRaised else { return answer() }
        logger.warning("message exceeded backend quota; raising alarm", metadata: ["quota-size-bytes": "\(kv.quota.limit ?? -1)"])
        raiseNoSpace(then: answer)
    }

    private func applyV2(_ request: Request) {
        if !membership.apply(request) {
            logger.warning("skipping an unsupported v2 request", metadata: ["method": "\(request.method)", "path": "\(request.path)"])
        } else if request.path == "/0/version" {
            logger.info("set cluster version", metadata: ["cluster-version": "\(request.val)"])
        }
        trigger(request.id, .success(.membership))
    }

    private func applyConfChange(_ entry: Entry) {
        guard var change = try? ConfChange(serializedBytes: entry.data ?? Data()) else {
            logger.error("skipping a malformed conf change", metadata: ["index": "\(entry.index)"])
            return
        }
        let refusal: MembershipRefusal?
        do { refusal = try membership.refusal(of: change) } catch {
            logger.error("bad member in a conf change", metadata: ["index": "\(entry.index)", "error": "\(error)"])
            refusal = .idNotFound
        }
        if let refusal {
            // As etcd: raft applies it as a change of no member, the proposer learns why.
            let id = change.id
            change.nodeID = 0
            confState = (try? raw.applyConfChange(change)) ?? confState
            trigger(id, .failure(.membership(refusal)))
            return
        }
        do {
            confState = try raw.applyConfChange(change)
        } catch {
            logger.error("raft refused a conf change", metadata: ["index": "\(entry.index)", "error": "\(error)"])
            return
        }
        do {
            switch try membership.apply(change) {
            case .added(let member):
                logger.info("added member", metadata: ["added-peer-id": "\(hex(member.id))", "added-peer-peer-urls": "\(member.peerURLs)", "is-learner": "\(member.isLearner)"])
                if member.id != options.memberID { connect(member) }
            case .removed(let id):
                logger.info("removed member", metadata: ["removed-remote-peer-id": "\(hex(id))"])
                transport?.markRemoved(id: id)
                if id == options.memberID { removedSelf() }
            case .updated(let member):
                logger.info("updated member", metadata: ["updated-remote-peer-id": "\(hex(member.id))", "updated-remote-peer-urls": "\(member.peerURLs)"])
                transport?.removePeer(id: member.id)
                if member.id != options.memberID { connect(member) }
            case .promoted(let id):
                logger.info("promote member", metadata: ["promoted-member-id": "\(hex(id))"])
            case .none:
                break
            }
        } catch {
            logger.error("bad member in a conf change", metadata: ["index": "\(entry.index)", "error": "\(error)"])
        }
        trigger(change.id, .success(.membership))
    }

    /// This member applied its own removal: as etcd, it stops shortly after (the delay lets
    /// the commit reach the others) and says why.
    private func removedSelf() {
        logger.warning("the member has been permanently removed from the cluster", metadata: ["local-member-id": "\(hex(options.memberID))"])
        eventLoop.scheduleTask(in: .seconds(1)) { [self] in onRemoved?() }
    }

    private func applyConfChangeV2(_ entry: Entry) {
        guard let change = try? ConfChangeV2(serializedBytes: entry.data ?? Data()) else { return }
        if let state = try? raw.applyConfChange(change) { confState = state }
    }

    private func connect(_ member: ClusterMember) {
        guard let url = member.peerURLs.first, let address = PeerURL.hostPort(url) else { return }
        transport?.addPeer(id: member.id, host: address.host, port: address.port)
    }

    // MARK: Snapshots

    /// Saves a snapshot once `snapshotCount` entries were applied since the last. The KV
    /// state is frozen here (`KVSnapshotImage`, no copy) and written out on another thread,
    /// so a large store does not stall the loop (heartbeats, appends, reads) while it is;
    /// raft's snapshot, which makes the file the one to load and lets the log be compacted,
    /// is saved back on the loop once the file is durable.
    private func maybeSnapshot() {
        guard !snapshotInProgress, !kv.compactionPending, appliedIndex > snapshotIndex,
              appliedIndex - snapshotIndex > options.snapshotCount else { return }
        snapshotInProgress = true
        let started = NIODeadline.now()
        let index = appliedIndex
        let image = kv.snapshotImage()
        let confState = confState
        let raftData = Data(ServerSnapshot.raftData(membership))
        let directory = storage.snapDirectory
        BackgroundWork.run { [self] in
            let written = Result { _ = try ServerSnapshot.writeKV(image, directory: directory, index: index) }
            eventLoop.execute { [self] in
                snapshotInProgress = false
                finishSnapshot(at: index, confState: confState, raftData: raftData, written: written, started: started)
            }
        }
    }

    private func finishSnapshot(at index: UInt64, confState: ConfState, raftData: Data, written: Result<Void, Error>, started: NIODeadline) {
        guard !stopped else { return }
        guard index > snapshotIndex else {
            // A snapshot from the leader was installed meanwhile: this one is out of date.
            snapshotFiles.remove(index: index)
            return
        }
        do {
            try written.get()
            try storage.snapshot(at: index, confState: confState, data: raftData, keepEntries: Self.catchUpEntries)
        } catch {
            logger.error("failed to save a snapshot", metadata: ["error": "\(error)"])
            return
        }
        logger.info("saved snapshot", metadata: [
            "snapshot-index": "\(index)", "took": "\((NIODeadline.now() - started).nanoseconds / 1_000_000)ms",
        ])
        snapshotIndex = index
        purgeFiles()
        maybeSnapshot()
    }

    /// Entries kept before a snapshot for followers a little behind (etcd's
    /// snapshotCatchUpEntries), so they need no snapshot.
    static let catchUpEntries: UInt64 = 5000

    /// Removes old snapshot and WAL files beyond --max-snapshots and --max-wals.
    func purgeFiles() {
        do {
            if options.maxSnapshots > 0 {
                for suffix in [".snap", ".snap.db"] {
                    try Purge.oldest(directory: storage.snapDirectory, suffix: suffix, keep: options.maxSnapshots)
                }
            }
            if options.maxWALs > 0 { try Purge.oldest(directory: storage.walDirectory, suffix: ".wal", keep: options.maxWALs) }
        } catch {
            logger.warning("failed to purge old files", metadata: ["error": "\(error)"])
        }
    }

    /// Installs a snapshot the leader sent: the state machine and membership jump to it.
    private func restore(from snapshot: Snapshot) {
        let index = snapshot.metadata.index
        logger.info("applying snapshot", metadata: ["incoming-leader-snapshot-index": "\(index)", "current-applied-index": "\(appliedIndex)"])
        do {
            let before = Set(membership.members.keys)
            membership = try ServerSnapshot.load(raftData: Array(snapshot.data ?? Data()), index: index,
                                                  directory: storage.snapDirectory, into: kv)
            for id in before.subtracting(membership.members.keys) { transport?.removePeer(id: id) }
            for id in membership.removed { transport?.markRemoved(id: id) }
            for member in membership.sorted where member.id != options.memberID && !before.contains(member.id) { connect(member) }
        } catch {
            logger.critical("failed to restore a snapshot", metadata: ["index": "\(index)", "error": "\(error)"])
            fatalError("snapshot: \(error)")
        }
        confState = snapshot.metadata.confState
        appliedIndex = index
        snapshotIndex = index
        logger.info("applied snapshot", metadata: ["snapshot-index": "\(index)", "revision": "\(kv.revision)"])
        if membership.removed.contains(options.memberID) { removedSelf() }
        purgeFiles()
    }

    // MARK: Publishing

    /// Logs this member's name and client URLs, retrying until it is applied (etcd's publish).
    private func publishAttributes() {
        guard !published, !stopped else { return }
        let request = Membership.attributesRequest(id: options.memberID, name: options.name, clientURLs: options.clientURLs)
        propose(request) { [self] result in
            switch result {
            case .success:
                published = true
                logger.info("published local member to cluster through raft", metadata: [
                    "local-member-id": "\(hex(options.memberID))", "local-member-attributes": "\(request.val)",
                ])
            case .failure:
                eventLoop.scheduleTask(in: .milliseconds(500)) { [weak self] in self?.publishAttributes() }
            }
        }
    }

    /// The leader sets the cluster version once, as etcd's leader does when none is set.
    private func publishClusterVersion() {
        propose(Membership.versionRequest(version: "3.4.0")) { _ in }
    }

    // MARK: Status

    /// The header every response carries.
    func header(revision: Int64) -> ResponseHeader {
        ResponseHeader(clusterID: options.clusterID, memberID: options.memberID, revision: revision, raftTerm: term)
    }

    /// What `Maintenance.Status` reports.
    public func statusResponse() -> EventLoopFuture<StatusResponse> {
        eventLoop.submit { [self] in
            var response = StatusResponse()
            response.header = header(revision: kv.revision)
            response.version = "3.4.23"
            response.dbSize = Int64(kv.snapshotSize)
            response.dbSizeInUse = response.dbSize
            response.leader = lead
            response.raftIndex = storage.lastIndex
            response.raftTerm = term
            response.raftAppliedIndex = appliedIndex
            response.isLearner = membership.members[options.memberID]?.isLearner ?? false
            if lead == 0 { response.errors.append("etcdserver: no leader") }
            response.errors += kv.alarms.map(\.text)
            return response
        }
    }
}


extension RaftNode: TransportDelegate {
    public func transport(received message: Message) {
        // The member's transport shares the loop: no hop.
        guard eventLoop.inEventLoop else { return eventLoop.execute { [self] in transport(received: message) } }
        guard !stopped else { return }
        if message.type == .msgProp {
            // A leader batches forwarded proposals with its own; anything else keeps its place
            // after what is batched.
            if role == .leader, message.entries.allSatisfy({ $0.type == .entryNormal && $0.data != nil }) {
                for entry in message.entries { batch.add(entry.data!, id: nil) }
                return scheduleReady()
            }
            proposeBatch()
        }
        do { try raw.step(message) } catch {
            logger.debug("dropped a peer message", metadata: ["type": "\(message.type)", "from": "\(hex(message.from))", "error": "\(error)"])
        }
        scheduleReady()
    }

    /// Called on the loop the transport shares with raft: the file is written as it arrives.
    public func transport(snapshotSinkFor message: Message) throws -> SnapshotSink {
        let writer = try snapshotFiles.writer(index: message.snapshot.metadata.index)
        return SnapshotSink(write: { bytes in try writer.write(bytes) }, finish: { try writer.finish() }, abandon: writer.abandon)
    }

    public func transport(receivedSnapshot message: Message) {
        logger.info("received database snapshot", metadata: [
            "remote-snapshot-sender-id": "\(hex(message.from))", "incoming-snapshot-index": "\(message.snapshot.metadata.index)",
        ])
        metrics.snapshotsReceived.increment()
        transport(received: message)
    }

    public func transport(peerUnreachable id: UInt64) {
        eventLoop.execute { [self] in
            raw.reportUnreachable(id)
        }
    }

    public func transport(snapshotSentTo id: UInt64, succeeded: Bool) {
        eventLoop.execute { [self] in
            logger.info(succeeded ? "sent database snapshot" : "failed to send database snapshot", metadata: ["remote-peer-id": "\(hex(id))"])
            if succeeded { metrics.snapshotsSent.increment() }
            raw.reportSnapshot(id, succeeded: succeeded)
            scheduleReady()
        }
    }

    public func transport(observed event: TransportEvent) {
        switch event {
        case .peerActive(let id):
            logger.info("peer became active", metadata: ["local-member-id": "\(hex(options.memberID))", "peer-id": "\(hex(id))"])
        case .peerInactive(let id):
            logger.warning("peer became inactive (message send to peer failed)", metadata: ["local-member-id": "\(hex(options.memberID))", "peer-id": "\(hex(id))"])
        case let .badPeerConnection(remote, reason):
            logger.warning("closed a peer connection that sent bad input", metadata: ["remote-address": "\(remote)", "error": "\(reason)"])
        case .removedFromCluster:
            eventLoop.execute { [self] in
                logger.warning("the member has been permanently removed from the cluster", metadata: ["local-member-id": "\(hex(options.memberID))"])
                onRemoved?()
            }
        case let .badStream(from, reason):
            logger.warning("lost a stream from a peer that sent bad bytes", metadata: ["remote-peer-id": "\(hex(from))", "error": "\(reason)"])
        case let .clusterIDMismatch(remote, from, _):
            logger.warning("request cluster ID mismatch", metadata: [
                "local-member-id": "\(hex(options.memberID))", "local-member-cluster-id": "\(hex(options.clusterID))",
                "remote-peer-cluster-id": "\(remote)", "remote-peer-id": "\(from)",
            ])
        }
    }

    public func transportMembers() -> String? { membersJSON.withLockedValue { $0 } }

    static func membersJSON(_ membership: Membership) -> String {
        "[" + membership.sorted.map(\.json).joined(separator: ",") + "]"
    }
}
