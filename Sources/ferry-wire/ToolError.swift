import Storage
import Wire

/// Why ferry-wire could not do what it was asked; each carries its exit status.
enum ToolError: Error, CustomStringConvertible {
    /// Arguments that do not make sense together (exit 2).
    case usage(String)
    /// Input that could not be read or decoded at all (exit 2); the text says where.
    case unreadable(String)

    static let usageStatus: Int32 = 2

    var exitStatus: Int32 { Self.usageStatus }

    var description: String {
        switch self {
        case .usage(let text): text
        case .unreadable(let text): text
        }
    }

    /// Wraps a decoding error with what was being read.
    static func decoding(_ what: String, _ error: any Error) -> ToolError {
        .unreadable("\(what): \(error)")
    }
}
