import Foundation
import Wire

/// etcd's write-ahead log: a directory of segments holding metadata, entries, hard states and
/// snapshot markers as checksummed records, byte for byte what etcd 3.4's wal package writes.
///
/// A WAL is created empty or opened at a snapshot position; `readAll` then returns what was
/// logged after it. Opened for writing, it continues the last segment after `readAll`.
public final class WAL {
    public let directory: String
    let fs: any FileSystem
    let segmentSize: Int
    private(set) var metadata: Data?
    /// The hard state last written.
    private(set) var state = HardState()
    /// The index of the last entry (or snapshot) written: a new segment starts after it.
    private(set) var lastIndex: UInt64 = 0
    private var encoder: WALEncoder?
    /// Segments held open (and locked) for writing; the last one is the tail.
    private var lockedFiles: [any WritableFile] = []
    private var sequence: UInt64 = 0
    private var reading: (decoder: WALDecoder, start: WALSnapshot, writable: Bool)?

    init(fs: any FileSystem, directory: String, segmentSize: Int) {
        self.fs = fs
        self.directory = directory
        self.segmentSize = segmentSize
    }

    /// Creates a WAL in `directory` (which must not exist): built in `directory.tmp`, then
    /// renamed into place so that creation appears atomic, as etcd does.
    public static func create(
        fs: any FileSystem = POSIXFileSystem(), directory: String, metadata: Data?,
        segmentSize: Int = WALFormat.defaultSegmentSize
    ) throws(DiskError) -> WAL {
        if fs.exists(directory) { throw .invalidState("wal: \(directory) already exists") }
        let temporary = directory + ".tmp"
        if fs.exists(temporary) { try fs.remove(temporary) }
        try fs.makeDirectory(temporary)
        let name = WALFormat.segmentName(sequence: 0, index: 0)
        let file = try fs.openForWriting("\(temporary)/\(name)", create: true)
        try file.lock()
        try file.preallocate(segmentSize)
        let wal = WAL(fs: fs, directory: directory, segmentSize: segmentSize)
        wal.metadata = metadata
        wal.encoder = WALEncoder(file: file, offset: 0, crc: 0, reserved: segmentSize)
        wal.lockedFiles = [file]
        try wal.encoder!.encode(type: .crc, data: nil)
        try wal.encoder!.encode(type: .metadata, data: metadata)
        try wal.saveSnapshot(WALSnapshot())
        try fs.rename(temporary, directory)
        try fs.syncDirectory((directory as NSString).deletingLastPathComponent.isEmpty ? "." : (directory as NSString).deletingLastPathComponent)
        return wal
    }

    /// Opens the WAL at a snapshot position for reading (`writable` false, no locks, usable
    /// while another process writes) or for appending after `readAll`.
    public static func open(
        fs: any FileSystem = POSIXFileSystem(), directory: String, at start: WALSnapshot, writable: Bool,
        segmentSize: Int = WALFormat.defaultSegmentSize
    ) throws(DiskError) -> WAL {
        let names = try segmentNames(fs: fs, directory: directory)
        // The last segment that may hold the snapshot's index, and a gapless run from it.
        guard let first = names.lastIndex(where: { WALFormat.parseSegmentName($0)!.index <= start.index }) else {
            throw .fileNotFound(directory: directory)
        }
        let run = Array(names[first...])
        // etcd's isValidSeq skips the check after a segment numbered 0, so a gap right after
        // the first segment surfaces in readAll as a crc mismatch at the next segment's start.
        for (i, name) in run.enumerated().dropFirst() {
            let previous = WALFormat.parseSegmentName(run[i - 1])!.sequence
            guard previous == 0 || WALFormat.parseSegmentName(name)!.sequence == previous + 1 else {
                throw .missingSegment(directory: directory, after: run[i - 1])
            }
        }
        let wal = WAL(fs: fs, directory: directory, segmentSize: segmentSize)
        var segments: [WALDecoder.Segment] = []
        for name in run {
            segments.append(WALDecoder.Segment(name: name, bytes: try fs.readFile("\(directory)/\(name)")))
        }
        if writable {
            for name in run {
                let file = try fs.openForWriting("\(directory)/\(name)", create: false)
                try file.lock()
                wal.lockedFiles.append(file)
            }
            wal.sequence = WALFormat.parseSegmentName(run.last!)!.sequence
        }
        wal.reading = (WALDecoder(segments: segments), start, writable)
        return wal
    }

    /// The WAL segment names in a directory, sorted; `fileNotFound` when there are none.
    static func segmentNames(fs: any FileSystem, directory: String) throws(DiskError) -> [String] {
        let names = try fs.list(directory).filter { WALFormat.parseSegmentName($0) != nil }
        guard !names.isEmpty else { throw .fileNotFound(directory: directory) }
        return names
    }

    /// What was logged after the opening position: the metadata, the last hard state and the
    /// entries (a later entry at an index replaces it and everything after it). In write mode
    /// every record must read (a torn tail fails); the rest of the tail is zeroed and writing
    /// continues there. Fails with `snapshotNotFound` when no snapshot record matches the
    /// opening position; unlike etcd 3.4, write mode reports that too.
    public func readAll() throws(DiskError) -> (metadata: Data?, hardState: HardState, entries: [Entry]) {
        guard let (initialDecoder, start, writable) = reading else { throw .invalidState("wal: readAll needs a WAL just opened") }
        reading = nil
        var decoder = initialDecoder
        var metadata: Data?
        var sawMetadata = false
        var state = HardState()
        var entries: [Entry] = []
        var matched = false
        var failure: DiskError?
        do throws(DiskError) {
            while let record = try decoder.next() {
                switch WALFormat.RecordType(rawValue: record.type) {
                case .entry:
                    let entry = try decodeEntry(record, decoder.currentName, decoder.lastValidOffset)
                    if entry.index > start.index {
                        let position = entry.index - start.index - 1
                        guard position <= UInt64(entries.count) else { throw DiskError.sliceOutOfRange(index: entry.index) }
                        entries.removeSubrange(Int(position)...)
                        entries.append(entry)
                    }
                    lastIndex = entry.index
                case .state:
                    do { state = try HardState(serializedBytes: record.data ?? Data()) } catch {
                        throw DiskError.malformedRecord(file: decoder.currentName, offset: decoder.lastValidOffset, reason: error.description)
                    }
                case .metadata:
                    if sawMetadata, metadata != record.data { throw DiskError.metadataConflict }
                    metadata = record.data
                    sawMetadata = true
                case .crc:
                    if decoder.crc != 0, record.crc != decoder.crc {
                        throw DiskError.crcMismatch(file: decoder.currentName, offset: decoder.lastValidOffset)
                    }
                    decoder.setCRC(record.crc)
                case .snapshot:
                    let snapshot: WALSnapshot
                    do { snapshot = try WALSnapshot(serializedBytes: record.data ?? Data()) } catch {
                        throw DiskError.malformedRecord(file: decoder.currentName, offset: decoder.lastValidOffset, reason: error.description)
                    }
                    if snapshot.index == start.index {
                        guard snapshot.term == start.term else { throw DiskError.snapshotMismatch }
                        matched = true
                    }
                case nil:
                    throw DiskError.malformedRecord(
                        file: decoder.currentName, offset: decoder.lastValidOffset, reason: "unexpected record type \(record.type)")
                }
            }
        } catch {
            failure = error
        }
        if let failure {
            // Read-only mode stops quietly at a torn last record, as etcd does.
            guard !writable, case .unexpectedEOF = failure else { throw failure }
        }
        guard matched else { throw .snapshotNotFound }
        self.metadata = metadata
        self.state = state
        if writable, let tail = lockedFiles.last {
            // Bytes after the last valid record were never synced whole: zero them so new
            // records cannot meet stale ones.
            let tailSize = try fs.size(tail.path)
            let from = decoder.lastValidOffset
            if tailSize > from {
                try tail.write([UInt8](repeating: 0, count: tailSize - from), at: from)
            }
            encoder = WALEncoder(file: tail, offset: from, crc: decoder.crc, reserved: tailSize, zeroedTo: tailSize)
        }
        return (metadata, state, entries)
    }

    private func decodeEntry(_ record: WALRecord, _ file: String, _ offset: Int) throws(DiskError) -> Entry {
        do { return try Entry(serializedBytes: record.data ?? Data()) } catch {
            throw .malformedRecord(file: file, offset: offset, reason: error.description)
        }
    }

    /// Logs entries and a hard state; syncs when raft requires it (new entries, or a new
    /// term or vote) and starts a new segment once the current one is full, as etcd does.
    public func save(hardState: HardState, entries: [Entry]) throws(DiskError) {
        guard encoder != nil else { throw .invalidState("wal: save on a WAL not open for writing") }
        if WALFormat.isEmpty(hardState) && entries.isEmpty { return }
        let mustSync = !entries.isEmpty || hardState.vote != state.vote || hardState.term != state.term
        if try append(hardState: hardState, entries: entries), mustSync { try sync() }
    }

    /// `save` without the sync: writes the records and cuts a full segment (which syncs).
    /// Returns false when it cut, true when the records may still be unsynced.
    private func append(hardState: HardState, entries: [Entry]) throws(DiskError) -> Bool {
        guard encoder != nil else { throw .invalidState("wal: save on a WAL not open for writing") }
        if WALFormat.isEmpty(hardState) && entries.isEmpty { return true }
        for entry in entries {
            try encoder!.encode(type: .entry, data: entry.serializedData())
            lastIndex = entry.index
        }
        try saveState(hardState)
        if encoder!.flushedOffset < segmentSize { return true }
        try cut()
        return false
    }

    /// Marks a snapshot position in the log and syncs.
    public func saveSnapshot(_ snapshot: WALSnapshot) throws(DiskError) {
        guard encoder != nil else { throw .invalidState("wal: saveSnapshot on a WAL not open for writing") }
        try encoder!.encode(type: .snapshot, data: snapshot.serializedData())
        if lastIndex < snapshot.index { lastIndex = snapshot.index }
        try sync()
    }

    private func saveState(_ hardState: HardState) throws(DiskError) {
        if WALFormat.isEmpty(hardState) { return }
        state = hardState
        try encoder!.encode(type: .state, data: hardState.serializedData())
    }

    /// Flushes the buffer and fdatasyncs the tail segment.
    func sync() throws(DiskError) {
        try encoder!.flush()
        try encoder!.file.sync()
    }

    /// Closes the full segment at its flushed offset plus this save's records, and starts
    /// the next one: a crc record with the running checksum, the metadata and the last hard
    /// state, built under a temporary name and renamed into place.
    private func cut() throws(DiskError) {
        let closing = encoder!.file
        try closing.truncate(to: encoder!.flushedOffset)
        try sync()
        let crc = encoder!.crc
        sequence += 1
        let name = WALFormat.segmentName(sequence: sequence, index: lastIndex + 1)
        let temporary = "\(directory)/\(sequence).tmp"
        let file = try fs.openForWriting(temporary, create: true)
        try file.lock()
        try file.truncate(to: 0)  // a crash may have left a used one behind
        try file.preallocate(segmentSize)
        encoder = WALEncoder(file: file, offset: 0, crc: crc, reserved: segmentSize)
        try encoder!.encode(type: .crc, data: nil)
        try encoder!.encode(type: .metadata, data: metadata)
        try saveState(state)
        try sync()
        try fs.rename(temporary, "\(directory)/\(name)")
        try fs.syncDirectory(directory)
        file.close()
        let renamed = try fs.openForWriting("\(directory)/\(name)", create: false)
        try renamed.lock()
        encoder = WALEncoder(file: renamed, offset: encoder!.flushedOffset, crc: encoder!.crc, reserved: segmentSize,
                             zeroedTo: encoder!.zeroedOffset)
        lockedFiles.append(renamed)
    }

    /// Flushes, syncs and releases every segment.
    public func close() throws(DiskError) {
        if encoder != nil { try sync() }
        encoder = nil
        for file in lockedFiles { file.close() }
        lockedFiles = []
    }

    /// Releases the segments that hold only entries before `index` (etcd's ReleaseLockTo),
    /// keeping the one that contains it, so that a purge may remove them.
    public func releaseLock(to index: UInt64) {
        guard lockedFiles.count > 1 else { return }
        var keepFrom = 0
        for (i, file) in lockedFiles.enumerated() {
            let name = (file.path as NSString).lastPathComponent
            guard let parsed = WALFormat.parseSegmentName(name) else { continue }
            if parsed.index > index { break }
            keepFrom = i
        }
        for file in lockedFiles[..<keepFrom] { file.close() }
        lockedFiles.removeFirst(keepFrom)
    }
}
