import Foundation
import Wire

/// Writes framed, checksummed records to a segment the way etcd's encoder does, through a
/// page-aligned write buffer like etcd's PageWriter (128 KiB, 4 KiB pages). Only flushed bytes
/// reach the file: `flushedOffset` is the file offset etcd's cut decision looks at.
struct WALEncoder {
    static let pageBytes = 4096
    static let watermark = 128 * 1024

    /// How far ahead of the records zeros are written (see `zeroAhead`).
    static let zeroStep = 1 << 20
    static let zeros = [UInt8](repeating: 0, count: zeroStep)

    let file: any WritableFile
    private(set) var crc: UInt32
    private(set) var flushedOffset: Int
    private var pageOffset: Int
    private var buffer: [UInt8] = []
    /// The file's preallocated size, and how much of it already holds written zeros.
    private let reserved: Int
    private(set) var zeroedOffset: Int

    /// An encoder appending at `offset` of `file`, whose first `reserved` bytes were
    /// preallocated, written with zeros up to `zeroedTo` (at least `offset`).
    init(file: any WritableFile, offset: Int, crc: UInt32, reserved: Int = 0, zeroedTo: Int = 0) {
        self.file = file
        self.flushedOffset = offset
        self.pageOffset = offset % Self.pageBytes
        self.crc = crc
        self.reserved = reserved
        zeroedOffset = max(offset, zeroedTo)
        buffer.reserveCapacity(Self.watermark + Self.pageBytes)
    }

    /// Appends one record: its crc is the running checksum including its data.
    mutating func encode(type: WALFormat.RecordType, data: Data?) throws(DiskError) {
        if let data { crc = CRC32C.update(crc, data) }
        let record = WALRecord(type: type.rawValue, crc: crc, data: data)
        var bytes = record.serializedBytes()
        let (word, padding) = WALFormat.frameLengthWord(bytes.count)
        var lengthBytes = [UInt8](repeating: 0, count: 8)
        for i in 0..<8 { lengthBytes[i] = UInt8(truncatingIfNeeded: word >> (8 * UInt64(i))) }
        try write(lengthBytes[...])
        bytes.append(contentsOf: repeatElement(0, count: padding))
        try write(bytes[...])
    }

    /// etcd's PageWriter.Write: buffer below the watermark; past it, complete the partial
    /// page, flush, write whole pages directly and buffer the rest.
    private mutating func write(_ p: ArraySlice<UInt8>) throws(DiskError) {
        var p = p
        if p.count + buffer.count <= Self.watermark {
            buffer.append(contentsOf: p)
            return
        }
        var slack = Self.pageBytes - ((pageOffset + buffer.count) % Self.pageBytes)
        if slack != Self.pageBytes {
            let partial = slack > p.count
            if partial { slack = p.count }
            buffer.append(contentsOf: p.prefix(slack))
            p = p.dropFirst(slack)
            if partial { return }
        }
        try flush()
        if p.count > Self.pageBytes {
            let whole = p.count / Self.pageBytes * Self.pageBytes
            try writeToFile(p.prefix(whole))
            p = p.dropFirst(whole)
        }
        try write(p)
    }

    /// Writes the buffer to the file (no fsync).
    mutating func flush() throws(DiskError) {
        guard !buffer.isEmpty else { return }
        try writeToFile(buffer[...])
        pageOffset = (pageOffset + buffer.count) % Self.pageBytes
        buffer.removeAll(keepingCapacity: true)
    }

    private mutating func writeToFile(_ bytes: ArraySlice<UInt8>) throws(DiskError) {
        let result = bytes.withUnsafeBytes { raw in Result { () throws(DiskError) in try file.write(raw, at: flushedOffset) } }
        try result.get()
        flushedOffset += bytes.count
        try zeroAhead()
    }

    /// Writes zeros over the preallocated space up to a MiB ahead of the records. fallocate
    /// leaves that space unwritten, and the first write into it makes the next fdatasync
    /// also write the file's extent map, synchronously, after the data: zeros written ahead
    /// (taken along by one sync a MiB) spare the syncs in between that second write, which
    /// is a good part of their time. The bytes are those the space holds anyway.
    private mutating func zeroAhead() throws(DiskError) {
        guard zeroedOffset < reserved, flushedOffset + Self.zeroStep / 2 > zeroedOffset else { return }
        let from = max(zeroedOffset, flushedOffset)
        let to = min(reserved, from + Self.zeroStep)
        guard to > from else { return }
        let result = Self.zeros[..<(to - from)].withUnsafeBytes { raw in Result { () throws(DiskError) in try file.write(raw, at: from) } }
        try result.get()
        zeroedOffset = to
    }
}
