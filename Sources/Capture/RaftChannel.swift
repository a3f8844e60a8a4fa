/// The rafthttp channel a raft message travelled on, named as messages.jsonl names it.
public enum RaftChannel: String, Sendable, CaseIterable {
    /// `GET /raft/stream/message/<id>`: length-prefixed messages in the response body.
    case streamMessage = "stream-message"
    /// `GET /raft/stream/msgapp/<id>`: msgappv2 frames in the response body.
    case streamMsgAppV2 = "stream-msgappv2"
    /// `POST /raft`: one message as the request body.
    case pipeline
    /// `POST /raft/snapshot`: a length-prefixed MsgSnap, then the db bytes.
    case snapshot

    /// The channel of a request, or nil when it carries no raft messages.
    public init?(method: String, path: String) {
        switch method {
        case "GET" where path.hasPrefix("/raft/stream/message/"): self = .streamMessage
        case "GET" where path.hasPrefix("/raft/stream/msgapp/"): self = .streamMsgAppV2
        case "POST" where path == "/raft": self = .pipeline
        case "POST" where path == "/raft/snapshot": self = .snapshot
        default: return nil
        }
    }

    /// Whether the messages ride in a long-lived stream response.
    public var isStream: Bool { self == .streamMessage || self == .streamMsgAppV2 }

    /// The name of the conn file holding a stream's body: `conn-NNN-<channel>.bin`.
    public func fileName(connection: Int) -> String {
        let number = String(connection)
        return "conn-\(String(repeating: "0", count: max(0, 3 - number.count)))\(number)-\(rawValue).bin"
    }
}
