import Foundation
import Wire

/// Reads records from a run of segments as one checksum chain, the way etcd's decoder does:
/// a zero length word or the end of a segment moves to the next one; a record that fails in
/// the last segment over a zeroed sector is a torn write (unexpected EOF), not corruption.
struct WALDecoder {
    struct Segment {
        let name: String
        let bytes: [UInt8]
    }

    let segments: [Segment]
    private(set) var segmentIndex = 0
    /// The end of the last valid record in the current segment.
    private(set) var lastValidOffset = 0
    private(set) var crc: UInt32 = 0

    init(segments: [Segment]) {
        self.segments = segments
    }

    var currentName: String { segments[min(segmentIndex, segments.count - 1)].name }

    mutating func setCRC(_ value: UInt32) { crc = value }

    /// The next record, nil at the end of the log.
    mutating func next() throws(DiskError) -> WALRecord? {
        while segmentIndex < segments.count {
            let segment = segments[segmentIndex]
            let bytes = segment.bytes
            let at = lastValidOffset
            let available = bytes.count - at
            if available == 0 || (available >= 8 && readWord(bytes, at) == 0) {
                segmentIndex += 1
                if segmentIndex < segments.count { lastValidOffset = 0 }
                continue
            }
            guard available >= 8 else { throw .unexpectedEOF(file: segment.name, offset: at) }
            let (recordBytes, padding) = WALFormat.decodeLengthWord(readWord(bytes, at))
            guard recordBytes < WALFormat.maxRecordSize - UInt64(padding) else {
                throw .recordTooLarge(file: segment.name, offset: at, length: recordBytes)
            }
            let frameEnd = at + 8 + Int(recordBytes) + padding
            guard frameEnd <= bytes.count else { throw .unexpectedEOF(file: segment.name, offset: at) }
            let data = bytes[(at + 8)..<frameEnd]
            let record: WALRecord
            do {
                record = try WALRecord(serializedBytes: data.prefix(Int(recordBytes)))
            } catch {
                if isTorn(data, at: at + 8) { throw .unexpectedEOF(file: segment.name, offset: at) }
                throw .malformedRecord(file: segment.name, offset: at, reason: error.description)
            }
            if record.type != WALFormat.RecordType.crc.rawValue {
                if let payload = record.data { crc = CRC32C.update(crc, payload) }
                if record.crc != crc {
                    if isTorn(data, at: at + 8) { throw .unexpectedEOF(file: segment.name, offset: at) }
                    throw .recordCRCMismatch(file: segment.name, offset: at)
                }
            }
            lastValidOffset = frameEnd
            return record
        }
        return nil
    }

    private func readWord(_ bytes: [UInt8], _ at: Int) -> UInt64 {
        var word: UInt64 = 0
        for i in 0..<8 { word |= UInt64(bytes[at + i]) << (8 * UInt64(i)) }
        return word
    }

    /// etcd's isTornEntry: in the last segment, a record whose bytes include a sector-sized
    /// chunk of zeros was never completely written.
    private func isTorn(_ data: ArraySlice<UInt8>, at fileOffset: Int) -> Bool {
        guard segmentIndex == segments.count - 1 else { return false }
        var offset = fileOffset
        var index = data.startIndex
        while index < data.endIndex {
            let length = min(WALFormat.sectorSize - offset % WALFormat.sectorSize, data.endIndex - index)
            if data[index..<(index + length)].allSatisfy({ $0 == 0 }) { return true }
            offset += length
            index += length
        }
        return false
    }
}
