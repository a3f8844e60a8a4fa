/// gRPC's status codes (google.golang.org/grpc/codes), as `grpc-status` carries them and as
/// etcd's errors (rpctypes) use them.
public enum StatusCode: Int, Hashable, Sendable, CustomStringConvertible {
    case ok = 0
    case cancelled = 1
    case unknown = 2
    case invalidArgument = 3
    case deadlineExceeded = 4
    case notFound = 5
    case alreadyExists = 6
    case permissionDenied = 7
    case resourceExhausted = 8
    case failedPrecondition = 9
    case aborted = 10
    case outOfRange = 11
    case unimplemented = 12
    case `internal` = 13
    case unavailable = 14
    case dataLoss = 15
    case unauthenticated = 16

    public var description: String { "\(rawValue)" }
}

/// A status a call ends with: its code and message (`grpc-status`, `grpc-message`). The one
/// status type of KV's errors, the server's and the gRPC layer's.
public struct GRPCStatus: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: StatusCode
    public var message: String

    public init(code: StatusCode, message: String) {
        self.code = code
        self.message = message
    }

    public static let ok = GRPCStatus(code: .ok, message: "")

    public static func cancelled() -> GRPCStatus { GRPCStatus(code: .cancelled, message: "context canceled") }
    public static func invalidArgument(_ message: String) -> GRPCStatus { GRPCStatus(code: .invalidArgument, message: message) }
    public static func deadlineExceeded() -> GRPCStatus { GRPCStatus(code: .deadlineExceeded, message: "context deadline exceeded") }
    public static func resourceExhausted(_ message: String) -> GRPCStatus { GRPCStatus(code: .resourceExhausted, message: message) }
    public static func unimplemented(_ what: String) -> GRPCStatus { GRPCStatus(code: .unimplemented, message: "unknown method \(what)") }
    public static func internalError(_ message: String) -> GRPCStatus { GRPCStatus(code: .internal, message: message) }
    public static func unavailable(_ message: String) -> GRPCStatus { GRPCStatus(code: .unavailable, message: message) }

    public var description: String { "grpc status \(code): \(message)" }
}
