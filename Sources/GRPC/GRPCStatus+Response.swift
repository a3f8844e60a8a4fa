import HTTP2
import Wire

/// How a client reads the status a call ended with from what HTTP/2 delivered, as gRPC's
/// specification and grpc-go have it.
extension GRPCStatus {
    /// The status in a response's trailers (or a trailers-only response's headers).
    init(trailers: [HTTP2Header]) {
        guard let text = trailers["grpc-status"], let code = Int(text).flatMap(StatusCode.init(rawValue:)) else {
            self.init(code: .unknown, message: "grpc: the server's trailers have no valid grpc-status")
            return
        }
        self.init(code: code, message: trailers["grpc-message"].map(Self.decodeMessage) ?? "")
    }

    /// A response whose `:status` is not 200: not a gRPC answer (a proxy's, say).
    init(httpStatus: String?) {
        let code: StatusCode = switch httpStatus {
        case "400": .internal
        case "401": .unauthenticated
        case "403": .permissionDenied
        case "404": .unimplemented
        case "429", "502", "503", "504": .unavailable
        default: .unknown
        }
        self.init(code: code, message: "grpc: unexpected HTTP status \(httpStatus ?? "(none)") from the server")
    }

    /// A stream reset (RST_STREAM) before the trailers arrived.
    init(resetCode: UInt32) {
        switch resetCode {
        case 0: self.init(code: .internal, message: "grpc: the server closed the stream without sending trailers")
        case 7: self.init(code: .unavailable, message: "grpc: the server refused the stream (REFUSED_STREAM)")
        case 8: self.init(code: .cancelled, message: "grpc: the server cancelled the stream")
        case 11: self.init(code: .resourceExhausted, message: "grpc: the server reset the stream (ENHANCE_YOUR_CALM)")
        case 12: self.init(code: .permissionDenied, message: "grpc: the server reset the stream (INADEQUATE_SECURITY)")
        default: self.init(code: .internal, message: "grpc: the server reset the stream with HTTP/2 error code \(resetCode)")
        }
    }
}
