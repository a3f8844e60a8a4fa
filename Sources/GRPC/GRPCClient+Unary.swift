import HTTP2
import NIOCore
import Wire

extension GRPCClient {
    /// A unary call: one request message, one response message. Throws the call's status
    /// when it is not OK; cancelling the task cancels the call.
    public func unary(
        path: String, request: [UInt8], timeout: TimeAmount? = nil, metadata: [HTTP2Header] = []
    ) async throws(GRPCStatus) -> [UInt8] {
        let call = GRPCClientCall(client: self, path: path, timeout: timeout, metadata: metadata)
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<[UInt8], GRPCStatus>, Never>) in
                // Both callbacks run on the event loop, one after the other.
                nonisolated(unsafe) var responses: [[UInt8]] = []
                call.start(
                    onMessage: { responses.append($0) },
                    onFinish: { status in continuation.resume(returning: Self.unaryResult(status, responses)) })
                call.send(request)
                call.closeSend()
            }
        } onCancel: {
            call.cancel()
        }
        return try result.get()
    }

    /// A unary call on Wire messages.
    public func unary<Request: WireMessage, Response: WireMessage>(
        _ path: String, _ request: Request, timeout: TimeAmount? = nil, metadata: [HTTP2Header] = []
    ) async throws(GRPCStatus) -> Response {
        try Response(grpcMessage: try await unary(path: path, request: request.serializedBytes(), timeout: timeout, metadata: metadata))
    }

    private static func unaryResult(_ status: GRPCStatus, _ responses: [[UInt8]]) -> Result<[UInt8], GRPCStatus> {
        guard status.code == .ok else { return .failure(status) }
        guard responses.count == 1 else {
            return .failure(.internalError("grpc: a unary call got \(responses.count) response messages, not 1"))
        }
        return .success(responses[0])
    }
}
