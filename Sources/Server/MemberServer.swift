import Foundation
import Gateway
import GRPC
import HTTP2
import KV
import Logging
import NIOCore
import NIOPosix
import Transport
import Wire

/// One running cluster member (etcd's EtcdServer and embed.Etcd): the raft node and the peer
/// transport on the peer URL share one event loop (a message goes between them without a hop
/// between threads), gRPC and HTTP/1.1 on the client URLs.
public final class MemberServer: @unchecked Sendable {
    public let configuration: ServerConfiguration
    public let node: MemberLoop
    let transport: Transport
    let nodeGroup: MultiThreadedEventLoopGroup
    let clientGroup: MultiThreadedEventLoopGroup
    var clientChannels: [Channel] = []
    let logger: Logger
    /// One router: the watch streams' and the lock and election waits'.
    let watches: WatchRouter

    /// Opens the data directory (bootstrapping a new member, joining a running cluster or
    /// recovering a stopped member), then listens on the peer and client URLs and starts the
    /// raft loop. `onRemoved` runs once when the member learns it was removed from the cluster.
    public static func start(_ configuration: ServerConfiguration, logger: Logger,
                             onRemoved: @escaping @Sendable () -> Void = {}) throws -> MemberServer {
        let kv = KVStateMachine(configuration: KVConfiguration(
            minimumLeaseTTL: Int64((3 * configuration.electionTimeout / 2 + 999) / 1000),
            quota: BackendQuota(quotaBackendBytes: configuration.quotaBackendBytes)))
        let store = try MemberStore.open(configuration, kv: kv)
        logger.info(store.restarted ? "restarting local member" : "starting local member", metadata: [
            "local-member-id": "\(hex(store.memberID))", "cluster-id": "\(hex(store.clusterID))",
            "data-dir": "\(configuration.dataDir)", "applied-index": "\(store.applied)",
        ])
        let server = try MemberServer(configuration: configuration, store: store, logger: logger)
        let joinedPeers = store.joinedPeers
        server.node.eventLoop.execute {
            server.node.initialPeers = joinedPeers
            server.node.onRemoved = onRemoved
        }
        do {
            let node = server.node
            try node.eventLoop.submit { node.applyRecoveredEntries() }.wait()
            try server.listen()
        } catch {
            server.shutdownGroups()
            throw error
        }
        return server
    }

    private init(configuration: ServerConfiguration, store: MemberStore, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        nodeGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        let heartbeat = TimeAmount.milliseconds(Int64(configuration.heartbeatInterval))
        let options = MemberLoop.Options(
            memberID: store.memberID, clusterID: store.clusterID, name: configuration.name,
            peerURLs: configuration.initialAdvertisePeerURLs, clientURLs: configuration.advertiseClientURLs,
            tick: heartbeat, electionTicks: configuration.electionTimeout / configuration.heartbeatInterval,
            preVote: configuration.preVote, maxRequestBytes: configuration.maxRequestBytes,
            snapshotCount: UInt64(configuration.snapshotCount), maxSnapshots: configuration.maxSnapshots, maxWALs: configuration.maxWALs,
            requestTimeout: .seconds(5) + .milliseconds(Int64(2 * configuration.electionTimeout)),
            autoCompaction: configuration.autoCompaction)
        node = try MemberLoop(options: options, eventLoop: nodeGroup.next(), logger: logger, metrics: ServerMetrics(), storage: store.storage, kv: store.kv,
                            membership: store.membership, confState: store.confState, applied: store.applied)
        watches = WatchRouter(node: node)
        transport = Transport(
            configuration: Transport.Configuration(localID: store.memberID, clusterID: store.clusterID,
                                                   peerURLs: configuration.initialAdvertisePeerURLs),
            eventLoop: node.eventLoop, delegate: node)
    }

    private func listen() throws {
        let peerURL = configuration.listenPeerURLs[0]
        guard let peer = PeerURL.hostPort(peerURL) else { throw ServerStartError.listen(url: peerURL, reason: "not host:port") }
        do {
            _ = try transport.start(host: peer.host, port: peer.port).wait()
        } catch {
            throw ServerStartError.listen(url: peerURL, reason: "\(error)")
        }
        logger.info("serving peer traffic", metadata: ["address": "\(peerURL)"])
        let grpc = GRPCServer(methods: services, maxMessageBytes: configuration.maxRequestBytes + 512 * 1024,
                              keepAlive: HTTP2ConnectionHandler.KeepAlive(interval: .hours(2), timeout: .seconds(20)))
        for url in configuration.listenClientURLs {
            guard let address = PeerURL.hostPort(url) else { throw ServerStartError.listen(url: url, reason: "not host:port") }
            do {
                clientChannels.append(try ClientPort.start(
                    group: clientGroup, host: address.host, port: address.port, grpc: grpc, jsonGateway: true,
                    http1: ClientHTTPEndpoints(node: node).service).wait())
            } catch {
                throw ServerStartError.listen(url: url, reason: "\(error)")
            }
            logger.info("serving client traffic insecurely; this is strongly discouraged!", metadata: ["address": "\(url)"])
        }
        node.start(transport: transport)
    }

    /// Every gRPC method the client port serves.
    var services: [String: GRPCMethod] {
        let checks = RequestChecks(maxRequestBytes: configuration.maxRequestBytes)
        let local = LocalClient(node: node, checks: checks, watches: watches)
        return KVService(node: node, checks: checks).methods
            .merging(ClusterService(node: node, strictReconfigCheck: configuration.strictReconfigCheck).methods) { a, _ in a }
            .merging(MaintenanceService(node: node).methods) { a, _ in a }
            .merging(WatchService(node: node, router: watches).methods) { a, _ in a }
            .merging(LeaseService(node: node).methods) { a, _ in a }
            .merging(AuthService(node: node).methods) { a, _ in a }
            .merging(LockService(client: local).methods) { a, _ in a }
            .merging(ElectionService(client: local).methods) { a, _ in a }
    }

    /// Stops serving: client listeners, the raft loop (closing the WAL), the transport.
    public func stop() {
        logger.info("stopping server", metadata: ["local-member-id": "\(hex(node.options.memberID))"])
        for channel in clientChannels { try? channel.close().wait() }
        try? node.stop().wait()
        try? transport.stop().wait()
        shutdownGroups()
    }

    private func shutdownGroups() {
        try? clientGroup.syncShutdownGracefully()
        try? nodeGroup.syncShutdownGracefully()
    }
}
