import Foundation
import Raft
import Wire

/// etcd 3.4's raft interaction harness (rafttest.InteractionEnv): nodes, the queue of
/// messages in flight, and one handler per script command.
final class RaftInteraction {
    struct Node {
        var raw: RawNode
        let storage: RaftInteractionStorage
    }

    /// An error a command reports in its output, as etcd's handlers return them.
    struct CommandError: Error {
        let text: String
    }

    /// A script etcd's harness would abort on (t.Fatal or a panic).
    struct ScriptError: Error, CustomStringConvertible {
        let description: String
    }

    private(set) var nodes: [Node] = []
    private(set) var messages: [Message] = []
    let logger = RaftInteractionLogger()

    /// Runs one block's command; returns its output as etcd's `Handle` does.
    func handle(_ block: RaftScript.Block) throws(ScriptError) -> String {
        logger.output = ""
        var failure: CommandError?
        do {
            try run(block)
        } catch let error as CommandError {
            failure = error
        } catch let error as ScriptError {
            throw error
        } catch {
            throw ScriptError(description: "\(error)")
        }
        if let failure { logger.output += failure.text }
        if logger.output.isEmpty { return "ok" }
        if logger.level == RaftInteractionLogger.levelNames.count - 1 {
            return failure?.text ?? "ok (quiet)"
        }
        return logger.output
    }

    private func write(_ text: String) { logger.output += text }

    private func run(_ block: RaftScript.Block) throws {
        let args = block.arguments
        switch block.command {
        case "_breakpoint": break
        case "add-nodes": try addNodes(args)
        case "campaign": try campaign(try nodeIndex(args))
        case "compact": try compact(args)
        case "deliver-msgs": try deliverMessages(args)
        case "process-ready": try processReady(try nodeIndex(args))
        case "log-level": try setLogLevel(args)
        case "raft-log": try raftLog(try nodeIndex(args))
        case "stabilize": try stabilize(try bareIDs(args))
        case "status": try status(try nodeIndex(args))
        case "tick-heartbeat": try tickHeartbeat(try nodeIndex(args))
        case "propose": try propose(args)
        case "propose-conf-change": try proposeConfChange(args, input: block.input)
        default: throw CommandError(text: "unknown command")
        }
    }

    // MARK: Arguments

    private func firstInt(_ args: [RaftScript.Argument]) throws(ScriptError) -> Int {
        guard let first = args.first, let n = Int(first.key) else { throw ScriptError(description: "expected a number first") }
        return n
    }

    /// The node the first argument names, which must exist.
    private func nodeIndex(_ args: [RaftScript.Argument]) throws(ScriptError) -> Int {
        let index = try firstInt(args) - 1
        guard nodes.indices.contains(index) else { throw ScriptError(description: "no node \(index + 1)") }
        return index
    }

    private func bareIDs(_ args: [RaftScript.Argument]) throws(ScriptError) -> [Int] {
        var ids: [Int] = []
        for arg in args where arg.values.isEmpty {
            guard let id = Int(arg.key) else { throw ScriptError(description: "not a node ID: \(arg.key)") }
            ids.append(id)
        }
        return ids
    }

    private func scanUInt(_ text: String) throws(ScriptError) -> UInt64 {
        guard let value = UInt64(text) else { throw ScriptError(description: "not a number: \(text)") }
        return value
    }

    /// Go's strconv.ParseUint error for `text`.
    private func parseUInt(_ text: String) throws(CommandError) -> UInt64 {
        guard let value = UInt64(text) else {
            let allDigits = !text.isEmpty && text.allSatisfy(\.isASCII) && text.allSatisfy(\.isNumber)
            throw CommandError(text: "strconv.ParseUint: parsing \(goQuote(text)): " + (allDigits ? "value out of range" : "invalid syntax"))
        }
        return value
    }

    private func goQuote(_ text: String) -> String { GoQuote.quote(Array(text.utf8)) }

    // MARK: Commands

    private func addNodes(_ args: [RaftScript.Argument]) throws {
        let count = try firstInt(args)
        var snapshot = Snapshot()
        for arg in args.dropFirst() {
            for value in arg.values {
                switch arg.key {
                case "voters": snapshot.metadata.confState.voters.append(try scanUInt(value))
                case "learners": snapshot.metadata.confState.learners.append(try scanUInt(value))
                case "index": snapshot.metadata.index = try scanUInt(value)
                case "content": snapshot.data = Data(value.utf8)
                default: break
                }
            }
        }
        let bootstrap = snapshot != Snapshot()
        for _ in 0..<count {
            let id = UInt64(nodes.count + 1)
            if bootstrap {
                if snapshot.metadata.index <= 1 { throw CommandError(text: "index must be specified as > 1 due to bootstrap") }
                snapshot.metadata.term = 1
            }
            let storage = RaftInteractionStorage(bootstrap: snapshot)
            if bootstrap { try storage.memory.applySnapshot(snapshot) }
            var config = RaftConfig(id: id, storage: storage)
            config.applied = snapshot.metadata.index
            config.electionTick = 3
            config.heartbeatTick = 1
            config.maxSizePerMsg = .max
            config.maxInflightMsgs = Int(Int32.max)
            config.logger = logger
            config.random = SplitMix64(seed: id)
            nodes.append(Node(raw: try RawNode(config: config), storage: storage))
        }
    }

    private func campaign(_ index: Int) throws {
        do { try nodes[index].raw.campaign() } catch { throw CommandError(text: "\(error)") }
    }

    private func propose(_ args: [RaftScript.Argument]) throws {
        let index = try nodeIndex(args)
        guard args.count == 2, args[1].values.isEmpty else {
            throw ScriptError(description: "expected exactly one key with no vals")
        }
        do { try nodes[index].raw.propose(Data(args[1].key.utf8)) } catch { throw CommandError(text: "\(error)") }
    }

    private func proposeConfChange(_ args: [RaftScript.Argument], input: String) throws {
        let index = try nodeIndex(args)
        var v1 = false
        var transition = ConfChangeTransition.confChangeTransitionAuto
        for arg in args.dropFirst() {
            for value in arg.values {
                switch arg.key {
                case "v1":
                    guard let parsed = RaftInteraction.parseBool(value) else {
                        throw CommandError(text: "strconv.ParseBool: parsing \(goQuote(value)): invalid syntax")
                    }
                    v1 = parsed
                case "transition":
                    switch value {
                    case "auto": transition = .confChangeTransitionAuto
                    case "implicit": transition = .confChangeTransitionJointImplicit
                    case "explicit": transition = .confChangeTransitionJointExplicit
                    default: throw CommandError(text: "unknown transition \(value)")
                    }
                default:
                    throw CommandError(text: "unknown command \(arg.key)")
                }
            }
        }
        let changes = try confChanges(input)
        do {
            if v1 {
                if changes.count > 1 || transition != .confChangeTransitionAuto {
                    throw CommandError(text: "v1 conf change can only have one operation and no transition")
                }
                guard let only = changes.first else { throw ScriptError(description: "v1 conf change without an operation") }
                try nodes[index].raw.proposeConfChange(ConfChange(type: only.type, nodeID: only.nodeID))
            } else {
                try nodes[index].raw.proposeConfChange(ConfChangeV2(transition: transition, changes: changes))
            }
        } catch let error as RaftError {
            throw CommandError(text: "\(error)")
        }
    }

    /// etcd's ConfChangesFromString: `v1 l2 r3 u4`.
    private func confChanges(_ input: String) throws(CommandError) -> [ConfChangeSingle] {
        var tokens = input.trimmingWhitespace.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        if tokens.first == "" { tokens = [] }
        var changes: [ConfChangeSingle] = []
        for token in tokens {
            guard token.utf8.count >= 2 else { throw CommandError(text: "unknown token \(token)") }
            let type: ConfChangeType
            switch token.first {
            case "v": type = .confChangeAddNode
            case "l": type = .confChangeAddLearnerNode
            case "r": type = .confChangeRemoveNode
            case "u": type = .confChangeUpdateNode
            default: throw CommandError(text: "unknown input: \(token)")
            }
            changes.append(ConfChangeSingle(type: type, nodeID: try parseUInt(String(token.dropFirst()))))
        }
        return changes
    }

    /// Go's strconv.ParseBool.
    static func parseBool(_ text: String) -> Bool? {
        switch text {
        case "1", "t", "T", "TRUE", "true", "True": true
        case "0", "f", "F", "FALSE", "false", "False": false
        default: nil
        }
    }

    private func processReady(_ index: Int) throws {
        let ready = nodes[index].raw.ready()
        write(ready.describe)
        let storage = nodes[index].storage
        if let hardState = ready.hardState, !hardState.isEmpty { storage.memory.setHardState(hardState) }
        storage.memory.append(ready.entries)
        if let snapshot = ready.snapshot {
            do { try storage.memory.applySnapshot(snapshot) } catch { throw CommandError(text: "\(error)") }
        }
        for entry in ready.committedEntries {
            var update = entry.data
            var confState: ConfState?
            do {
                switch entry.type {
                case .entryConfChange:
                    let change = try ConfChange(serializedBytes: entry.data.map { [UInt8]($0) } ?? [])
                    update = change.context
                    confState = try nodes[index].raw.applyConfChange(change)
                case .entryConfChangeV2:
                    let change = try ConfChangeV2(serializedBytes: entry.data.map { [UInt8]($0) } ?? [])
                    confState = try nodes[index].raw.applyConfChange(change)
                    update = change.context
                default:
                    break
                }
            } catch {
                throw CommandError(text: "\(error)")
            }
            let last = storage.history[storage.history.count - 1]
            var data = last.data ?? Data()
            data.append(update ?? Data())
            let snapshot = Snapshot(data: data, metadata: SnapshotMetadata(
                confState: confState ?? last.metadata.confState, index: entry.index, term: entry.term))
            storage.history.append(snapshot)
        }
        messages.append(contentsOf: ready.messages)
        nodes[index].raw.advance(ready)
    }

    private func deliverMessages(_ args: [RaftScript.Argument]) throws {
        var recipients: [(id: UInt64, drop: Bool)] = []
        for arg in args {
            if arg.values.isEmpty {
                recipients.append((try scanUInt(arg.key), false))
            }
            for value in arg.values where arg.key == "drop" {
                let id = try scanUInt(value)
                if recipients.contains(where: { $0.id == id }) {
                    throw ScriptError(description: "can't both deliver and drop msgs to \(id)")
                }
                recipients.append((id, true))
            }
        }
        if try deliver(recipients) == 0 { write("no messages\n") }
    }

    /// Delivers (or drops) the queued messages to each recipient in turn; returns how
    /// many were handled.
    private func deliver(_ recipients: [(id: UInt64, drop: Bool)]) throws(ScriptError) -> Int {
        var handled = 0
        for recipient in recipients {
            let mine = messages.filter { $0.to == recipient.id }
            messages.removeAll { $0.to == recipient.id }
            handled += mine.count
            for message in mine {
                if recipient.drop { write("dropped: ") }
                write(message.describe + "\n")
                if recipient.drop { continue }
                let index = Int(message.to) - 1
                guard nodes.indices.contains(index) else { throw ScriptError(description: "no node \(message.to)") }
                do { try nodes[index].raw.step(message) } catch { write("\(error)") }
            }
        }
        return handled
    }

    private func stabilize(_ ids: [Int]) throws(ScriptError) {
        for id in ids where !nodes.indices.contains(id - 1) { throw ScriptError(description: "no node \(id)") }
        let chosen = ids.isEmpty ? Array(nodes.indices) : ids.map { $0 - 1 }
        while true {
            var done = true
            for index in chosen where nodes[index].raw.hasReady {
                done = false
                write("> \(index + 1) handling Ready\n")
                try indented { () throws(ScriptError) in _ = try? processReady(index) }
            }
            for index in chosen {
                let id = UInt64(index + 1)
                guard messages.contains(where: { $0.to == id }) else { continue }
                write("> \(id) receiving messages\n")
                try indented { () throws(ScriptError) in _ = try deliver([(id, false)]) }
                done = false
            }
            if done { return }
        }
    }

    /// Runs `body` and writes its output with every line indented by two spaces.
    private func indented(_ body: () throws(ScriptError) -> Void) throws(ScriptError) {
        let outer = logger.output
        logger.output = ""
        defer {
            let inner = logger.output
            logger.output = outer
            var lines = inner.split(separator: "\n", omittingEmptySubsequences: false)
            if lines.last == "" { lines.removeLast() }
            for line in lines { write("  " + line + "\n") }
        }
        try body()
    }

    private func tickHeartbeat(_ index: Int) throws {
        // HeartbeatTick is 1 for every node.
        nodes[index].raw.tick()
    }

    private func compact(_ args: [RaftScript.Argument]) throws {
        let index = try nodeIndex(args)
        guard args.count > 1 else { throw ScriptError(description: "compact needs an index") }
        let newFirst = try parseUInt(args[1].key)
        let storage = nodes[index].storage.memory
        if newFirst > storage.lastIndex { throw ScriptError(description: "compact \(newFirst) is out of bound lastindex(\(storage.lastIndex))") }
        do { try storage.compact(to: newFirst) } catch { throw CommandError(text: "\(error)") }
        try raftLog(index)
    }

    private func raftLog(_ index: Int) throws {
        let storage = nodes[index].storage.memory
        let first = storage.firstIndex, last = storage.lastIndex
        if last < first {
            write("log is empty: first index=\(first), last index=\(last)")
            return
        }
        do {
            for entry in try storage.entries(in: first..<(last + 1), maxSize: .max) { write(entry.describe + "\n") }
        } catch {
            throw CommandError(text: "\(error)")
        }
    }

    private func status(_ index: Int) throws {
        if let progress = nodes[index].raw.status.progress { write(progress.description) }
    }

    private func setLogLevel(_ args: [RaftScript.Argument]) throws {
        guard let name = args.first?.key else { throw ScriptError(description: "log-level needs a level") }
        guard let level = RaftInteractionLogger.levelNames.firstIndex(of: name.uppercased()) else {
            throw CommandError(text: "log levels must be either of [DEBUG INFO WARN ERROR FATAL NONE]")
        }
        logger.level = level
    }
}
