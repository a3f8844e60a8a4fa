import Foundation

/// Polls `condition` until it holds, for state that offers no notification to wait on (files
/// on disk, a member's counters read through its loop). Throws `WaitTimedOut` naming `what`
/// when it still does not hold after `timeout`: the bound only limits a failing test.
public func eventually(_ what: String, timeout: Duration = .seconds(60), every interval: Duration = .milliseconds(5),
                       _ condition: () async throws -> Bool) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    while try await !condition() {
        guard clock.now < deadline else { throw WaitTimedOut(what: what, seen: "the condition still false") }
        try await Task.sleep(for: interval)
    }
}

/// `eventually` for synchronous tests: blocks the calling thread between polls.
public func eventuallyBlocking(_ what: String, timeout: Duration = .seconds(60), every interval: Duration = .milliseconds(5),
                               _ condition: () throws -> Bool) throws {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    while try !condition() {
        guard clock.now < deadline else { throw WaitTimedOut(what: what, seen: "the condition still false") }
        Thread.sleep(forTimeInterval: Double(interval.components.attoseconds) / 1e18 + Double(interval.components.seconds))
    }
}
