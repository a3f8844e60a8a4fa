import Foundation

/// Where a run of bytes lives in a `ByteArena`.
struct ByteSlice: Hashable, Sendable {
    var chunk: UInt32
    var offset: UInt32
    var count: UInt32

    static let empty = ByteSlice(chunk: 0, offset: 0, count: 0)
}

/// Keys or values packed back to back in large chunks, so a million small values cost a few
/// allocations instead of a million, and resident memory stays close to the raw bytes.
final class ByteArena {
    private var chunks: [UnsafeMutableRawBufferPointer] = []
    /// The chunk small runs are appended to, and how much of it is used.
    private var current = -1
    private var used = 0
    private let chunkSize: Int

    /// Bytes allocated for chunks.
    private(set) var allocatedBytes = 0

    init(chunkSize: Int = 1 << 20) {
        self.chunkSize = chunkSize
    }

    deinit {
        for chunk in chunks { chunk.deallocate() }
    }

    func append(_ bytes: UnsafeRawBufferPointer) -> ByteSlice {
        if bytes.isEmpty { return .empty }
        let n = bytes.count
        if n > chunkSize / 4 {
            // A large run gets a chunk of its own, so chunks are never left mostly empty.
            let chunk = newChunk(n)
            chunk.copyMemory(from: bytes)
            return ByteSlice(chunk: UInt32(chunks.count - 1), offset: 0, count: UInt32(n))
        }
        if current < 0 || used + n > chunkSize {
            _ = newChunk(chunkSize)
            current = chunks.count - 1
            used = 0
        }
        let start = used
        UnsafeMutableRawBufferPointer(rebasing: chunks[current][start..<start + n]).copyMemory(from: bytes)
        used += n
        return ByteSlice(chunk: UInt32(current), offset: UInt32(start), count: UInt32(n))
    }

    func append(_ bytes: some ContiguousBytes) -> ByteSlice {
        bytes.withUnsafeBytes { append($0) }
    }

    /// The bytes of `slice`, valid as long as the arena lives.
    func bytes(_ slice: ByteSlice) -> UnsafeRawBufferPointer { Self.bytes(slice, in: chunks) }

    @inline(__always)
    static func bytes(_ slice: ByteSlice, in chunks: [UnsafeMutableRawBufferPointer]) -> UnsafeRawBufferPointer {
        if slice.count == 0 { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: chunks[Int(slice.chunk)].baseAddress! + Int(slice.offset), count: Int(slice.count))
    }

    func data(_ slice: ByteSlice) -> Data {
        if slice.count == 0 { return Data() }
        let raw = bytes(slice)
        return Data(bytes: raw.baseAddress!, count: raw.count)
    }

    /// The bytes appended so far, readable from any thread while this arena goes on
    /// appending: appends never touch bytes already written, and the view keeps the arena
    /// (and so its chunks) alive.
    var frozen: Frozen { Frozen(owner: self, chunks: chunks) }

    /// See `frozen`.
    struct Frozen: @unchecked Sendable {
        let owner: ByteArena
        let chunks: [UnsafeMutableRawBufferPointer]

        func bytes(_ slice: ByteSlice) -> UnsafeRawBufferPointer { ByteArena.bytes(slice, in: chunks) }
    }

    private func newChunk(_ size: Int) -> UnsafeMutableRawBufferPointer {
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 8)
        chunks.append(chunk)
        allocatedBytes += size
        return chunk
    }
}

/// Bytewise order of two runs, as Go's bytes.Compare.
@inline(__always)
func compareBytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
    let n = min(a.count, b.count)
    if n > 0 {
        let c = memcmp(a.baseAddress!, b.baseAddress!, n)
        if c != 0 { return c < 0 ? -1 : 1 }
    }
    return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
}
