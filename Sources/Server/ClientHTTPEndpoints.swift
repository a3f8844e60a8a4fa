import Foundation
import Gateway
import NIOCore
import NIOHTTP1
import Wire

/// What the client port answers over HTTP/1.1, as etcd 3.4's etcdhttp does: `GET /version`,
/// `GET /health` (healthy when a linearizable read gets through: a leader and a quorum) and
/// `GET /metrics` (Prometheus text under etcd's metric names).
struct ClientHTTPEndpoints {
    let node: MemberLoop

    /// How long `/health` waits for its read before answering unhealthy.
    static let healthTimeout: TimeAmount = .seconds(1)

    var service: HTTP1Service {
        let node = node
        return { head, _ in
            let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
            let loop = node.eventLoop
            switch path {
            case "/metrics":
                guard head.method == .GET else {
                    return loop.makeSucceededFuture((.methodNotAllowed, "text/plain; charset=utf-8", "Method Not Allowed\n"))
                }
                return Self.metrics(node)
            case "/version", "/health":
                guard head.method == .GET || head.method == .HEAD else {
                    return loop.makeSucceededFuture((.methodNotAllowed, "text/plain; charset=utf-8", "Method Not Allowed\n"))
                }
                return path == "/version" ? Self.version(node) : Self.health(node)
            default:
                return loop.makeSucceededFuture((.notFound, "text/plain; charset=utf-8", "404 page not found\n"))
            }
        }
    }

    static func version(_ node: MemberLoop) -> EventLoopFuture<HTTP1Response> {
        node.eventLoop.submit {
            let cluster = node.membership.clusterVersion ?? "not_decided"
            return (.ok, "application/json", "{\"etcdserver\":\"3.4.23\",\"etcdcluster\":\"\(cluster)\"}")
        }
    }

    /// Prometheus text, with the store's figures read now on the node's loop.
    static func metrics(_ node: MemberLoop) -> EventLoopFuture<HTTP1Response> {
        let peerBytes = node.eventLoop.flatSubmit {
            node.transport?.peerByteCounts().hop(to: node.eventLoop) ?? node.eventLoop.makeSucceededFuture([:])
        }
        return peerBytes.map { totals in
            node.metrics.recordPeerBytes(totals)
            node.recordStoreFigures()
            return (.ok, "text/plain; version=0.0.4; charset=utf-8", node.metrics.scrape())
        }
    }

    static func health(_ node: MemberLoop) -> EventLoopFuture<HTTP1Response> {
        let promise = node.eventLoop.makePromise(of: HTTP1Response.self)
        let unhealthy: HTTP1Response = (.serviceUnavailable, "text/plain; charset=utf-8", "{\"health\":\"false\"}\n")
        let timer = node.eventLoop.scheduleTask(in: healthTimeout) { promise.succeed(unhealthy) }
        node.read(linearizable: true) { _ in }.whenComplete { result in
            timer.cancel()
            switch result {
            // etcd writes no content type: Go sniffs it as plain text.
            case .success: promise.succeed((.ok, "text/plain; charset=utf-8", "{\"health\":\"true\"}"))
            case .failure: promise.succeed(unhealthy)
            }
        }
        return promise.futureResult
    }
}
