import ArgumentParser
import Foundation
import KV
import Wire

/// `ferry-bench kv`: the KV state machine on one core — committed put entries applied from
/// their bytes, ranges of 1 and 1,000 keys, watch events delivered to 1,000 watchers, and
/// resident memory for 1,000,000 keys of 16 bytes with 256-byte values.
struct KVBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kv", abstract: "KV apply, range, watch and memory figures (run a release build).")

    @Option(help: "Keys loaded for the memory figure.") var keys: Int = 1_000_000
    @Option(help: "Put entries applied for the put figure.") var puts: Int = 500_000

    func run() throws {
        let value = Data(repeating: 0x61, count: 256)
        func key(_ i: Int) -> Data { Data(String(format: "key-%012d", i).utf8) }

        // Memory first, before other figures leave freed pages resident: a fresh store of `keys`
        // keys, resident bytes over raw key+value bytes.
        let before = residentBytes()
        let memoryMachine = KVStateMachine()
        for i in 0..<keys {
            _ = memoryMachine.apply(InternalRaftRequest(put: PutRequest(key: key(i), value: value)))
        }
        let grown = residentBytes() - before
        let raw = Double(keys * (16 + 256))
        let memoryRatio = Double(grown) / raw

        // Applied puts: each an encoded InternalRaftRequest, as a node applies a committed entry.
        let entries = (0..<puts).map { i in
            InternalRaftRequest(header: RequestHeader(id: UInt64(i + 1)), put: PutRequest(key: key(i % 100_000), value: value))
                .serializedBytes()
        }
        let putMachine = KVStateMachine()
        let putSeconds = time { for entry in entries { _ = putMachine.apply(entry: entry) } }
        let putsPerSecond = Double(puts) / putSeconds

        // Ranges against the loaded store.
        var rng = SystemRandomNumberGenerator()
        let singles = (0..<200_000).map { _ in RangeRequest(key: key(Int.random(in: 0..<keys, using: &rng))) }
        let range1Seconds = time { for r in singles { _ = try? memoryMachine.range(r) } }
        let wide = (0..<2_000).map { _ -> RangeRequest in
            let start = Int.random(in: 0..<(keys - 1_000), using: &rng)
            return RangeRequest(key: key(start), rangeEnd: key(start + 1_000))
        }
        var returned = 0
        let range1000Seconds = time { for r in wide { returned += (try? memoryMachine.range(r))?.kvs.count ?? 0 } }
        precondition(returned == wide.count * 1_000, "a 1,000-key range returned \(returned / wide.count) keys")

        // Watch: 1,000 watchers of one key, every response drained after each put.
        let watchMachine = KVStateMachine()
        let watchers = (0..<1_000).map { _ in watchMachine.watch(WatchCreateRequest(key: key(1))) }
        for id in watchers { _ = watchMachine.takeWatchResponses(id) }
        let watchEntries = (0..<2_000).map { i in
            InternalRaftRequest(header: RequestHeader(id: UInt64(i + 1)), put: PutRequest(key: key(1), value: value)).serializedBytes()
        }
        var delivered = 0
        let watchSeconds = time {
            for entry in watchEntries {
                _ = watchMachine.apply(entry: entry)
                for id in watchMachine.watchersWithResponses {
                    for response in watchMachine.takeWatchResponses(id) { delivered += response.events.count }
                }
            }
        }

        // Snapshot of the loaded store: what the node's loop spends (taking the image) and the
        // rate the image is encoded and checksummed at, off the loop.
        var image: KVSnapshotImage?
        let imageSeconds = time { image = memoryMachine.snapshotImage() }
        // The store's next change copies the arrays the image shares: the rest of the loop's part.
        let extra = InternalRaftRequest(put: PutRequest(key: key(keys), value: value))
        let firstPutSeconds = time { _ = memoryMachine.apply(extra) }
        var snapshotBytes = 0
        var checksum: UInt32 = 0
        let writeSeconds = time {
            image!.write { (raw: UnsafeRawBufferPointer) in
                snapshotBytes += raw.count
                checksum = CRC32C.update(checksum, raw)
            }
        }
        // Compaction as a member does it: taking effect on the node's loop, the rebuild off it,
        // then installed back on the loop.
        var job: CompactionRebuild?
        memoryMachine.offThreadCompaction = { job = $0 }
        let compaction = InternalRaftRequest(compaction: CompactionRequest(revision: memoryMachine.revision))
        let compactSeconds = time { _ = memoryMachine.apply(compaction) }
        let rebuildSeconds = time { job!.run() }
        let installSeconds = time { memoryMachine.finishCompaction(job!) }
        let crcBuffer = [UInt8](repeating: 0x5a, count: 64 << 20)
        let crcSeconds = time { checksum ^= CRC32C.update(0, crcBuffer) }
        _ = checksum

        let figures: [String: Double] = [
            "snapshot_image_ms": (imageSeconds * 1e6).rounded() / 1e3,
            "compact_loop_ms": ((compactSeconds + installSeconds) * 1e4).rounded() / 10,
            "compact_rebuild_ms": (rebuildSeconds * 1e4).rounded() / 10,
            "snapshot_first_put_ms": (firstPutSeconds * 1e6).rounded() / 1e3,
            "snapshot_write_mb_per_s": (Double(snapshotBytes) / 1e6 / writeSeconds).rounded(),
            "crc32c_mb_per_s": (Double(crcBuffer.count) / 1e6 / crcSeconds).rounded(),
            "puts_per_s": putsPerSecond.rounded(),
            "range1_per_s": (Double(singles.count) / range1Seconds).rounded(),
            "range1000_per_s": (Double(wide.count) / range1000Seconds).rounded(),
            "watch_events_per_s": (Double(delivered) / watchSeconds).rounded(),
            "memory_ratio": (memoryRatio * 100).rounded() / 100,
        ]
        print("Ferry KV state machine, one thread:")
        print(String(format: "applied puts (16 B keys, 256 B values)   %12.0f /s", putsPerSecond))
        print(String(format: "range, 1 key (of %d)                %12.0f /s", keys, figures["range1_per_s"]!))
        print(String(format: "range, 1,000 keys                        %12.0f /s", figures["range1000_per_s"]!))
        print(String(format: "watch events to 1,000 watchers           %12.0f /s", figures["watch_events_per_s"]!))
        print(String(format: "snapshot of %d keys (%.0f MB): image taken in %.3f ms, the next put (copying shared arrays) %.1f ms, written at %.0f MB/s (CRC-32C alone %.0f MB/s)",
                     keys, Double(snapshotBytes) / 1e6, imageSeconds * 1e3, firstPutSeconds * 1e3, figures["snapshot_write_mb_per_s"]!, figures["crc32c_mb_per_s"]!))
        print(String(format: "compaction of %d keys: %.1f ms on the node's loop (%.1f taking effect, %.1f installing), %.1f ms rebuilding off it",
                     keys, (compactSeconds + installSeconds) * 1e3, compactSeconds * 1e3, installSeconds * 1e3, rebuildSeconds * 1e3))
        print(String(format: "resident for %d keys: %.0f MB over %.0f MB raw = %.2fx (store's own count: %.0f MB)",
                     keys, Double(grown) / 1e6, raw / 1e6, memoryRatio, Double(memoryMachine.residentBytes) / 1e6))
        withExtendedLifetime(memoryMachine) {}
        print(jsonLine(figures))
    }

    /// Seconds `body` takes.
    func time(_ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// This process's resident set, from /proc/self/statm.
    func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
