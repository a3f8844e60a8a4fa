import ArgumentParser
import Conformance
import Foundation
import Storage
import Wire

struct WALTool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wal", abstract: "Inspect an etcd WAL directory.", subcommands: [WALDump.self, WALVerify.self])
}

struct WALDump: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print a WAL's records: metadata, snapshots, hard states and entries with decoded payloads.",
        discussion: """
            DIR is a wal folder or a member folder holding wal/ (and snap/). --json prints what etcd \
            recovers (newest snapshot, then ReadAll), exactly in expected-wal.json's structure.
            Example: ferry-wire wal dump m1/wal --entry-type EntryConfChange
            """)

    @Argument(help: "A wal directory, or a member directory holding wal/.") var directory: String
    @Option(help: "Only entries with at least this index.") var startIndex: UInt64?
    @Option(help: "Only entries with at most this index.") var endIndex: UInt64?
    @Option(help: "Only entries of this type (EntryNormal, EntryConfChange, EntryConfChangeV2).") var entryType: String?
    @Flag(help: "Keep reading past damaged records, reporting each one's file and offset.") var raw = false
    @Flag(help: "Print etcd's recovery as expected-wal.json (ReadAll from the newest snapshot).") var json = false
    @Option(help: "A shell command that reads an entry's data on stdin and prints its meaning.") var payloadDecoder: String?

    private var walDirectory: String {
        Files.isDirectory("\(directory)/wal") ? "\(directory)/wal" : directory
    }

    func produce(stdin: () throws -> [UInt8]) throws -> ToolOutput {
        json ? try recovery() : try records()
    }

    /// Every record in file order, filtered by the entry options.
    private func records() throws -> ToolOutput {
        let payload = EntryPayload(externalDecoder: payloadDecoder)
        let (records, damage) = try WALRecordWalker.walk(directory: walDirectory, continuePastDamage: raw)
        var output = ToolOutput()
        var reported = Set<String>()
        for located in records {
            for item in damage where !reported.contains("\(item.file)@\(item.offset)")
                && (item.file, item.offset) < (located.file, located.offset) {
                reported.insert("\(item.file)@\(item.offset)")
                output.line("DAMAGE \(item)")
            }
            let place = "\(located.file)@\(located.offset)"
            let data = located.record.data.map { [UInt8]($0) } ?? []
            if filtersEntries, located.record.type != 2 { continue }
            switch located.record.type {
            case 1:
                let text = (try? Metadata(serializedBytes: data)).map { "node \(String($0.nodeID, radix: 16)) cluster \(String($0.clusterID, radix: 16))" } ?? hex(bytes: data)
                output.line("\(place) metadata \(text)")
            case 2:
                guard let entry = try? Entry(serializedBytes: data) else {
                    output.line("\(place) entry undecodable \(hex(bytes: data))")
                    continue
                }
                guard selects(entry) else { continue }
                output.line("\(place) entry \(entry.term)/\(entry.index) \(entry.type) \(data.count) bytes: \(payload.render(entry))")
            case 3:
                let state = (try? HardState(serializedBytes: data)).map { "term \($0.term) vote \(String($0.vote, radix: 16)) commit \($0.commit)" } ?? "undecodable"
                output.line("\(place) hardstate \(state)")
            case 4:
                output.line("\(place) crc \(located.record.crc)")
            case 5:
                let snapshot = (try? WALSnapshot(serializedBytes: data)).map { "index \($0.index) term \($0.term)" } ?? "undecodable"
                output.line("\(place) snapshot \(snapshot)")
            default:
                output.line("\(place) record type \(located.record.type) \(data.count) bytes")
            }
        }
        for item in damage where !reported.contains("\(item.file)@\(item.offset)") { output.line("DAMAGE \(item)") }
        output.status = damage.isEmpty ? 0 : 1
        return output
    }

    /// Whether an entry option was given: only entries are listed then.
    private var filtersEntries: Bool { startIndex != nil || endIndex != nil || entryType != nil }

    private func selects(_ entry: Entry) -> Bool {
        if let startIndex, entry.index < startIndex { return false }
        if let endIndex, entry.index > endIndex { return false }
        if let entryType, entry.type.description != entryType { return false }
        return true
    }

    /// etcd's recovery of the member folder, in expected-wal.json's shape with payloads.
    private func recovery() throws -> ToolOutput {
        let member = walDirectory.hasSuffix("/wal") ? String(walDirectory.dropLast(4)) : (walDirectory == "wal" ? "." : directory)
        guard Files.isDirectory("\(member)/wal") else { throw ToolError.usage("--json needs a member folder holding wal/ (or its wal folder)") }
        let recovered = try DataDirRunner.recover(member)
        var output = ToolOutput()
        output.line(GoJSON.indented(try withPayloads(recovered, member: member)))
        output.status = recovered["error"] == nil ? 0 : 1
        return output
    }

    /// Adds each entry's `payload`, reading the same entries ReadAll returned.
    private func withPayloads(_ recovered: JSONValue, member: String) throws -> JSONValue {
        guard case .object(var fields) = recovered, recovered["error"] == nil,
              let index = recovered["openAt"]?["index"]?.stringValue.flatMap(UInt64.init),
              let term = recovered["openAt"]?["term"]?.stringValue.flatMap(UInt64.init) else { return recovered }
        let wal = try WAL.open(directory: "\(member)/wal", at: WALSnapshot(index: index, term: term), writable: false)
        defer { try? wal.close() }
        let entries = try wal.readAll().entries
        let payload = EntryPayload(externalDecoder: payloadDecoder)
        guard let position = fields.firstIndex(where: { $0.0 == "entries" }), case .array(let listed) = fields[position].1,
              listed.count == entries.count else { return recovered }
        fields[position].1 = .array(zip(listed, entries).map { item, entry in
            guard case .object(var members) = item else { return item }
            members.append(("payload", .string(payload.render(entry))))
            return .object(members)
        })
        return .object(fields)
    }
}

struct WALVerify: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a WAL's framing and CRC chain; name the first bad record and what etcd's repair would truncate.",
        discussion: "Exit status 1 when damage is found. Example: ferry-wire wal verify m1/wal")

    @Argument(help: "A wal directory, or a member directory holding wal/.") var directory: String

    func produce(stdin: () throws -> [UInt8]) throws -> ToolOutput {
        let wal = Files.isDirectory("\(directory)/wal") ? "\(directory)/wal" : directory
        let found: (file: String, offset: Int)?
        do {
            found = try WALRepair.firstDamage(directory: wal)
        } catch {
            throw ToolError.unreadable("\(wal): \(error)")
        }
        var output = ToolOutput()
        let (records, damage) = try WALRecordWalker.walk(directory: wal, continuePastDamage: false)
        guard let found else {
            output.line("ok: \(records.count) records, framing and CRC chain intact")
            return output
        }
        output.status = 1
        let reason = damage.first.map { $0.reason } ?? "unreadable record"
        output.line("first bad record: \(found.file) at byte \(found.offset): \(reason)")
        output.line("readable before it: \(records.count) records")
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-wire-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: copy) }
        try FileManager.default.copyItem(atPath: wal, toPath: copy)
        let outcome = WALRepair.repair(directory: copy)
        if let size = outcome.truncatedTo {
            output.line("repair would truncate the last segment to \(size) bytes (keeping the original as .broken)")
        } else {
            output.line(outcome.repaired ? "repair would change nothing" : "repair cannot fix this damage")
        }
        return output
    }
}

/// A member folder's files, as the tools look for them.
enum Files {
    static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }
}
