import Foundation

/// What a test waited for did not happen within its bound. The bound only limits how long a
/// failing test takes; a passing test never depends on it.
public struct WaitTimedOut: Error, CustomStringConvertible {
    public let what: String
    public let seen: String

    public var description: String { "timed out waiting for \(what); last seen: \(seen)" }
}

/// A value that callbacks on other threads change and a test waits on. Every change wakes the
/// waiters, which check their condition against the new value; a test thus proceeds at the
/// moment the event happens, however slow or loaded the machine is.
public final class Observed<Value: Sendable>: @unchecked Sendable {
    private struct Waiter {
        let isSatisfied: @Sendable (Value) -> Bool
        let continuation: CheckedContinuation<Value, any Error>
    }

    private let condition = NSCondition()
    private var current: Value
    private var waiters: [Int: Waiter] = [:]
    private var expired: Set<Int> = []
    private var lastWaiter = 0

    public init(_ initial: Value) { current = initial }

    public var value: Value { condition.withLock { current } }

    /// Changes the value and wakes whoever waits on it.
    @discardableResult
    public func update<Result>(_ change: (inout Value) -> Result) -> Result {
        condition.lock()
        let result = change(&current)
        let value = current
        var ready: [CheckedContinuation<Value, any Error>] = []
        for (key, waiter) in waiters where waiter.isSatisfied(value) {
            ready.append(waiter.continuation)
            waiters[key] = nil
        }
        condition.broadcast()
        condition.unlock()
        for continuation in ready { continuation.resume(returning: value) }
        return result
    }

    /// Returns the value as soon as `isSatisfied` holds for it; throws `WaitTimedOut` naming
    /// `what` if it does not within `timeout`.
    @discardableResult
    public func wait(for what: String, timeout: Duration = .seconds(60),
                     until isSatisfied: @escaping @Sendable (Value) -> Bool) async throws -> Value {
        let key = condition.withLock {
            lastWaiter += 1
            return lastWaiter
        }
        let timer = Task { [weak self] in
            try await Task.sleep(for: timeout)
            self?.expire(key, what)
        }
        defer { timer.cancel() }
        return try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            if isSatisfied(current) {
                let value = current
                condition.unlock()
                continuation.resume(returning: value)
            } else if expired.remove(key) != nil {
                let seen = Self.describe(current)
                condition.unlock()
                continuation.resume(throwing: WaitTimedOut(what: what, seen: seen))
            } else {
                waiters[key] = Waiter(isSatisfied: isSatisfied, continuation: continuation)
                condition.unlock()
            }
        }
    }

    /// `wait(for:timeout:until:)` for synchronous tests: blocks the calling thread.
    @discardableResult
    public func waitBlocking(for what: String, timeout: Duration = .seconds(60),
                             until isSatisfied: (Value) -> Bool) throws -> Value {
        let deadline = Date().addingTimeInterval(Double(timeout.components.seconds))
        condition.lock()
        defer { condition.unlock() }
        while !isSatisfied(current) {
            if !condition.wait(until: deadline), !isSatisfied(current) {
                throw WaitTimedOut(what: what, seen: Self.describe(current))
            }
        }
        return current
    }

    private func expire(_ key: Int, _ what: String) {
        condition.lock()
        guard let waiter = waiters.removeValue(forKey: key) else {
            expired.insert(key)  // the waiter has not registered yet: it finds this on arrival
            condition.unlock()
            return
        }
        let seen = Self.describe(current)
        condition.unlock()
        waiter.continuation.resume(throwing: WaitTimedOut(what: what, seen: seen))
    }

    private static func describe(_ value: Value) -> String {
        let text = String(describing: value)
        return text.count > 2_000 ? String(text.prefix(2_000)) + "…" : text
    }
}
