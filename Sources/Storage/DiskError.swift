/// What went wrong reading or writing the WAL or the snapshots, naming the file and, where it
/// applies, the byte offset.
public enum DiskError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A system call failed.
    case io(operation: String, path: String, reason: String)
    /// Another process holds the file's lock.
    case locked(path: String)
    /// No WAL segment where one was needed (etcd's `wal: file not found`).
    case fileNotFound(directory: String)
    /// Segments numbered with a gap: the one after `after` is missing (etcd's
    /// `wal: file not found`).
    case missingSegment(directory: String, after: String)
    /// A record's checksum does not match its data (etcd's `walpb: crc mismatch`).
    case recordCRCMismatch(file: String, offset: Int)
    /// A crc record disagrees with the running checksum (etcd's `wal: crc mismatch`).
    case crcMismatch(file: String, offset: Int)
    /// The log ends inside a record (etcd's `unexpected EOF`).
    case unexpectedEOF(file: String, offset: Int)
    /// No snapshot record matches the position the WAL was opened at.
    case snapshotNotFound
    /// A snapshot record at the opened index has another term.
    case snapshotMismatch
    /// Two metadata records differ.
    case metadataConflict
    /// A record that is not a WAL record, or one of an unknown type.
    case malformedRecord(file: String, offset: Int, reason: String)
    /// An entry index that leaves a gap after the entries read so far.
    case sliceOutOfRange(index: UInt64)
    /// A record over etcd's 10 MB limit.
    case recordTooLarge(file: String, offset: Int, length: UInt64)
    /// A .snap file's checksum does not match.
    case snapCRCMismatch(file: String)
    /// A .snap file with no data.
    case emptySnapshot(file: String)
    /// A .snap file that does not decode.
    case malformedSnapshot(file: String, reason: String)
    /// No readable snapshot in the directory.
    case noSnapshot
    /// An operation on a closed WAL, or in the wrong mode.
    case invalidState(String)

    public var description: String {
        switch self {
        case let .io(operation, path, reason): "\(operation) \(path): \(reason)"
        case let .locked(path): "\(path) is locked by another process"
        case let .fileNotFound(directory): "wal: file not found in \(directory)"
        case let .missingSegment(directory, after): "wal: file not found: the segment after \(after) is missing in \(directory)"
        case let .recordCRCMismatch(file, offset): "walpb: crc mismatch in \(file) at byte \(offset)"
        case let .crcMismatch(file, offset): "wal: crc mismatch in \(file) at byte \(offset)"
        case let .unexpectedEOF(file, offset): "unexpected EOF in \(file) at byte \(offset)"
        case .snapshotNotFound: "wal: snapshot not found"
        case .snapshotMismatch: "wal: snapshot mismatch"
        case .metadataConflict: "wal: conflicting metadata found"
        case let .malformedRecord(file, offset, reason): "malformed WAL record in \(file) at byte \(offset): \(reason)"
        case let .sliceOutOfRange(index): "wal: entry \(index) leaves a gap in the log"
        case let .recordTooLarge(file, offset, length): "wal: record of \(length) bytes in \(file) at byte \(offset) is over the 10 MB limit"
        case let .snapCRCMismatch(file): "snap: crc mismatch in \(file)"
        case let .emptySnapshot(file): "snap: empty snapshot in \(file)"
        case let .malformedSnapshot(file, reason): "snap: \(file) does not decode: \(reason)"
        case .noSnapshot: "snap: no available snapshot"
        case let .invalidState(what): what
        }
    }
}
