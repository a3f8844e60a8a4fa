import Foundation
import NIOHTTP1
import Wire

/// The HTTP shapes of etcd 3.4's gateway answers: grpc-gateway 1.6's status mapping and
/// error bodies, under the headers Go's net/http writes (the handler's, sorted by name, then
/// Date, then Content-Length or Connection and Transfer-Encoding).
enum GatewayHTTP {
    /// etcd's access controller adds these to every client-port answer (`--cors` is `*`).
    static let corsHeaders = [
        ("Access-Control-Allow-Headers", "accept, content-type, authorization"),
        ("Access-Control-Allow-Methods", "POST, GET, OPTIONS, PUT, DELETE"),
        ("Access-Control-Allow-Origin", "*"),
    ]

    /// The response metadata a Ferry member's gRPC answers carry, as the gateway forwards it.
    static let grpcHeaderMetadata = ("Grpc-Metadata-Content-Type", "application/grpc")
    /// The same as trailer metadata: the whole metadata of a trailers-only (error) answer.
    static let grpcTrailerMetadata = ("Grpc-Trailer-Content-Type", "application/grpc")

    /// grpc-gateway 1.6's HTTPStatusFromCode.
    static func status(forGRPCCode code: StatusCode) -> HTTPResponseStatus {
        switch code {
        case .ok: .ok
        case .cancelled: .requestTimeout
        case .invalidArgument, .outOfRange: .badRequest
        case .deadlineExceeded: .gatewayTimeout
        case .notFound: .notFound
        case .alreadyExists, .aborted: .conflict
        case .permissionDenied: .forbidden
        case .resourceExhausted: .tooManyRequests
        case .failedPrecondition: .preconditionFailed
        case .unimplemented: .notImplemented
        case .unavailable: .serviceUnavailable
        case .unauthenticated: .unauthorized
        default: .internalServerError
        }
    }

    /// DefaultHTTPError's body for a gRPC status.
    static func errorBody(code: StatusCode, message: String) -> String {
        GatewayJSON.text(.object([("error", .string(message)), ("message", .string(message)), ("code", .number(Double(code.rawValue)))]))
    }

    /// The line a response stream ends with when its call fails (grpc-gateway's StreamError).
    static func streamErrorBody(code: StatusCode, message: String) -> String {
        let http = status(forGRPCCode: code)
        var members: [(String, JSONValue)] = [("grpc_code", .number(Double(code.rawValue))), ("http_code", .number(Double(http.code)))]
        if !message.isEmpty { members.append(("message", .string(message))) }
        members.append(("http_status", .string(http.reasonPhrase)))
        return GatewayJSON.text(.object([("error", .object(members))]))
    }

    /// The response head: `headers` with etcd's CORS headers, in Go's order. Without a
    /// `contentLength` the body is chunked on HTTP/1.1 and ends with the connection on
    /// HTTP/1.0.
    static func head(
        answering request: HTTPRequestHead, _ status: HTTPResponseStatus, headers: [(String, String)], contentLength: Int?
    ) -> HTTPResponseHead {
        var fields = (corsHeaders + headers).sorted { $0.0 < $1.0 }
        fields.append(("Date", date()))
        if let contentLength { fields.append(("Content-Length", String(contentLength))) }
        if request.version.minor >= 1, !request.isKeepAlive { fields.append(("Connection", "close")) }
        if request.version.minor == 0, request.isKeepAlive, contentLength != nil { fields.append(("Connection", "keep-alive")) }
        if request.version.minor >= 1, contentLength == nil { fields.append(("Transfer-Encoding", "chunked")) }
        return HTTPResponseHead(version: request.version, status: status, headers: HTTPHeaders(fields))
    }

    /// Go's http.Error: a line of plain text.
    static func plainText(_ text: String) -> (headers: [(String, String)], body: String) {
        ([("Content-Type", "text/plain; charset=utf-8"), ("X-Content-Type-Options", "nosniff")], text + "\n")
    }

    /// An HTTP date (RFC 7231's IMF-fixdate), as Go writes `Date`.
    static func date(_ now: Date = Date()) -> String {
        var seconds = time_t(now.timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}
