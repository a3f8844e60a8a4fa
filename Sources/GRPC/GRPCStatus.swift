/// A gRPC status: the code and message a call ends with (`grpc-status`, `grpc-message`).
public struct GRPCStatus: Error, Equatable, Sendable, CustomStringConvertible {
    public var code: Int
    public var message: String

    public init(code: Int, message: String) {
        self.code = code
        self.message = message
    }

    public static let ok = GRPCStatus(code: 0, message: "")

    public static func unimplemented(_ what: String) -> GRPCStatus { GRPCStatus(code: 12, message: "unknown method \(what)") }
    public static func invalidArgument(_ message: String) -> GRPCStatus { GRPCStatus(code: 3, message: message) }
    public static func resourceExhausted(_ message: String) -> GRPCStatus { GRPCStatus(code: 8, message: message) }
    public static func internalError(_ message: String) -> GRPCStatus { GRPCStatus(code: 13, message: message) }
    public static func deadlineExceeded() -> GRPCStatus { GRPCStatus(code: 4, message: "context deadline exceeded") }

    public var description: String { "grpc status \(code): \(message)" }

    /// `grpc-message` is percent-encoded outside printable ASCII (and `%` itself).
    var encodedMessage: String {
        var out = ""
        for byte in message.utf8 {
            if byte >= 0x20, byte <= 0x7e, byte != UInt8(ascii: "%") {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }
}

extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
