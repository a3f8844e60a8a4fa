import Wire

/// What a node has for the application, to be handled in order: persist the hard
/// state, entries and snapshot; send the messages; apply the committed entries; then
/// call `RawNode.advance` with this Ready.
public struct Ready {
    /// Leader and role, when they changed since the last Ready.
    public var softState: SoftState?
    /// Term, vote and commit index, when they changed; persist before sending.
    public var hardState: HardState?
    /// Answers to read-index requests.
    public var readStates: [ReadState] = []
    /// Entries to append to storage before sending the messages.
    public var entries: [Entry] = []
    /// A snapshot from the leader to install in storage.
    public var snapshot: Snapshot?
    /// Entries to apply to the state machine, already persisted.
    public var committedEntries: [Entry] = []
    /// Messages to send once the above is persisted.
    public var messages: [Message] = []
    /// Whether the hard state and entries must reach the disk synchronously (the term,
    /// vote or log changed), rather than the commit index alone.
    public var mustSync = false

    public var isEmpty: Bool {
        softState == nil && hardState == nil && readStates.isEmpty && entries.isEmpty && snapshot == nil
            && committedEntries.isEmpty && messages.isEmpty
    }

    /// The index the application will have applied after this Ready.
    var appliedCursor: UInt64? {
        if let last = committedEntries.last { return last.index }
        if let index = snapshot?.metadata.index, index > 0 { return index }
        return nil
    }

    /// etcd's DescribeReady, with entries and messages as `Entry.describe` and
    /// `Message.describe` print them.
    public var describe: String {
        var out = ""
        if let softState { out += "\(softState)\n" }
        if let hardState { out += "HardState \(hardState.describe)\n" }
        if !readStates.isEmpty {
            out += "ReadStates [" + readStates.map { "{\($0.index) [\($0.requestContext.map(String.init).joined(separator: " "))]}" }
                .joined(separator: " ") + "]\n"
        }
        if !entries.isEmpty { out += "Entries:\n" + entries.map { $0.describe + "\n" }.joined() }
        if let snapshot { out += "Snapshot \(snapshot.describe)\n" }
        if !committedEntries.isEmpty {
            out += "CommittedEntries:\n" + committedEntries.map { $0.describe + "\n" }.joined()
        }
        if !messages.isEmpty { out += "Messages:\n" + messages.map { $0.describe + "\n" }.joined() }
        return out.isEmpty ? "<empty Ready>" : "Ready MustSync=\(mustSync):\n" + out
    }
}

extension HardState {
    /// etcd's DescribeHardState: `Term:1 Vote:1 Commit:5`, the vote only when set.
    public var describe: String {
        "Term:\(term)" + (vote != 0 ? " Vote:\(vote)" : "") + " Commit:\(commit)"
    }

    /// All zero: nothing was ever persisted.
    public var isEmpty: Bool { term == 0 && vote == 0 && commit == 0 }
}
