import Foundation
import Wire

/// Checking and repairing a WAL directory offline, as etcd's wal.Repair does, and finding
/// the first record nothing can read.
public enum WALRepair {
    /// The outcome of `repair`.
    public struct Outcome: Equatable, Sendable {
        public var repaired: Bool
        /// The size the last segment was truncated to, when it was.
        public var truncatedTo: Int?
    }

    /// etcd's Repair: reads the last segment; if it ends in a torn record, keeps a copy as
    /// `NAME.broken`, truncates the segment after its last whole record and syncs it. Any
    /// other damage is not repaired.
    public static func repair(fs: any FileSystem = POSIXFileSystem(), directory: String) -> Outcome {
        guard let names = try? WAL.segmentNames(fs: fs, directory: directory), let last = names.last,
              let bytes = try? fs.readFile("\(directory)/\(last)") else { return Outcome(repaired: false) }
        var decoder = WALDecoder(segments: [.init(name: last, bytes: bytes)])
        while true {
            let lastOffset = decoder.lastValidOffset
            do throws(DiskError) {
                guard let record = try decoder.next() else { return Outcome(repaired: true) }
                if record.type == WALFormat.RecordType.crc.rawValue {
                    if decoder.crc != 0, record.crc != decoder.crc { return Outcome(repaired: false) }
                    decoder.setCRC(record.crc)
                }
            } catch {
                guard case .unexpectedEOF = error else { return Outcome(repaired: false) }
                do throws(DiskError) {
                    let broken = try fs.openForWriting("\(directory)/\(last).broken", create: true)
                    defer { broken.close() }
                    try broken.truncate(to: 0)
                    try broken.write(bytes, at: 0)
                    try broken.sync()
                    let file = try fs.openForWriting("\(directory)/\(last)", create: false)
                    defer { file.close() }
                    try file.truncate(to: lastOffset)
                    try file.sync()
                } catch {
                    return Outcome(repaired: false)
                }
                return Outcome(repaired: true, truncatedTo: lastOffset)
            }
        }
    }

    /// Where a reader walking every segment in name order as one checksum chain first finds a
    /// record it cannot read: an incomplete length word, a length of 10 MB or more, a body
    /// past the end of the file, a record that does not decode, a data checksum that does not
    /// match, or a crc record that disagrees with a non-zero running value. Nil when the
    /// whole log reads.
    public static func firstDamage(fs: any FileSystem = POSIXFileSystem(), directory: String) throws(DiskError) -> (file: String, offset: Int)? {
        let names = try WAL.segmentNames(fs: fs, directory: directory)
        var crc: UInt32 = 0
        for name in names {
            let bytes = try fs.readFile("\(directory)/\(name)")
            var at = 0
            while at < bytes.count {
                guard bytes.count - at >= 8 else { return (name, at) }
                var word: UInt64 = 0
                for i in 0..<8 { word |= UInt64(bytes[at + i]) << (8 * UInt64(i)) }
                if word == 0 { break }
                let (recordBytes, padding) = WALFormat.decodeLengthWord(word)
                guard recordBytes < WALFormat.maxRecordSize else { return (name, at) }
                let end = at + 8 + Int(recordBytes) + padding
                guard end <= bytes.count,
                      let record = try? WALRecord(serializedBytes: bytes[(at + 8)..<(at + 8 + Int(recordBytes))]) else {
                    return (name, at)
                }
                if record.type == WALFormat.RecordType.crc.rawValue {
                    if crc != 0, record.crc != crc { return (name, at) }
                    crc = record.crc
                } else {
                    if let data = record.data { crc = CRC32C.update(crc, data) }
                    if record.crc != crc { return (name, at) }
                }
                at = end
            }
        }
        return nil
    }
}
