import Foundation
import HTTP2
import NIOCore

/// `GET /members` on a peer, as a member joining a running cluster asks for it (etcd's
/// getClusterFromRemotePeers): the cluster's ID and etcd's JSON list of its members.
public enum PeerMembersRequest {
    public struct Answer: Sendable {
        public var clusterID: UInt64
        public var body: [UInt8]
    }

    public enum Failure: Error, CustomStringConvertible {
        case status(url: String, status: String, body: String)
        case noClusterID(url: String)
        case connection(url: String, reason: String)

        public var description: String {
            switch self {
            case let .status(url, status, body): "\(url)/members answered \(status): \(body)"
            case .noClusterID(let url): "\(url)/members: no X-Etcd-Cluster-ID in the answer"
            case let .connection(url, reason): "\(url)/members: \(reason)"
            }
        }
    }

    /// Asks the peer at `host:port` (`url` names it in errors), giving up after `timeout`.
    public static func fetch(url: String, host: String, port: Int, timeout: TimeAmount, on eventLoop: EventLoop) -> EventLoopFuture<Answer> {
        let answer = eventLoop.makePromise(of: Answer.self)
        // Everything below runs on `eventLoop`; the first outcome wins.
        nonisolated(unsafe) var done = false
        let promise = (
            succeed: { @Sendable (value: Answer) in if !done { done = true; answer.succeed(value) } },
            fail: { @Sendable (error: Failure) in if !done { done = true; answer.fail(error) } }
        )
        nonisolated(unsafe) var headers: [HTTP2Header] = []
        nonisolated(unsafe) var body: [UInt8] = []
        let deadline = eventLoop.scheduleTask(in: timeout) {
            promise.fail(Failure.connection(url: url, reason: "timed out"))
        }
        answer.futureResult.whenComplete { _ in deadline.cancel() }
        Sockets.connect(on: eventLoop, host: host, port: port) { channel in
            try channel.pipeline.syncOperations.addHandler(HTTP2ConnectionHandler(role: .client) { handler, event in
                switch event {
                case .headers(_, let received, let endStream):
                    headers = received
                    if endStream { finish() }
                case .data(let stream, let bytes):
                    handler.session.consume(stream: stream, count: bytes.count)
                    body += bytes
                case .endStream:
                    finish()
                case .connectionClosed:
                    promise.fail(Failure.connection(url: url, reason: "connection closed"))
                default:
                    break
                }
                func finish() {
                    defer { handler.shutdown() }
                    guard HTTPStatus(field: headers[":status"]) == .ok else {
                        return promise.fail(Failure.status(url: url, status: headers[":status"] ?? "none",
                                                           body: String(decoding: body, as: UTF8.self)))
                    }
                    guard let id = headers["x-etcd-cluster-id"].flatMap({ UInt64($0, radix: 16) }) else {
                        return promise.fail(Failure.noClusterID(url: url))
                    }
                    promise.succeed(Answer(clusterID: id, body: body))
                }
            })
        }
        .whenComplete { result in
            switch result {
            case .failure(let error):
                promise.fail(.connection(url: url, reason: "\(error)"))
            case .success(let channel):
                guard let handler = try? channel.pipeline.syncOperations.handler(type: HTTP2ConnectionHandler.self) else { return }
                let request = [
                    HTTP2Header(":method", "GET"), HTTP2Header(":scheme", "http"), HTTP2Header(":path", PeerProtocol.members),
                    HTTP2Header(":authority", "\(host):\(port)"),
                ]
                do {
                    _ = try handler.session.request(request, endStream: true)
                    handler.flush()
                } catch {
                    promise.fail(Failure.connection(url: url, reason: "\(error)"))
                }
            }
        }
        return answer.futureResult
    }
}
