import Foundation
import Wire

/// Constants and small pieces of etcd's WAL format (wal/wal.go, wal/encoder.go).
public enum WALFormat {
    public enum RecordType: Int64 {
        case metadata = 1, entry = 2, state = 3, crc = 4, snapshot = 5
    }

    /// etcd's default segment size.
    public static let defaultSegmentSize = 64 * 1000 * 1000
    /// etcd refuses records of this size or more (maxWALEntrySizeLimit).
    static let maxRecordSize: UInt64 = 10 * 1024 * 1024
    /// The sector size etcd assumes when it tells a torn write from corruption.
    static let sectorSize = 512

    /// `%016x-%016x.wal`: sequence, then the index of the first entry the segment may hold.
    public static func segmentName(sequence: UInt64, index: UInt64) -> String {
        hex(sequence, digits: 16) + "-" + hex(index, digits: 16) + ".wal"
    }

    /// The (sequence, index) of a segment name, nil for any other name.
    public static func parseSegmentName(_ name: String) -> (sequence: UInt64, index: UInt64)? {
        guard name.hasSuffix(".wal") else { return nil }
        let parts = name.dropLast(4).split(separator: "-")
        guard parts.count == 2, parts.allSatisfy({ $0.count == 16 }),
              let sequence = UInt64(parts[0], radix: 16), let index = UInt64(parts[1], radix: 16) else { return nil }
        return (sequence, index)
    }

    /// The 8-byte length word: the record's size, with `0x80 | padding` in the top byte when
    /// the record is padded to 8 bytes.
    static func frameLengthWord(_ recordBytes: Int) -> (word: UInt64, padding: Int) {
        let padding = (8 - recordBytes % 8) % 8
        var word = UInt64(recordBytes)
        if padding != 0 { word |= UInt64(0x80 | padding) << 56 }
        return (word, padding)
    }

    static func decodeLengthWord(_ word: UInt64) -> (recordBytes: UInt64, padding: Int) {
        let recordBytes = word & ~(UInt64(0xff) << 56)
        let padding = Int64(bitPattern: word) < 0 ? Int((word >> 56) & 0x7) : 0
        return (recordBytes, padding)
    }

    static func isEmpty(_ state: HardState) -> Bool { state.term == 0 && state.vote == 0 && state.commit == 0 }
}
