import GRPC
import KV
import NIOCore
import Wire

/// etcd's `etcdserverpb.KV` service on a member: writes go through raft, reads are served
/// locally after a read index (linearizable) or at once (serializable). Requests are checked
/// as etcd's gRPC layer checks them before anything is proposed.
struct KVService {
    let node: MemberLoop
    let checks: RequestChecks

    var methods: [String: GRPCMethod] {
        [
            "/etcdserverpb.KV/Range": GRPCServer.unary { (request: RangeRequest, reply) in range(request, reply) },
            "/etcdserverpb.KV/Put": GRPCServer.unary { (request: PutRequest, reply: @escaping @Sendable (Result<PutResponse, GRPCStatus>) -> Void) in
                guard check({ () throws(KVError) in try checks.check(request) }, reply) else { return }
                node.propose(request) { reply($0.mapError(\.status)) }
            },
            "/etcdserverpb.KV/DeleteRange": GRPCServer.unary { (request: DeleteRangeRequest, reply: @escaping @Sendable (Result<DeleteRangeResponse, GRPCStatus>) -> Void) in
                guard check({ () throws(KVError) in try checks.check(request) }, reply) else { return }
                node.propose(request) { reply($0.mapError(\.status)) }
            },
            "/etcdserverpb.KV/Txn": GRPCServer.unary { (request: TxnRequest, reply) in txn(request, reply) },
            "/etcdserverpb.KV/Compact": GRPCServer.unary { (request: CompactionRequest, reply: @escaping @Sendable (Result<CompactionResponse, GRPCStatus>) -> Void) in
                node.propose(request) { reply($0.mapError(\.status)) }
            },
        ]
    }

    private func range(_ request: RangeRequest, _ reply: @escaping @Sendable (Result<RangeResponse, GRPCStatus>) -> Void) {
        guard check({ () throws(KVError) in try checks.check(request) }, reply) else { return }
        Self.read(on: node, linearizable: !request.serializable, reply) { kv in try kv.range(request) }
    }

    private func txn(_ request: TxnRequest, _ reply: @escaping @Sendable (Result<TxnResponse, GRPCStatus>) -> Void) {
        guard check({ () throws(KVError) in try checks.check(request) }, reply) else { return }
        guard KVStateMachine.isReadOnly(request) else {
            node.propose(request) { reply($0.mapError(\.status)) }
            return
        }
        // A read-only txn is a linearizable read (etcd: serializable only when every range is).
        Self.read(on: node, linearizable: !Self.isSerializable(request), reply) { kv in try kv.txn(request) }
    }

    /// Answers with what `body` reads from the state machine, under this member's header.
    static func read<Response: WireMessage & HasResponseHeader>(
        on node: MemberLoop, linearizable: Bool, _ reply: @escaping @Sendable (Result<Response, GRPCStatus>) -> Void,
        _ body: @escaping @Sendable (KVStateMachine) throws -> Response
    ) {
        node.read(linearizable: linearizable) { kv in
            var response = try body(kv)
            response.header = node.header(revision: response.header?.revision ?? kv.revision)
            return response
        }.whenComplete { reply($0.mapError(status)) }
    }

    /// etcd's isTxnSerializable: every range in it, nested txns included, is serializable.
    static func isSerializable(_ request: TxnRequest) -> Bool {
        (request.success + request.failure).allSatisfy { op in
            switch op.request {
            case .requestRange(let range)?: range.serializable
            case .requestTxn(let txn)?: isSerializable(txn)
            default: true
            }
        }
    }

    private func check<Response>(_ body: () throws(KVError) -> Void, _ reply: (Result<Response, GRPCStatus>) -> Void) -> Bool {
        do throws(KVError) {
            try body()
            return true
        } catch {
            reply(.failure(ServerError.kv(error).status))
            return false
        }
    }

    static func status(_ error: Error) -> GRPCStatus {
        switch error {
        case let error as ServerError: error.status
        case let error as KVError: ServerError.kv(error).status
        case let status as GRPCStatus: status
        default: GRPCStatus(code: .unknown, message: "\(error)")
        }
    }
}
