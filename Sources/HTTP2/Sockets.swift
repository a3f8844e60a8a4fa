import NIOCore
import NIOPosix

/// Where the member's sockets are opened: the peer port, the client port, and the peer and
/// gRPC clients ask here for listeners and connections, so what every connection needs
/// beneath HTTP (TLS, next) is added in one place. `install` runs on the new connection's
/// loop and adds its protocol's handlers.
public enum Sockets {
    /// Listens on `host:port` (port 0: any); every accepted connection gets `install`.
    public static func listen(on group: EventLoopGroup, host: String, port: Int,
                              install: @escaping @Sendable (Channel) throws -> Void) -> EventLoopFuture<Channel> {
        ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in channel.eventLoop.makeCompletedFuture { try install(channel) } }
            .bind(host: host, port: port)
    }

    /// Connects to `host:port` from `eventLoop`; the connection gets `install`.
    public static func connect(on eventLoop: EventLoop, host: String, port: Int,
                               install: @escaping @Sendable (Channel) throws -> Void) -> EventLoopFuture<Channel> {
        ClientBootstrap(group: eventLoop)
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try install(channel) } }
            .connect(host: host, port: port)
    }
}
