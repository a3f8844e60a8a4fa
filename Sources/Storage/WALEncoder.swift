import Foundation
import Wire

/// Writes framed, checksummed records to a segment the way etcd's encoder does, through a
/// page-aligned write buffer like etcd's PageWriter (128 KiB, 4 KiB pages). Only flushed bytes
/// reach the file: `flushedOffset` is the file offset etcd's cut decision looks at.
struct WALEncoder {
    static let pageBytes = 4096
    static let watermark = 128 * 1024

    let file: any WritableFile
    private(set) var crc: UInt32
    private(set) var flushedOffset: Int
    private var pageOffset: Int
    private var buffer: [UInt8] = []

    init(file: any WritableFile, offset: Int, crc: UInt32) {
        self.file = file
        self.flushedOffset = offset
        self.pageOffset = offset % Self.pageBytes
        self.crc = crc
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
    }
}
