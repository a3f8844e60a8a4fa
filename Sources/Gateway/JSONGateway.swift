import GRPC
import HTTP2
import NIOConcurrencyHelpers
import NIOCore
import Wire

/// etcd 3.4's JSON gateway on a client port: grpc-gateway, which etcd mounts under `/v3/`,
/// dialing the port's own gRPC server and calling it for every request, so a JSON request
/// takes exactly the path a gRPC client's does. This holds that loopback connection, made
/// when first needed (to the address the first gateway request came in on) and again after
/// it is lost.
final class JSONGateway: Sendable {
    let group: EventLoopGroup
    /// The connection held, numbered so that a call reporting it lost drops only that one.
    private let held = NIOLockedValueBox<(made: Int, connection: Connection?)>((0, nil))

    private struct Connection {
        let number: Int
        let client: EventLoopFuture<GRPCClient>
    }

    init(group: EventLoopGroup) {
        self.group = group
    }

    /// Starts a call of `method` on the port at `address`; the callbacks run on the loopback
    /// connection's loop, and `onFinish` also reports a connection that could not be made
    /// (UNAVAILABLE). The future gives the call, to send on and to cancel.
    func call(
        _ method: String, metadata: [HTTP2Header], at address: SocketAddress,
        onMessage: @escaping @Sendable ([UInt8]) -> Void, onFinish: @escaping @Sendable (GRPCStatus) -> Void
    ) -> EventLoopFuture<GRPCClientCall> {
        let connection = connection(to: address)
        return connection.client.map { client in
            client.makeCall(path: method, metadata: metadata, onMessage: onMessage) { [self] status in
                // The client's own UNAVAILABLE (a server's reads "etcdserver: ...") says
                // the connection is gone.
                if status.code == .unavailable, status.message.hasPrefix("grpc: ") { forget(connection.number) }
                onFinish(status)
            }
        }.flatMapErrorThrowing { [self] error in
            forget(connection.number)
            onFinish(error as? GRPCStatus ?? .unavailable("grpc: \(error)"))
            throw error
        }
    }

    /// Closes the loopback connection (the port stopped listening).
    func close() {
        held.withLockedValue { $0.connection.take() }?.client.whenSuccess { client in _ = client.close() }
    }

    private func connection(to address: SocketAddress) -> Connection {
        held.withLockedValue { held in
            if let connection = held.connection { return connection }
            held.made += 1
            let client = GRPCClient.connect(host: address.ipAddress ?? "127.0.0.1", port: address.port ?? 0, group: group)
            held.connection = Connection(number: held.made, client: client)
            return held.connection!
        }
    }

    private func forget(_ number: Int) {
        held.withLockedValue { held in
            if held.connection?.number == number { held.connection = nil }
        }
    }
}
