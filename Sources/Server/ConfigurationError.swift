/// A flag or combination of flags the member cannot start with, worded as etcd words it.
public enum ConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalid(flag: String, reason: String)
    case inconsistent(String)

    public var description: String {
        switch self {
        case let .invalid(flag, reason): "invalid value for flag -\(flag): \(reason)"
        case let .inconsistent(reason): reason
        }
    }
}
