import Dispatch
import Foundation

/// Blocks until SIGINT or SIGTERM arrives (Ctrl-C, or `kill`), or the member asks to stop.
enum ShutdownSignals {
    private static let arrived = DispatchSemaphore(value: 0)

    static func wait() {
        var sources: [DispatchSourceSignal] = []
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { arrived.signal() }
            source.resume()
            sources.append(source)
        }
        arrived.wait()
        withExtendedLifetime(sources) {}
    }

    /// Ends `wait()` as a signal would.
    static func stop() { arrived.signal() }
}
