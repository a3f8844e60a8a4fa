import Foundation
import Wire

/// Settings of the KV state machine that etcd takes from its configuration.
public struct KVConfiguration: Sendable {
    /// The smallest lease TTL granted, in seconds (etcd: 3/2 election timeouts, rounded up).
    public var minimumLeaseTTL: Int64
    /// Bytes of events a watcher may have waiting before apply stops feeding it (it falls
    /// behind and is caught up from the history later).
    public var watchBufferBytes: Int
    /// The database size writes may not pass (etcd's --quota-backend-bytes).
    public var quota: BackendQuota

    public init(minimumLeaseTTL: Int64 = 2, watchBufferBytes: Int = 1 << 20,
                quota: BackendQuota = BackendQuota(quotaBackendBytes: 0)) {
        self.minimumLeaseTTL = minimumLeaseTTL
        self.watchBufferBytes = watchBufferBytes
        self.quota = quota
    }
}

/// The replicated KV state machine: etcd's MVCC store, lessor and watchers, applying the
/// InternalRaftRequest entries etcd logs and answering what etcd 3.4 answers. Deterministic:
/// the same entries give the same state, responses and hash on every member; time enters only
/// as an argument.
public final class KVStateMachine {
    let store = MVCCStore()
    var lessor: Lessor
    var watches: WatchHub
    var alarmStore = AlarmStore()
    var auth = AuthStore()
    public let quota: BackendQuota

    public init(configuration: KVConfiguration = KVConfiguration()) {
        lessor = Lessor(minimumTTL: configuration.minimumLeaseTTL)
        watches = WatchHub(bufferBytes: configuration.watchBufferBytes)
        quota = configuration.quota
    }

    /// The store's revision: that of the last write that changed a key.
    public var revision: Int64 { store.currentRevision }

    /// The revision of the last compaction, -1 before any.
    public var compactRevision: Int64 { store.compactRevision }

    /// Applies the bytes of a committed entry (an etcdserverpb.InternalRaftRequest). Never traps:
    /// bytes that do not decode give a `malformedEntry` error and change nothing.
    public func apply(entry bytes: some ContiguousBytes, now: LeaseTime = LeaseTime(nanoseconds: 0)) -> AppliedEntry {
        let request: InternalRaftRequest
        do {
            request = try InternalRaftRequest(serializedBytes: bytes)
        } catch {
            return AppliedEntry(requestID: 0, result: .failure(.malformedEntry(reason: "\(error)")))
        }
        return apply(request, now: now)
    }

    /// Applies a decoded entry, in the order etcd's applier tries its fields.
    public func apply(_ request: InternalRaftRequest, now: LeaseTime = LeaseTime(nanoseconds: 0)) -> AppliedEntry {
        let id = request.header?.id ?? request.id
        let result: Result<KVResponse, KVError>
        do throws(KVError) {
            if let r = request.range {
                result = .success(.range(try range(r)))
            } else if let r = request.put {
                result = .success(.put(try withinQuota(request) { () throws(KVError) in try put(r) }))
            } else if let r = request.deleteRange {
                result = .success(.deleteRange(deleteRange(r)))
            } else if let r = request.txn {
                result = .success(.txn(try withinQuota(request) { () throws(KVError) in try txn(r) }))
            } else if let r = request.compaction {
                result = .success(.compaction(try compact(r)))
            } else if let r = request.leaseGrant {
                result = .success(.leaseGrant(try withinQuota(request) { () throws(KVError) in try grant(r, now: now) }))
            } else if let r = request.leaseRevoke {
                result = .success(.leaseRevoke(try revoke(r)))
            } else if let r = request.leaseCheckpoint {
                result = .success(.leaseCheckpoint(checkpoint(r)))
            } else if let r = request.alarm {
                result = .success(.alarm(alarmStore.apply(r)))
            } else if let response = try applyAuth(request) {
                result = .success(.auth(response))
            } else {
                throw .unsupportedRequest(request.v2 != nil ? "v2 request" : "no KV request in entry")
            }
        } catch {
            result = .failure(error)
        }
        return AppliedEntry(requestID: id, result: result)
    }

    /// etcd's capped and quota appliers around a write that costs space: refused while a
    /// NOSPACE alarm is raised; otherwise applied, and answered `noSpace` when the database
    /// was already too full for it (the member then raises the alarm).
    private func withinQuota<T>(_ request: InternalRaftRequest, _ body: () throws(KVError) -> T) throws(KVError) -> T {
        let cost = BackendQuota.cost(of: request)
        if cost > 0, alarmStore.isRaised(.nospace) { throw .noSpace }
        let fits = fits(cost)
        let response = try body()
        if !fits { throw .noSpace }
        return response
    }

    /// etcd's quota check before a request is proposed: false when it would take the
    /// database past the quota.
    public func fitsQuota(_ request: InternalRaftRequest) -> Bool { fits(BackendQuota.cost(of: request)) }

    private func fits(_ cost: Int) -> Bool { cost == 0 || quota.fits(cost, size: snapshotSize) }

    /// etcd's Defragment, for an in-memory store: the log, the key table and the value arenas
    /// are rebuilt packed, returning the space that writes and compactions left unused.
    public func defragment() { store.defragment() }

    /// A header carrying the store's current revision.
    var header: ResponseHeader { ResponseHeader(revision: store.currentRevision) }

    /// etcd's compaction: drops superseded revisions up to `revision`. With
    /// `offThreadCompaction` set it takes effect at once and the rebuild goes to that hook.
    func compact(_ request: CompactionRequest) throws(KVError) -> CompactionResponse {
        if let offThreadCompaction {
            offThreadCompaction(try store.beginCompaction(to: request.revision))
        } else {
            try store.compact(to: request.revision)
        }
        return CompactionResponse(header: header)
    }

    /// Where an applied compaction's rebuild is handed, to be run on another thread
    /// (`CompactionRebuild.run`) and given back to `finishCompaction` on this one. Nil: the
    /// rebuild is done as the compaction is applied.
    public var offThreadCompaction: ((CompactionRebuild) -> Void)?

    /// Installs a compaction's rebuild that has run; false when it is not the pending one.
    @discardableResult
    public func finishCompaction(_ job: CompactionRebuild) -> Bool { store.finishCompaction(job) }

    /// Whether a compaction's rebuild is pending: a snapshot taken now would wait for it.
    public var compactionPending: Bool { store.pendingCompaction != nil }

    /// etcd's HashKV of the store at `revision` (0: the current one); a local read.
    public func hashKV(_ request: HashKVRequest = HashKVRequest()) throws(KVError) -> HashKVResponse {
        store.settleCompaction()
        let hash = try store.hash(at: request.revision)
        return HashKVResponse(header: ResponseHeader(revision: hash.revision), hash: hash.hash,
                              compactRevision: hash.compactRevision)
    }

    /// Approximate bytes the store holds, for memory figures.
    public var residentBytes: Int { store.residentBytes }
}
