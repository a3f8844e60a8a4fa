/// The HTTP statuses the peer port answers with and its clients tell apart, by name.
public enum HTTPStatus: Int, Sendable {
    case ok = 200
    case noContent = 204
    case badRequest = 400
    case forbidden = 403
    case notFound = 404
    case gone = 410
    case preconditionFailed = 412

    /// The value of a `:status` pseudo-header.
    public var field: String { String(rawValue) }

    /// The status a `:status` value names; nil for none, or one not listed.
    public init?(field: String?) {
        guard let field, let code = Int(field) else { return nil }
        self.init(rawValue: code)
    }
}
