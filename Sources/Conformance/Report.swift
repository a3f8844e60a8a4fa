/// The outcome of a conformance run: one line per failure and the closing count.
public struct Report: Sendable {
    public private(set) var passed = 0
    public private(set) var failures: [String] = []

    public init() {}

    public var failed: Int { failures.count }

    public mutating func pass() { passed += 1 }

    public mutating func fail(_ line: String) { failures.append(line) }

    /// Records one case: passes when `problems` is empty, else one failure naming the first.
    public mutating func record(_ name: String, _ problems: [String]) {
        if let first = problems.first { fail("\(name): \(first)") } else { pass() }
    }

    public mutating func merge(_ other: Report) {
        passed += other.passed
        failures += other.failures
    }

    /// The closing line every runner prints.
    public var summary: String { "\(passed) passed, \(failed) failed" }
}
