import Foundation
import Raft
import Wire

/// Runs message-stream vectors (../shared/vectors/README.md, streams/): each `NAME.bin` is
/// decoded whole, one byte at a time and in random chunks, and must yield `NAME.jsonl`.
public enum StreamRunner {
    public static func run(directory: String, seed: UInt64 = 1) -> Report {
        var report = Report()
        let bins = Files.list(directory, suffix: ".bin")
        if bins.isEmpty { report.fail("\(directory): no .bin files") }
        for bin in bins {
            let name = String(bin.dropLast(4))
            let problems: [String]
            do {
                let stream = try Files.read("\(directory)/\(bin)")
                let expected = try Files.jsonLines("\(directory)/\(name).jsonl").map {
                    try JSONValue(parsing: $0.value.text)
                }
                problems = check(stream: stream, expected: expected, seed: seed)
            } catch {
                problems = ["\(error)"]
            }
            report.record(name, problems)
        }
        return report
    }

    enum Ending: Equatable {
        case clean
        case truncated
        case sizeLimit
    }

    static func check(stream: [UInt8], expected: [JSONValue], seed: UInt64) -> [String] {
        var frames = expected
        var ending = Ending.clean
        if let last = frames.last, let kind = last["error_kind"]?.stringValue {
            ending = kind == "size_limit" ? .sizeLimit : .truncated
            frames.removeLast()
        }
        var rng = SplitMix64(seed: seed)
        let chunkings: [(String, [Int])] = [
            ("whole", [stream.count]),
            ("byte by byte", Array(repeating: 1, count: stream.count)),
            ("random chunks", randomChunks(stream.count, &rng)),
        ]
        var problems: [String] = []
        for (label, sizes) in chunkings {
            problems += decode(stream, sizes, frames, ending).map { "\(label): \($0)" }
        }
        return problems
    }

    static func randomChunks(_ total: Int, _ rng: inout SplitMix64) -> [Int] {
        var sizes: [Int] = []
        var left = total
        while left > 0 {
            let size = min(left, Int(rng.next() % 64) + 1)
            sizes.append(size)
            left -= size
        }
        return sizes
    }

    static func decode(_ stream: [UInt8], _ sizes: [Int], _ frames: [JSONValue], _ ending: Ending) -> [String] {
        var decoder = MessageStreamDecoder()
        var got: [[UInt8]] = []
        var start = 0
        do {
            for size in sizes {
                decoder.feed(stream[start..<(start + size)])
                start += size
                while let frame = try decoder.nextFrame() { got.append(frame.payload) }
            }
            try decoder.finish()
            if ending != .clean { return ["stream ended cleanly, expected \(ending)"] }
        } catch WireError.frameTooLarge {
            if ending != .sizeLimit { return ["refused a frame as too large, expected \(ending)"] }
        } catch WireError.truncatedFrame {
            if ending != .truncated { return ["reported a truncated frame, expected \(ending)"] }
        } catch {
            return ["\(error)"]
        }
        guard got.count == frames.count else { return ["\(got.count) frames, expected \(frames.count)"] }
        var problems: [String] = []
        for (i, (payload, frame)) in zip(got, frames).enumerated() {
            if let expected = frame["hex"]?.stringValue, hex(bytes: payload) != expected {
                problems.append("frame \(i): payload \(hex(bytes: payload)) != \(expected)")
                continue
            }
            do {
                let message = try Message(serializedBytes: payload)
                if let describe = frame["describe"]?.stringValue, message.describe != describe {
                    problems.append("frame \(i): describe \(message.describe) != \(describe)")
                }
            } catch {
                problems.append("frame \(i): \(error)")
            }
        }
        return problems
    }
}
